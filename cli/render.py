"""``mam render``: ask an asset for more renditions later (only what it lacks is queued)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.console import Console

from cli.waiting import wait_for_jobs
from mam.audit import Actor
from mam.catalog import get_asset
from mam.errors import MamError
from mam.jobs import request_renditions
from mam.models import JobState
from mam.public import AssetPublic, RenditionsRequested
from mam.services import Services, open_services
from mam.settings import Settings
from workers.runtime import JobRunner, attach_broker

__all__ = ["register", "unmade_profiles"]

out = Console()
err = Console(stderr=True)

_ACTIVE = (JobState.QUEUED, JobState.RUNNING)


def unmade_profiles(asset: AssetPublic, wanted: Sequence[str]) -> list[tuple[str, str]]:
    """``(profile, why)`` for each profile of ``wanted`` the asset has no rendition of: the reason of the
    newest job that was to make it, or that none did."""
    made = {r.profile for r in asset.renditions}
    unmade = []
    for name in dict.fromkeys(wanted):
        if name in made:
            continue
        jobs = [j for j in asset.jobs if j.kind == "render" and name in j.profiles]
        last = max(jobs, key=lambda j: j.created_at, default=None)
        why = "no job made it" if last is None else f"its job {last.id} is {last.state.value}"
        if last is not None and last.error:
            why += f": {last.error}"
        unmade.append((name, why))
    return unmade


def _wait(services: Services, job_ids: list[str], quiet: bool) -> None:
    broker = attach_broker(services)
    runner = JobRunner(services, broker) if services.settings.embedded_broker else None
    if runner is not None:
        runner.start(resend=False)
    for job_id in job_ids:
        services.enqueue(job_id)  # again, now that a broker is attached (a job runs once however often sent)
    try:
        wait_for_jobs(services, job_ids, console=err, quiet=quiet)
    finally:
        if runner is not None:
            runner.stop()
        else:
            broker.close()


def render(
    asset_id: Annotated[str, typer.Argument(help="Asset id.")],
    profile: Annotated[
        list[str], typer.Option("--profile", "-p", help="Profile to make (see `mam profiles`); repeat for several.")
    ],
    wait: Annotated[
        bool, typer.Option(help="Wait for the renders, with progress; exit 1 if one was not made.")
    ] = False,
    lane: Annotated[
        str | None,
        typer.Option(
            help="Lane of the job: urgent (breaking news: the next free worker slot takes it), normal (default) "
            "or bulk (archive imports: when nothing more urgent waits)."
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Make more renditions of an asset, e.g. `mam render ID -p vertical` for a story going to short video.

    Only the profiles neither made nor already queued get a job; an unknown profile, or one this asset
    cannot feed, is refused (exit 2) with nothing queued. With the embedded broker, --wait renders in
    this process; otherwise `mam serve` or `mam worker` makes them.
    """
    services = open_services(Settings.from_env())
    tenant = services.settings.default_tenant
    try:  # the same checks, errors and messages as POST /api/v1/assets/{id}/renditions
        with services.session() as session:
            local = Actor.local(tenant)
            asked = request_renditions(services, session, tenant, asset_id, profile, actor=local, lane=lane)
            summary = RenditionsRequested.of(asked)
            waiting_for = [
                j.id
                for j in asked.asset.jobs
                if j.kind == "render" and j.state in _ACTIVE and set(j.profiles) & set(profile)
            ]
    except MamError as exc:
        err.print(f"[red]error:[/red] {exc}")
        services.close()
        raise typer.Exit(2) from exc
    unmade: list[tuple[str, str]] = []
    view = None
    if wait:
        if waiting_for:
            _wait(services, waiting_for, json_out)
        with services.session() as session:
            view = AssetPublic.of(get_asset(session, tenant, asset_id))
        unmade = unmade_profiles(view, profile)
    services.close()
    if json_out:
        body = {
            **summary.model_dump(mode="json"),
            "asset": view.model_dump(mode="json") if view else None,
            "unmade": [{"profile": p, "reason": why} for p, why in unmade],
        }
        out.print_json(json.dumps(body, ensure_ascii=False))
    else:
        _say(summary, wait)
        for name, why in unmade:
            err.print(f"[red]✗ {name} was not made:[/red] {why}", highlight=False, soft_wrap=True)
    raise typer.Exit(1 if unmade else 0)


def _say(summary: RenditionsRequested, waited: bool) -> None:
    if summary.job is not None:
        out.print(f"queued {', '.join(summary.queued)} (job {summary.job.id})")
    if summary.present:
        out.print(f"already made: {', '.join(summary.present)}")
    if summary.pending:
        out.print(f"already on its way: {', '.join(summary.pending)}")
    if not waited and (summary.job is not None or summary.pending):
        err.print("[dim]run `mam serve` or `mam worker` to render them, or ask with --wait[/dim]")


def register(app: typer.Typer) -> None:
    app.command()(render)
