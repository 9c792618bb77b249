"""Long CLI work with progress bars: ingesting files, then following their render jobs."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from mam.audit import Actor
from mam.errors import MamError
from mam.models import Job, JobState
from mam.services import Services
from mam.sidecar import ingest_item, pair_files
from mam.watch.scanner import scan_folder

if TYPE_CHECKING:
    from mam.public import AssetPublic

__all__ = ["IngestOutcome", "collect_files", "ingest_paths", "print_summary", "reason_of", "wait_for_jobs"]

_FINAL = {JobState.DONE, JobState.FAILED, JobState.CANCELLED}


@dataclass
class IngestOutcome:
    path: Path
    tenant_id: str
    asset_id: str | None = None
    job_id: str | None = None
    duplicate: bool = False
    error: str | None = None
    asset: AssetPublic | None = None
    skipped: tuple[str, ...] = field(default_factory=tuple)


def _progress(console: Console, quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=False,
    )


def ingest_paths(
    services: Services,
    files: Sequence[Path],
    *,
    title: str | None,
    tags: Sequence[str],
    profiles: Sequence[str] | None,
    console: Console,
    quiet: bool,
    tenant_id: str | None = None,
    lane: str | None = None,
) -> list[IngestOutcome]:
    """Ingest ``files`` (paired with their sidecars) for ``tenant_id`` (default MAM_DEFAULT_TENANT), one
    bar step each; a file that fails is an outcome with its reason, and the others go on."""
    tenant = tenant_id or services.settings.default_tenant
    outcomes: list[IngestOutcome] = []
    items = pair_files(files)  # sidecars (.json, .xml) describe their media; card folders give their clips
    with _progress(console, quiet) as bar:
        task = bar.add_task("ingest", total=len(items))
        for item in items:
            path = item.media
            bar.update(task, description=f"ingest {path.name}")
            try:
                local = Actor.local(tenant)
                ingested = ingest_item(
                    services, item, tenant_id=tenant, title=title, tags=tags, profiles=profiles, actor=local, lane=lane
                )
                result = ingested.result
                if ingested.refused:
                    console.print(f"[yellow]{path.name}: sidecar refused, ingested without it: {ingested.refused}")
                for problem in ingested.problems:
                    console.print(f"[yellow]{path.name}: {problem}", highlight=False, soft_wrap=True)
                outcomes.append(
                    IngestOutcome(
                        path,
                        tenant,
                        result.asset.id,
                        result.job.id if result.job else None,
                        result.duplicate,
                        skipped=result.skipped_profiles,
                    )
                )
            except (MamError, OSError) as exc:
                outcomes.append(IngestOutcome(path, tenant, error=reason_of(exc, path)))
            bar.advance(task)
        bar.update(task, description=f"ingested {len(items)} file(s)")
    return outcomes


def reason_of(exc: Exception, path: Path) -> str:
    """Why ``path`` failed, without its name in front (the report names the file itself)."""
    message = str(exc)
    prefix = f"{path.name}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def wait_for_jobs(
    services: Services, job_ids: Sequence[str], *, console: Console, quiet: bool, poll_seconds: float = 0.25
) -> None:
    """Show one bar per job, fed from the catalog, until every job has ended."""
    with _progress(console, quiet) as bar:
        tasks = {}
        with services.session() as session:
            for job_id in job_ids:
                job = session.get(Job, job_id)
                name = job.asset.original_filename if job else job_id
                tasks[job_id] = bar.add_task(f"render {name}", total=1.0)
        pending = set(job_ids)
        while pending:
            with services.session() as session:
                for job_id in list(pending):
                    job = session.get(Job, job_id)
                    if job is None:
                        pending.discard(job_id)
                        continue
                    bar.update(tasks[job_id], completed=job.progress)
                    if job.state in _FINAL:
                        done = 1.0 if job.state == JobState.DONE else job.progress
                        label = "✓" if job.state == JobState.DONE else f"✗ {job.state}"
                        bar.update(
                            tasks[job_id],
                            completed=done,
                            description=f"{label} {job.asset.original_filename}",
                        )
                        pending.discard(job_id)
            if pending:
                time.sleep(poll_seconds)


def collect_files(paths: Sequence[Path], recursive: bool) -> list[Path]:
    """The files named, and those in the folders named (with ``recursive``, in every sub-folder too),
    skipping hidden and temporary names (``.part``, ``.tmp``, dot-files) in folders; sorted by path."""
    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
        else:
            files += sorted(s.path for s in scan_folder(path, recursive=recursive, top=False))
    return files


def print_summary(console: Console, outcomes: Sequence[IngestOutcome], *, waited: bool, details: bool) -> None:
    """One closing line (new, duplicate, failed); with ``details``, every failure with its reason."""
    failed = [
        (o, o.error or (o.asset.error if o.asset else None) or "render failed")
        for o in outcomes
        if o.error or (waited and o.asset is not None and o.asset.status == "failed")
    ]
    duplicates = sum(1 for o in outcomes if o.duplicate and not o.error)
    new = len(outcomes) - duplicates - len(failed)
    colour = "red" if failed else "green"
    console.print(
        f"[{colour}]{len(outcomes)} file(s): {new} new, {duplicates} duplicate, {len(failed)} failed[/{colour}]",
        soft_wrap=True,
    )
    if details:
        for o, reason in failed:
            console.print(f"[red]✗ {o.path}:[/red] {reason}", highlight=False, soft_wrap=True)
