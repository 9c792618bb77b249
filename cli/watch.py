"""``mam watch``: ingest files dropped into the configured watch folders until interrupted."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Annotated

import typer
from rich.console import Console

from mam.errors import MamError
from mam.services import open_services
from mam.settings import Settings
from mam.watch import Handled, watch_from_settings
from transcode.errors import TranscodeError
from workers.runtime import JobRunner, attach_broker

__all__ = ["register"]

err = Console(stderr=True)

_MARK = {
    "ingested": "[green]+[/green]",
    "duplicate": "[yellow]=[/yellow]",
    "merged": "[green]~[/green]",
    "failed": "[red]✗[/red]",
}


def _show(result: Handled) -> None:
    detail = result.asset_id or result.reason or ""
    err.print(f"{_MARK[result.outcome]} {result.path} {result.outcome} {detail}", highlight=False, soft_wrap=True)


def watch(
    jobs: Annotated[
        bool,
        typer.Option(help="On the embedded broker, also render the jobs in this process (like `mam serve`)."),
    ] = True,
) -> None:
    """Watch the folders in MAM_WATCH_CONFIG (default $MAM_HOME/watch.toml) and ingest each file
    once it is complete (size and modification time unchanged for the folder's quiet period)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        services = open_services(settings)
        watcher = watch_from_settings(services, on_handled=_show)
    except (MamError, TranscodeError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if watcher is None:
        err.print(f"[red]error:[/red] no watch configuration at {settings.watch_config_file}")
        services.close()
        raise typer.Exit(2)
    broker = attach_broker(services)
    runner = JobRunner(services, broker) if jobs and settings.embedded_broker else None
    if runner is not None:
        runner.start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    watcher.start()
    for folder in watcher.config.folder:
        err.print(
            f"watching {folder.path} → tenant {folder.tenant or settings.default_tenant}, "
            f"quiet {folder.quiet_seconds:g} s, after: {folder.after}",
            highlight=False,
            soft_wrap=True,
        )
    err.print("Ctrl-C to stop")
    stop.wait()
    watcher.stop()
    if runner is not None:
        runner.stop()
    else:
        broker.close()
    services.close()


def register(app: typer.Typer) -> None:
    app.command()(watch)
