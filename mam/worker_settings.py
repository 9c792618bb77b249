"""A worker's settings (``MAM_WORKER_*``, ``MAM_THREADS_PER_JOB``): their help, and the threads each job
gets, decided where the worker starts (:func:`threads_per_job`).

A render's decoder, encoders and filters each take about one thread per core when left to choose.
One worker running one job at a time may let them; two jobs at once on the same cores (a worker's
``--concurrency 2``, or two workers on one machine) each do better with their share: the machine's
cores are then busy with work, not with threads waiting on one another.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from mam.errors import ConfigError

__all__ = ["WORKER_SETTINGS_HELP", "machine_cores", "threads_per_job", "threads_per_job_from_env"]

WORKER_SETTINGS_HELP: dict[str, str] = {
    "MAM_WORKER_THREADS": "heavy jobs (renders, exports) one worker process runs at once (default 1: a render "
    "uses every core); `mam worker --concurrency`",
    "MAM_WORKER_LANES": "the lanes a worker takes, comma-separated, among urgent, normal and bulk (default all "
    "three); `mam worker --lanes`",
    "MAM_WORKER_LIGHT_THREADS": "threads of a worker for light work (webhook deliveries, notifications), never "
    "taken by a render (default 2)",
    "MAM_WORKER_GRACE_SECONDS": "on SIGTERM a worker takes no new job and gives its running job this long to "
    "finish, then gives it back to the queue (not counted as an attempt) and exits 0 (default 60)",
    "MAM_THREADS_PER_JOB": "threads each decoder, encoder and filter graph of one job may use (default 0: a "
    "worker gives each job its share of the machine, cores / concurrency; set cores / (workers x concurrency) "
    "when several workers share a machine); `mam worker --threads-per-job`",
}


def threads_per_job_from_env(env: Mapping[str, str]) -> int:
    """``MAM_THREADS_PER_JOB``: a whole number, 0 (or unset) for the worker's share of the machine."""
    raw = (env.get("MAM_THREADS_PER_JOB") or "").strip()
    if not raw:
        return 0
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"MAM_THREADS_PER_JOB={raw!r} is not a whole number") from exc
    if value < 0:
        raise ConfigError(f"MAM_THREADS_PER_JOB={raw!r}: give 1 or more threads, or 0 for the worker's share")
    return value


def machine_cores() -> int:
    """The cores this process may run on (its CPU affinity: a container's or taskset's share)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def threads_per_job(configured: int, concurrency: int, cores: int) -> int:
    """The threads a job of a worker gets: ``configured`` when set (> 0), else the worker's share of
    the machine, ``cores // concurrency`` (at least 1)."""
    if configured > 0:
        return configured
    return max(1, cores // max(1, concurrency))
