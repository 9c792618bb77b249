"""``mam worker``: run jobs from the broker (its lanes, its slots, light threads beside them) until
stopped; SIGTERM stops it gracefully (:meth:`workers.runtime.JobRunner.stop`)."""

from __future__ import annotations

import signal
import threading
from dataclasses import replace
from typing import Annotated

import typer
from rich.console import Console

from mam.errors import MamError
from mam.jobs.lanes import parse_lanes
from mam.logs import safe_url
from mam.services import open_services
from mam.settings import SETTINGS_HELP, Settings
from mam.worker_settings import machine_cores, threads_per_job
from transcode.errors import TranscodeError
from workers.runtime import JobRunner, attach_broker

__all__ = ["register"]

err = Console(stderr=True)

_EPILOG = "Settings (environment):\n\n" + "\n\n".join(f"{k}: {v}" for k, v in SETTINGS_HELP.items())


def worker(
    lanes: Annotated[
        str | None,
        typer.Option(
            help="Lanes this worker takes, comma-separated, among urgent, normal and bulk (default MAM_WORKER_LANES, "
            "all three). A free slot takes the oldest job of the highest lane waiting; e.g. --lanes urgent keeps "
            "a machine for breaking news."
        ),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            "--threads",
            min=1,
            help="Heavy jobs (renders, exports) run at once (default MAM_WORKER_THREADS, 1: a render uses every core).",
        ),
    ] = None,
    light_threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Threads for light work (webhook deliveries, notifications), never taken by a render "
            "(default MAM_WORKER_LIGHT_THREADS, 2).",
        ),
    ] = None,
    grace: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="On SIGTERM or Ctrl-C: seconds a running job has to finish before it is given back to the queue "
            "(default MAM_WORKER_GRACE_SECONDS, 60). A second signal gives it back at once.",
        ),
    ] = None,
    threads_per_job_: Annotated[
        int | None,
        typer.Option(
            "--threads-per-job",
            min=0,
            help="Threads each decoder, encoder and filter graph of a job may use (default MAM_THREADS_PER_JOB; "
            "0: this worker's share of the machine, cores / concurrency). Several workers on one machine: "
            "cores / (workers x concurrency) each.",
        ),
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve this worker's job metrics for Prometheus here (default MAM_METRICS_PORT).")
    ] = None,
) -> None:
    """Run jobs from the broker until stopped (start several, on several machines, for more throughput).

    SIGTERM (or Ctrl-C): no new job is taken; the running one finishes within the grace period or is
    given back, queued again for another worker; then the worker exits 0.
    """
    try:
        settings = Settings.from_env()
        slots = concurrency or settings.worker_threads
        configured = settings.threads_per_job if threads_per_job_ is None else threads_per_job_
        settings = replace(settings, threads_per_job=threads_per_job(configured, slots, machine_cores()))
        services = open_services(settings)
    except (MamError, TranscodeError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    settings = services.settings
    stop_metrics = __import__("cli.observe").observe.start_observing("worker", settings, metrics_port)
    try:
        taken = parse_lanes(lanes or ",".join(settings.worker_lanes))
    except MamError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    broker = attach_broker(services, taken)
    runner = JobRunner(services, broker, threads=concurrency, light_threads=light_threads)
    stop = threading.Event()

    def on_signal(*_: object) -> None:
        if stop.is_set():  # a second signal: give the running job back now
            services.handing_back.set()
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    runner.start()
    kind = "embedded (jobs queued in this catalog)" if settings.embedded_broker else safe_url(settings.broker_url)
    grace_seconds = settings.worker_grace_seconds if grace is None else grace
    err.print(
        f"mam worker: broker {kind}, lanes {','.join(taken)}, {runner.concurrency} slot(s) "
        f"+ {runner.light_worker.worker_threads} light thread(s), {settings.threads_per_job} thread(s) a job, "
        f"lease {settings.job_lease_seconds:g} s, "
        f"sweep every {settings.job_sweep_seconds:g} s, grace {grace_seconds:g} s; Ctrl-C to stop"
    )
    stop.wait()
    err.print("mam worker: stopping (no new jobs; the running one finishes or is given back)")
    runner.stop(grace)
    stop_metrics()
    services.close()
    err.print("mam worker: stopped")


def register(app: typer.Typer) -> None:
    app.command(epilog=_EPILOG)(worker)
