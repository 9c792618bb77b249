"""``mam jobs``: the tenant's jobs, newest first, as a table or JSON."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.show import print_json
from mam.errors import MamError
from mam.jobs.queries import list_jobs
from mam.models import JobState
from mam.public import JobList, JobPublic
from mam.services import open_services
from mam.settings import Settings
from transcode.errors import TranscodeError

__all__ = ["jobs_table", "register"]


def jobs_table(page: JobList) -> Table:
    shown = f"{page.offset + 1}-{page.offset + len(page.items)} of " if page.items else ""
    table = Table(title=f"{shown}{page.total} job(s)", title_justify="left")
    for column in ("id", "asset", "kind", "state", "progress", "attempts", "profiles", "created (UTC)", "error"):
        table.add_column(column, overflow="fold")
    for job in page.items:
        table.add_row(
            job.id[:8],
            job.asset_id[:8],
            job.kind,
            job.state,
            _progress(job),
            str(job.attempts),
            ", ".join(job.profiles),
            job.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            escape(job.error or ""),
        )
    return table


def _progress(job: JobPublic) -> str:
    text = f"{job.progress:.0%}"
    if job.eta_seconds is not None:
        text += f" ({job.eta_seconds:.0f} s left)"
    return text


def register(app: typer.Typer) -> None:
    @app.command("jobs")
    def jobs_command(
        state: Annotated[
            list[JobState] | None, typer.Option("--state", "-s", help="Only jobs in this state; repeat for several.")
        ] = None,
        asset: Annotated[str | None, typer.Option(help="Only this asset's jobs (its full id).")] = None,
        limit: Annotated[int, typer.Option(min=1, max=500, help="Jobs per page.")] = 50,
        offset: Annotated[int, typer.Option(min=0, help="Skip this many jobs.")] = 0,
        tenant: Annotated[
            str | None, typer.Option(help="The media centre whose jobs to list (default: MAM_DEFAULT_TENANT).")
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")] = False,
    ) -> None:
        """List jobs, newest first: what is queued, running, done, failed or cancelled.

        Examples: mam jobs --state failed; mam jobs -s queued -s running --json.
        The JSON is the same as GET /api/v1/jobs answers.
        """
        out, err = Console(), Console(stderr=True)
        try:
            services = open_services(Settings.from_env())
        except (MamError, TranscodeError) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from exc
        owner = tenant or services.settings.default_tenant
        with services.session() as session:
            found = list_jobs(session, owner, states=state or (), asset_id=asset, limit=limit, offset=offset)
            page = JobList.of(found)
        services.close()
        if json_out:
            print_json(out, page)
        else:
            out.print(jobs_table(page))
