"""``mam``: ingest media, follow renders, list assets, run the API and workers."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from cli.show import asset_table, assets_table, print_json, profiles_table, qc_summary
from cli.waiting import IngestOutcome, collect_files, ingest_paths, print_summary, wait_for_jobs
from mam.catalog import ensure_tenant, get_analysis, get_asset, list_assets, list_shots
from mam.errors import MamError, NotFoundError
from mam.jobs import resolve_profiles
from mam.jobs.lanes import parse_lane
from mam.services import Services, open_services
from mam.settings import SETTINGS_HELP, Settings
from transcode.errors import TranscodeError
from workers.runtime import JobRunner, attach_broker

__all__ = ["app", "main"]

_EPILOG = "Settings (environment):\n\n" + "\n\n".join(f"{k}: {v}" for k, v in SETTINGS_HELP.items())

app = typer.Typer(
    name="mam",
    help="Media asset management for converged media centres: collect once, generate many, publish everywhere.",
    epilog=_EPILOG,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]


def _services() -> Services:
    try:
        return open_services(Settings.from_env())
    except (MamError, TranscodeError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Media files (or folders of them) to ingest.")],
    title: Annotated[str | None, typer.Option(help="Title (default: the file name). Applies to every file.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag; repeat for several.")] = None,
    profile: Annotated[
        list[str] | None,
        typer.Option("--profile", "-p", help="Profile to render; repeat for several (default: MAM_DEFAULT_PROFILES)."),
    ] = None,
    wait: Annotated[bool, typer.Option(help="Wait for the renders, with progress, then show each asset.")] = False,
    tenant: Annotated[
        str | None,
        typer.Option(help="The media centre whose assets these become (created if new; default: MAM_DEFAULT_TENANT)."),
    ] = None,
    recursive: Annotated[
        bool,
        typer.Option(
            "--recursive", "-r", help="Also ingest sub-folders (hidden and temporary files are skipped); no tables."
        ),
    ] = False,
    lane: Annotated[
        str | None,
        typer.Option(
            help="Lane of the jobs: urgent (breaking news: the next free worker slot takes it), normal (default) "
            "or bulk (archive imports: when nothing more urgent waits)."
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Register media files as assets and queue their renditions.

    With the embedded broker, --wait renders in this process; otherwise the jobs wait in the
    catalog for `mam serve` or `mam worker`.
    """
    services = _services()
    try:  # an unknown profile or lane is refused before any file is read
        resolve_profiles(services, profile or None)
        parse_lane(lane)
    except MamError as exc:
        err.print(f"[red]error:[/red] {exc}")
        services.close()
        raise typer.Exit(2) from exc
    if tenant is not None:
        with services.session() as session:
            ensure_tenant(session, tenant)
    files = collect_files(paths, recursive)
    broker = attach_broker(services)
    runner = JobRunner(services, broker) if wait and services.settings.embedded_broker else None
    if runner is not None:
        runner.start(resend=False)
    try:
        outcomes = ingest_paths(
            services,
            files,
            title=title,
            tags=tag or [],
            profiles=profile or None,
            console=err,
            quiet=json_out,
            tenant_id=tenant,
            lane=lane,
        )
        jobs = [o.job_id for o in outcomes if o.job_id]
        if wait and jobs:
            wait_for_jobs(services, jobs, console=err, quiet=json_out)
    finally:
        if runner is not None:
            runner.stop()
        else:
            broker.close()
    _report(services, outcomes, json_out, waited=wait, tables=not recursive)
    if not json_out:
        print_summary(err, outcomes, waited=wait, details=recursive)
    unmade = _unmade(outcomes, profile or services.settings.default_profiles) if wait else []
    failed = [o for o in outcomes if o.error] + [o for o in outcomes if wait and o.asset and o.asset.status == "failed"]
    failed += unmade
    if not wait and jobs and services.settings.embedded_broker and not json_out:
        err.print(
            "[dim]jobs are queued in the catalog; run `mam serve` or `mam worker` to render them, "
            "or ingest with --wait[/dim]"
        )
    services.close()
    raise typer.Exit(1 if failed else 0)


def _report(
    services: Services, outcomes: list[IngestOutcome], json_out: bool, waited: bool, tables: bool = True
) -> None:
    from mam.public import AssetPublic

    refreshed: list[IngestOutcome] = []
    with services.session() as session:
        for o in outcomes:
            asset = AssetPublic.of(get_asset(session, o.tenant_id, o.asset_id), o.duplicate) if o.asset_id else None
            refreshed.append(
                IngestOutcome(
                    o.path,
                    o.tenant_id,
                    asset.id if asset else None,
                    o.job_id,
                    o.duplicate,
                    o.error,
                    asset,
                    o.skipped,
                )
            )
    outcomes[:] = refreshed
    if json_out:
        print_json(
            out,
            [
                {
                    "path": str(o.path),
                    "duplicate": o.duplicate,
                    "error": o.error,
                    "skipped_profiles": list(o.skipped),
                    "asset": o.asset.model_dump(mode="json") if o.asset else None,
                }
                for o in outcomes
            ],
        )
        return
    for o in outcomes if tables else ():
        if o.error:
            err.print(f"[red]✗ {o.path.name}:[/red] {o.error}")
        elif o.asset is not None:
            if o.duplicate:
                out.print(f"[yellow]= {o.path.name} is already in the catalog as {o.asset.id}[/yellow]")
            if o.skipped:
                skipped = ", ".join(o.skipped)
                out.print(f"[dim]{o.path.name}: {skipped} not made for {o.asset.media_kind} media[/dim]")
            out.print(asset_table(o.asset))


def _unmade(outcomes: list[IngestOutcome], wanted: Sequence[str]) -> list[IngestOutcome]:
    """After waiting: the files with a requested profile that was not made, each said on stderr."""
    from cli.render import unmade_profiles

    missing = []
    for o in outcomes:
        if o.asset is None:
            continue
        for name, why in unmade_profiles(o.asset, [p for p in wanted if p not in o.skipped]):
            err.print(f"[red]✗ {o.path.name}: {name} was not made:[/red] {why}", highlight=False, soft_wrap=True)
            missing.append(o)
    return missing


@app.command()
def assets(
    q: Annotated[
        str | None,
        typer.Option("--q", "-q", help="A search, as `mam search` understands it (its hits in its order)."),
    ] = None,
    status: Annotated[str | None, typer.Option(help="processing, ready or failed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    json_out: JsonOpt = False,
) -> None:
    """List assets, newest first."""
    from mam.public import AssetList

    services = _services()
    with services.session() as session:
        try:
            page = list_assets(session, services.settings.default_tenant, q=q, status=status, limit=limit)
        except MamError as exc:  # a query the search cannot understand
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
        listed = AssetList.of(page, services.settings.default_tenant)
    if json_out:
        print_json(out, listed)  # the same model as GET /api/v1/assets
    else:
        out.print(assets_table(listed.items, listed.total))


@app.command()
def asset(
    asset_id: Annotated[str, typer.Argument(help="Asset id (a unique prefix of at least 8 characters will do).")],
    json_out: JsonOpt = False,
) -> None:
    """Show one asset: probe, renditions, jobs."""
    from mam.public import AssetPublic

    services = _services()
    with services.session() as session:
        full_id = _resolve(services, asset_id)
        try:
            view = AssetPublic.of(get_asset(session, services.settings.default_tenant, full_id, shared=True))
        except MamError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
        try:
            _, analysis = get_analysis(session, services.settings.default_tenant, full_id)
            report: dict[str, Any] | None = {**analysis.qc, "shots": len(list_shots(session, full_id))}
        except NotFoundError:
            report = None
    if json_out:
        print_json(out, {**view.model_dump(mode="json"), "qc": report})
    else:
        out.print(asset_table(view))
        if report is not None:
            out.print(qc_summary(report))


def _resolve(services: Services, prefix: str) -> str:
    if len(prefix) >= 36 or len(prefix) < 8:
        return prefix
    from sqlalchemy import select

    from mam.models import Asset

    with services.session() as session:
        ids = list(
            session.scalars(
                select(Asset.id)
                .where(Asset.tenant_id == services.settings.default_tenant, Asset.id.startswith(prefix))
                .limit(2)
            )
        )
    return ids[0] if len(ids) == 1 else prefix


@app.command()
def profiles(json_out: JsonOpt = False) -> None:
    """List the output profiles."""
    from mam.public import ProfilePublic

    services = _services()
    if json_out:
        print_json(out, [ProfilePublic.of(p) for p in services.profiles.values()])  # as GET /api/v1/profiles
    else:
        out.print(profiles_table(services.profiles.values()))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the HTTP API (OpenAPI at /docs); on the embedded broker it also runs the jobs."""
    import uvicorn

    settings = Settings.from_env()  # a malformed setting is reported here, before the server starts
    __import__("cli.observe").observe.start_observing("serve", settings, host=host, port=port)  # uvicorn's too
    __import__("cli.identity").identity.announce_first_administrator(settings)  # empty catalog: print admin once
    # By name, so that cli/ imports nothing of api/ (the factory reads the same MAM_* settings).
    from cli.server import SERVE_OPTIONS  # headers up to 1 MiB are read; larger ones get 431, not a reset

    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_config=None, **SERVE_OPTIONS)


@app.command()
def samples(
    directory: Annotated[Path, typer.Argument(help="Where to write the sample footage.")] = Path("mam-data/samples"),
) -> None:
    """Generate a small set of realistic sample footage (broadcast 1080i50, phone portrait VFR, ...)."""
    from transcode.generate import sample_set

    directory.mkdir(parents=True, exist_ok=True)
    with err.status("generating sample footage…"):
        made = sample_set(directory)
    for path in made:
        out.print(str(path))


__import__("cli.watch").watch.register(app)
__import__("cli.worker").worker.register(app)
__import__("cli.search").search.register(app)
__import__("cli.export").export.register(app)
__import__("cli.render").render.register(app)
__import__("cli.janitor").janitor.register(app)
__import__("cli.jobs").jobs.register(app)
__import__("cli.delete").delete.register(app)
__import__("cli.text").text.register(app)
__import__("cli.check").check.register(app)
__import__("cli.webhooks").webhooks.register(app)
__import__("cli.audit").audit.register(app)
__import__("cli.identity").identity.register(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
