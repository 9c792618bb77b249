"""``mam janitor``: remove, once, what failed uploads and renders left behind."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.show import print_json
from mam.errors import MamError
from mam.janitor import Leftover, sweep
from mam.services import open_services
from mam.settings import Settings
from transcode.errors import TranscodeError

__all__ = ["register"]

out = Console()
err = Console(stderr=True)


def _table(title: str, items: list[Leftover]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("kind", "path", "size", "why"):
        table.add_column(column, justify="right" if column == "size" else "left")
    for item in items:
        table.add_row(item.kind, item.path, f"{item.bytes / 1e6:.1f} MB", item.reason)
    return table


def janitor(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")] = False,
) -> None:
    """Remove leftovers of failed uploads and renders that no live upload or job owns.

    Under $MAM_HOME/work: the bytes of multipart uploads whose connection or server died (no
    longer being written and untouched for an hour), resumable (tus) uploads past their
    Upload-Expires (MAM_UPLOAD_EXPIRY_HOURS after their last bytes), and scratch folders of jobs
    that are not running; and stored objects nothing in the catalog refers to (an ingest or render
    killed between storing and registering), an hour after they were written. Whatever a live upload
    or running job still holds is kept and listed.
    `mam serve` does the same when it starts and every MAM_JANITOR_INTERVAL_MINUTES.
    """
    try:
        services = open_services(Settings.from_env())
    except (MamError, TranscodeError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    try:
        report = sweep(services, store=True)
    finally:
        services.close()
    if json_out:
        print_json(out, report.as_json())
        return
    if report.removed:
        out.print(_table("removed", report.removed))
    if report.kept:
        out.print(_table("kept (still in use)", report.kept))
    out.print(f"{len(report.removed)} leftovers removed, {report.freed_bytes / 1e6:.1f} MB freed")


def register(app: typer.Typer) -> None:
    app.command()(janitor)
