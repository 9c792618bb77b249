"""What an operator's Prometheus scrapes: the metric families, and the collector that reads the catalog.

Two kinds of figures, kept apart on purpose:

- **Events of this process** (:data:`METRICS`, one registry per process): jobs taken up, their wait in
  the queue, their duration, frames per second per profile, failures by reason, HTTP latency per
  route. They are counted where they happen: a ``mam worker`` counts its jobs and serves them on its
  own port (``--metrics-port``); ``mam serve`` counts its requests and, on the embedded broker, the
  jobs it runs itself. Prometheus adds the processes up (``sum by (profile)``).
- **State of the catalog** (:class:`CatalogCollector`, read at scrape time by ``GET /metrics``): jobs
  queued and running per lane, how long the oldest queued job of each lane has waited, and bytes
  stored per tenant (summed again in the background at most every ``MAM_METRICS_STORAGE_SECONDS``:
  a pass over every asset and rendition). Every API process answers the same figures (use ``max``,
  not ``sum``).

Every label has a bounded set of values: lanes, job kinds, profiles (the profile files), failure
reasons (:data:`FAILURE_REASONS`), route templates (never a raw path), status codes, tenant ids. No
asset id, title or file name is ever a label.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from mam.errors import CatalogError, JobRequestError, StorageError
from mam.models import Asset, Job, JobState, Rendition, utcnow
from transcode.errors import (
    ForbiddenInputError,
    MediaCrashError,
    MediaLimitError,
    MediaMemoryError,
    MediaTimeoutError,
    OutputCheckError,
    ProfileError,
    SpanError,
    TranscodeError,
    UnreadableMediaError,
)

__all__ = [
    "FAILURE_REASONS",
    "LANES",
    "METRICS",
    "CatalogCollector",
    "Metrics",
    "failure_reason",
    "lane_of",
    "serve_metrics",
]

log = logging.getLogger(__name__)

LANES = ("urgent", "normal", "bulk")
"""The lanes a job may be in; a job without one (before lanes existed) is ``normal``."""

FAILURE_REASONS = (
    "unreadable_media",
    "media_limit",
    "media_timeout",
    "media_memory",
    "media_crash",
    "output_check",
    "render",
    "request",
    "storage",
    "catalog",
    "disk_full",
    "system",
    "network",
    "time_limit",
    "worker_lost",
    "unexpected",
)
"""Every value of the ``reason`` label of ``mam_job_failures_total``: a class of fault, never its text."""

_WAIT_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200)
_JOB_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800)
_FPS_BUCKETS = (1, 2.5, 5, 10, 15, 25, 50, 75, 100, 150, 250, 500, 1000)
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


def lane_of(job: Any) -> str:
    """The job's lane, ``normal`` for one that has none (or an unknown one: the label stays bounded)."""
    lane = getattr(job, "lane", None) or "normal"
    return str(lane) if str(lane) in LANES else "normal"


def failure_reason(error: BaseException | None) -> str:
    """The class of fault that ended an attempt, one of :data:`FAILURE_REASONS`."""
    table: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
        ((UnreadableMediaError, ForbiddenInputError), "unreadable_media"),
        (MediaLimitError, "media_limit"),
        (MediaTimeoutError, "media_timeout"),
        (MediaMemoryError, "media_memory"),
        (MediaCrashError, "media_crash"),
        (OutputCheckError, "output_check"),
        ((JobRequestError, SpanError, ProfileError), "request"),
        (TranscodeError, "render"),
        (StorageError, "storage"),
        ((CatalogError, DBAPIError), "catalog"),
        ((ConnectionError,), "network"),
        (TimeoutError, "time_limit"),
    )
    if error is None:
        return "unexpected"
    for kinds, reason in table:
        if isinstance(error, kinds):
            return reason
    if isinstance(error, OSError):
        return "disk_full" if error.errno in (errno.ENOSPC, errno.EDQUOT) else "system"
    return "unexpected"


class Metrics:
    """The metric families counted by one process, in a registry of their own (never the global one)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.jobs_started = Counter(
            "mam_jobs_started", "Attempts at jobs taken up by this process.", ["kind", "lane"], registry=r
        )
        self.queue_wait = Histogram(
            "mam_job_queue_wait_seconds",
            "Time from a job's queueing to its first attempt being taken up, per lane.",
            ["lane"],
            buckets=_WAIT_BUCKETS,
            registry=r,
        )
        self.jobs_finished = Counter(
            "mam_jobs_finished",
            "Attempts ended by this process, by outcome (done, cancelled, retry, failed, taken_over, handed_back).",
            ["kind", "lane", "outcome"],
            registry=r,
        )
        self.job_duration = Histogram(
            "mam_job_duration_seconds",
            "Wall time of an attempt at a job, from being taken up to its end, by outcome.",
            ["kind", "lane", "outcome"],
            buckets=_JOB_BUCKETS,
            registry=r,
        )
        self.profile_duration = Histogram(
            "mam_render_duration_seconds",
            "Wall time of the one-decode render that made a profile's rendition (each profile it made).",
            ["profile"],
            buckets=_JOB_BUCKETS,
            registry=r,
        )
        self.profile_fps = Histogram(
            "mam_render_frames_per_second",
            "Source frames decoded per second of the render that made a profile's rendition.",
            ["profile"],
            buckets=_FPS_BUCKETS,
            registry=r,
        )
        self.profile_frames = Counter(
            "mam_render_frames", "Source frames decoded by renders that made the profile.", ["profile"], registry=r
        )
        self.failures = Counter(
            "mam_job_failures",
            "Attempts that ended in a fault, by its class; final=true when the job was left failed.",
            ["reason", "final"],
            registry=r,
        )
        self.http_duration = Histogram(
            "mam_http_request_duration_seconds",
            "Time to answer an HTTP request (its whole body sent), by route template and status.",
            ["method", "route", "status"],
            buckets=_HTTP_BUCKETS,
            registry=r,
        )
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)


METRICS = Metrics()
"""This process's metrics (a process is one Prometheus target)."""


def serve_metrics(host: str, port: int) -> Callable[[], None]:
    """Serve :data:`METRICS` on ``http://host:port/metrics`` from a thread (``mam worker
    --metrics-port``); returns what stops it. Only aggregate figures (no tenant, no asset): bind it
    to an interface the operator's Prometheus reaches and nobody else does."""
    server, thread = start_http_server(port, addr=host, registry=METRICS.registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop


@dataclass
class _StoredSums:
    """The last sums of bytes stored of one catalog, and when they were taken."""

    rows: list[tuple[str, str, int]] | None = None
    taken: float = 0.0
    refreshing: bool = False


_STORED: dict[str, _StoredSums] = {}
_STORED_LOCK = threading.Lock()


class CatalogCollector(Collector):
    """Figures read from the catalog when Prometheus scrapes: jobs per lane and state, the oldest
    queued job's wait per lane (an indexed query), and bytes stored per tenant (originals and
    renditions). The bytes are a pass over every asset and rendition: they are summed again at most
    every ``stored_seconds`` (``MAM_METRICS_STORAGE_SECONDS``), in a thread of their own, and the
    last sums answered meanwhile (0: summed at each scrape). A catalog that cannot be read gives
    ``mam_catalog_up 0`` and nothing else of it."""

    def __init__(self, services: Any, stored_seconds: float = 0.0) -> None:
        self.services = services
        self.stored_seconds = stored_seconds

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("mam_catalog_up", "Whether the catalog answered this scrape's queries.")
        try:
            families = list(self._read())
        except Exception:  # an unreachable catalog is itself a figure: the scrape still answers
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> Iterable[Metric]:
        counts: dict[tuple[str, str], int] = {(ln, s): 0 for ln in LANES for s in (JobState.QUEUED, JobState.RUNNING)}
        oldest: dict[str, float] = dict.fromkeys(LANES, 0.0)
        now = utcnow()
        with self.services.session() as session:
            active = (JobState.QUEUED, JobState.RUNNING)
            rows = session.execute(
                select(Job.lane, Job.state, func.count(), func.min(Job.created_at))
                .where(Job.state.in_(active))
                .group_by(Job.lane, Job.state)
            ).all()
            for lane_value, state, count, first in rows:
                key = str(lane_value) if str(lane_value) in LANES else "normal"
                counts[(key, str(state))] = counts.get((key, str(state)), 0) + int(count)
                if state == JobState.QUEUED and first is not None:
                    oldest[key] = max(oldest[key], (now - first).total_seconds())
        jobs = GaugeMetricFamily(
            "mam_jobs", "Jobs queued or running in the catalog, per lane.", labels=["lane", "state"]
        )
        for (lane_name, state), count in sorted(counts.items()):
            jobs.add_metric([lane_name, state], count)
        yield jobs
        waited = GaugeMetricFamily(
            "mam_queue_oldest_wait_seconds",
            "How long the oldest job still queued in each lane has waited (0: none queued).",
            labels=["lane"],
        )
        for lane_name in LANES:
            waited.add_metric([lane_name], round(oldest[lane_name], 3))
        yield waited
        sums = self._stored()
        size = GaugeMetricFamily(
            "mam_stored_bytes", "Bytes stored per tenant: originals and renditions.", labels=["tenant", "kind"]
        )
        for tenant, kind, total in sums.rows or ():
            size.add_metric([tenant, kind], total)
        yield size
        yield GaugeMetricFamily(
            "mam_stored_bytes_age_seconds",
            "How long ago mam_stored_bytes was summed (MAM_METRICS_STORAGE_SECONDS).",
            value=round(time.monotonic() - sums.taken, 3),
        )

    def _stored(self) -> _StoredSums:
        """The sums of bytes stored: taken now the first time (or at each scrape with 0 seconds), else
        the last ones, with a fresh sum started in the background once they are older than allowed."""
        with _STORED_LOCK:
            sums = _STORED.setdefault(self.services.settings.database_url, _StoredSums())
            first = sums.rows is None or self.stored_seconds <= 0
            stale = time.monotonic() - sums.taken >= self.stored_seconds
            start = not first and stale and not sums.refreshing
            sums.refreshing = sums.refreshing or start
        if first:
            sums.rows, sums.taken = _sum_stored(self.services), time.monotonic()
        elif start:
            threading.Thread(target=_refresh, args=(self.services, sums), name="mam-stored-bytes", daemon=True).start()
        return sums


def _sum_stored(services: Any) -> list[tuple[str, str, int]]:
    stored = []
    with services.session() as session:
        for tenant, size in session.execute(select(Asset.tenant_id, func.sum(Asset.size)).group_by(Asset.tenant_id)):
            stored.append((str(tenant), "original", int(size or 0)))
        renditions = select(Asset.tenant_id, func.sum(Rendition.size)).join(Asset, Rendition.asset_id == Asset.id)
        for tenant, size in session.execute(renditions.group_by(Asset.tenant_id)):
            stored.append((str(tenant), "rendition", int(size or 0)))
    return stored


def _refresh(services: Any, sums: _StoredSums) -> None:
    try:
        rows = _sum_stored(services)
        with _STORED_LOCK:
            sums.rows, sums.taken = rows, time.monotonic()
    except Exception:  # the catalog is away (or closed): the next stale scrape tries again
        log.warning("summing the bytes stored failed", exc_info=True)
    finally:
        with _STORED_LOCK:
            sums.refreshing = False
