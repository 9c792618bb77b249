"""`mam worker` processes for the tests that need real ones: a :class:`Cluster` shares one home, one
catalog and one broker namespace with the test, with leases, sweeps and backoffs shortened (3 s, 1 s,
1 s) so each test takes seconds. One helper for the job policy, lane and fault tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pika  # type: ignore[import-untyped]
import redis
from dramatiq import Broker
from dramatiq.brokers.redis import RedisBroker
from pika.exceptions import AMQPError  # type: ignore[import-untyped]
from sqlalchemy import select

from mam.ingest import ingest_file
from mam.models import Job, Rendition
from mam.services import Services, open_services
from mam.settings import Settings
from workers.runtime import attach_broker

__all__ = ["MAM", "Cluster", "cluster_on", "stop_cluster", "stop_clusters", "wait_for"]

MAM = Path(sys.executable).parent / "mam"
T = TypeVar("T")


def wait_for(probe: Callable[[], T], timeout: float, what: str) -> T:
    """``probe()``'s value once it is true (polled every 0.1 s); an AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting {timeout:g} s for {what}")


@dataclass
class Cluster:
    """`mam worker` processes sharing one home, one catalog and one broker namespace with this test."""

    env: dict[str, str]
    services: Services
    broker: Broker
    logs: Path
    workers: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_worker(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        """``mam worker ARGS`` with the cluster's settings and ``env``, once it says it has started."""
        log = self.logs / f"worker-{len(self.workers)}.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                [str(MAM), "worker", *args], env={**os.environ, **self.env, **env}, stdout=sink, stderr=sink
            )
        self.workers[proc.pid] = proc
        self.wait(lambda: "mam worker:" in log.read_text(errors="replace"), 240, f"worker {proc.pid} to start")
        return proc

    def ingest(self, clip: Path, lane: str = "normal", profile: str = "poster") -> str:
        """Ingest ``clip`` for one profile in ``lane``; the job's id."""
        job = ingest_file(self.services, clip, profiles=[profile], lane=lane).job
        assert job is not None
        return job.id

    def job(self, job_id: str) -> Job:
        with self.services.session() as session:
            job = session.get(Job, job_id, populate_existing=True)
            assert job is not None
            return job

    def wait_job(self, job_id: str, done: Callable[[Job], bool], timeout: float, what: str) -> Job:
        """The job once ``done`` says so (polled every 0.1 s, at most ``timeout`` seconds)."""
        found: list[Job] = []

        def probe() -> bool:
            job = self.job(job_id)
            found[:] = [job]
            return done(job)

        self.wait(probe, timeout, what)
        return found[0]

    def wait(self, probe: Callable[[], T], timeout: float, what: str) -> T:
        """:func:`wait_for`, with the workers' logs when it gives up."""
        try:
            return wait_for(probe, timeout, what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.logs_text()}") from None

    def renditions(self, asset_id: str) -> list[str]:
        with self.services.session() as session:
            return list(session.scalars(select(Rendition.profile).where(Rendition.asset_id == asset_id)))

    def worker_of(self, job: Job) -> subprocess.Popen[bytes]:
        assert job.worker is not None
        return self.workers[int(job.worker.rsplit(":", 1)[1])]

    def lose_every_message(self) -> int:
        """What a broker restarted empty does to us: every message of our namespace is gone."""
        namespace = self.env["MAM_BROKER_NAMESPACE"]
        if isinstance(self.broker, RedisBroker):
            keys = list(self.broker.client.scan_iter(match=f"{namespace}:*"))
            return int(self.broker.client.delete(*keys)) if keys else 0
        connection = pika.BlockingConnection(pika.URLParameters(self.env["MAM_BROKER_URL"]))
        lost = 0
        try:
            channel = connection.channel()
            for lane in ("urgent", "normal", "bulk", "light"):
                for suffix in ("", ".DQ", ".XQ"):
                    frame = channel.queue_delete(f"{namespace}-{lane}{suffix}")
                    lost += int(getattr(frame.method, "message_count", 0) or 0)
        finally:
            connection.close()
        return lost

    def logs_text(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.logs.glob("*.log"))
        )


def cluster_on(tmp_path: Path, broker_url: str, database_url: str, **settings: str) -> Cluster:
    """A :class:`Cluster` (no worker started yet) with short leases, sweeps and backoffs and a broker
    namespace of its own; ``settings`` override or add ``MAM_*`` variables."""
    env = {
        "MAM_HOME": str(tmp_path / "home"),
        "MAM_DATABASE_URL": database_url,
        "MAM_BROKER_URL": broker_url,
        "MAM_BROKER_NAMESPACE": f"mam-test-{uuid.uuid4().hex[:10]}",
        "MAM_JOB_LEASE_SECONDS": "3",
        "MAM_JOB_SWEEP_SECONDS": "1",
        "MAM_JOB_BACKOFF_SECONDS": "1",
        "MAM_JOB_MAX_ATTEMPTS": "3",
        "MAM_WORKER_THREADS": "1",
        **settings,
    }
    services = open_services(Settings.from_env(env))
    return Cluster(env, services, attach_broker(services), tmp_path)


def stop_cluster(cluster: Cluster, *, kill: bool = False, forget_messages: bool = True) -> None:
    """Stop the workers (SIGTERM and up to 30 s each, or SIGKILL), drop what the namespace still holds
    on the broker, close the connections."""
    for proc in cluster.workers.values():
        if proc.poll() is None:
            proc.kill() if kill else proc.terminate()
    for proc in cluster.workers.values():
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if forget_messages:
        with contextlib.suppress(redis.RedisError, AMQPError, OSError):  # a broker the test stopped
            cluster.lose_every_message()
    cluster.broker.close()
    cluster.services.close()


def stop_clusters(made: list[Cluster], *, kill: bool = False) -> None:
    for cluster in made:
        stop_cluster(cluster, kill=kill)
