"""``mam check``: the catalog's integrity check (every referenced byte stored, every stored object owned)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.show import print_json
from mam.errors import MamError
from mam.integrity import ORPHAN_GRACE, check_integrity, remove_orphans
from mam.services import open_services
from mam.settings import Settings
from transcode.errors import TranscodeError

__all__ = ["register"]

out = Console()
err = Console(stderr=True)


def check(
    remove: Annotated[
        bool, typer.Option("--remove-orphans", help="Delete the stored objects nothing in the catalog refers to.")
    ] = False,
    grace_minutes: Annotated[
        int,
        typer.Option(
            "--grace-minutes",
            min=0,
            help="Leave out unreferenced objects younger than this: an ingest or render may still register them.",
        ),
    ] = int(ORPHAN_GRACE.total_seconds() // 60),
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")] = False,
) -> None:
    """Check that the catalog and the store agree; exit 1 if bytes the catalog refers to are missing.

    Reports missing originals, renditions, analysis pictures and export outputs, originals whose
    stored size differs from the catalog's, and orphans: objects under an asset's prefix that nothing
    refers to (an ingest or a render stopped between storing and registering) and temporary files
    of copies cut short. Assets with a job queued or running are left out of the orphan count.
    """
    try:
        services = open_services(Settings.from_env())
    except (MamError, TranscodeError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    try:
        report = check_integrity(services, grace=timedelta(minutes=grace_minutes))
        removed = remove_orphans(services, report) if remove else 0
    finally:
        services.close()
    if json_out:
        print_json(out, {**report.as_json(), "removed": removed})
    else:
        if report.findings:
            table = Table(title_justify="left")
            for column in ("kind", "asset", "key", "detail"):
                table.add_column(column)
            for finding in report.findings:
                table.add_row(finding.kind, finding.asset_id or "", finding.key, finding.detail)
            out.print(table)
        verdict = "[green]consistent[/green]" if report.ok else "[red]bytes are missing[/red]"
        out.print(
            f"{report.assets} assets, {report.objects} stored objects: {verdict}; "
            f"{len(report.of('orphan'))} orphan(s)" + (f", {removed} removed" if remove else "")
        )
    raise typer.Exit(0 if report.ok else 1)


def register(app: typer.Typer) -> None:
    app.command()(check)
