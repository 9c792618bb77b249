"""``mam export``: a frame-accurate sub-clip of an asset with one profile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.show import print_json
from cli.waiting import wait_for_jobs
from mam.audit import Actor
from mam.errors import MamError
from mam.jobs import request_export
from mam.models import Job
from mam.public import JobPublic
from mam.services import open_services
from mam.settings import Settings
from workers.runtime import JobRunner, attach_broker

__all__ = ["register"]

out = Console()
err = Console(stderr=True)


def export(
    asset_id: Annotated[str, typer.Argument(help="Asset id.")],
    profile: Annotated[str, typer.Option("--profile", "-p", help="Profile to make (see `mam profiles`).")],
    start: Annotated[
        str | None, typer.Option("--in", help="In-point: seconds, or HH:MM:SS:FF in the clip's timecode.")
    ] = None,
    end: Annotated[str | None, typer.Option("--out", help="Out-point (exclusive): seconds or HH:MM:SS:FF.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Copy the result to this file.")] = None,
    lane: Annotated[
        str | None,
        typer.Option(
            help="Lane of the job: urgent (breaking news: the next free worker slot takes it), normal (default) "
            "or bulk (archive imports: when nothing more urgent waits)."
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Make a frame-accurate sub-clip of an asset with one profile, e.g. a TV cut of a news item.

    With the embedded broker the export renders in this process; with Redis a `mam worker` makes it.
    """
    services = open_services(Settings.from_env())
    tenant = services.settings.default_tenant
    try:  # the same checks, errors and messages as POST /api/v1/assets/{id}/exports
        with services.session() as session:
            local = Actor.local(tenant)
            job_id = request_export(services, session, tenant, asset_id, profile, start, end, actor=local, lane=lane).id
    except MamError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    broker = attach_broker(services)
    runner = JobRunner(services, broker) if services.settings.embedded_broker else None
    if runner is not None:
        runner.start(resend=False)
    services.enqueue(job_id)  # again, now that a broker is attached
    try:
        wait_for_jobs(services, [job_id], console=err, quiet=json_out)
    finally:
        if runner is not None:
            runner.stop()
        else:
            broker.close()
    with services.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        state, error, result = job.state, job.error, dict(job.result)
        public = JobPublic.of(job)
    made = result.get("output")
    if state == "done" and made and output is not None:
        services.storage.get_file(made["key"], output)
    services.close()
    if json_out:  # the job as GET /api/v1/jobs/{id} answers it, and where the file was copied
        print_json(out, {**public.model_dump(mode="json"), "file": str(output) if output and made else None})
    elif state == "done" and made:
        where = f" → {output}" if output else f" (download: /api/v1/jobs/{job_id}/output)"
        out.print(f"{made['profile']} {made['start']:.3f}–{made['end']:.3f} s, {made['size']} bytes{where}")
    else:
        err.print(f"[red]export {state}:[/red] {error}")
    raise typer.Exit(0 if state == "done" else 1)


def register(app: typer.Typer) -> None:
    app.command()(export)
