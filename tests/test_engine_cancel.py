"""Cancelling a render job: seen within a second whatever the media process is doing, and a
cancelled job registers nothing, however late the cancel comes."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sandbox_targets as targets
from conftest import Media

import mam.processing
from mam.catalog import get_asset
from mam.errors import ConflictError
from mam.ingest import ingest_file
from mam.jobs import JobPolicy, cancel_job, claim_job, complete_job, get_job
from mam.processing import process_job
from mam.services import Services
from transcode.sandbox import run_isolated


def _stored_files(services: Services) -> list[Path]:
    return [p for p in Path(services.storage.url).rglob("*") if p.is_file()]


def test_a_job_cancelled_just_as_its_media_work_ends_registers_nothing_and_keeps_no_files(
    services: Services, media: Media
) -> None:
    asset = ingest_file(services, media.silent, profiles=["proxy", "poster"]).asset
    job = asset.jobs[0]
    original = set(_stored_files(services))

    def cancel_at_the_end(fraction: float) -> None:
        if fraction >= 1.0:  # the child has answered; storing and registering come next
            with services.session() as session:
                cancel_job(session, asset.tenant_id, job.id)

    assert process_job(services, job.id, on_progress=cancel_at_the_end).state == "cancelled"
    with services.session() as session:
        current = get_asset(session, asset.tenant_id, asset.id)
        assert current.renditions == []
        assert current.jobs[0].state == "cancelled"
    assert set(_stored_files(services)) == original  # the original only: the outputs were deleted


def test_a_cancel_is_seen_while_the_media_process_reports_no_progress(
    services: Services, media: Media, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asset = ingest_file(services, media.silent, profiles=["proxy"]).asset
    job = asset.jobs[0]
    pid_file = tmp_path / "pid"

    def silent_work(*_args: Any, cancel: Callable[[], bool], **_kwargs: Any) -> object:
        # stands for a long loudness pass or output check: a child that says nothing for 20 s
        work = functools.partial(targets.sleep_after_noting_pid, pid_file, 20.0)
        return run_isolated(work, timeout=10.0, cancel=cancel)

    def cancel_once_started() -> None:
        while not pid_file.exists():
            threading.Event().wait(0.05)
        with services.session() as session:
            cancel_job(session, asset.tenant_id, job.id)

    monkeypatch.setattr(mam.processing, "renditions_isolated", silent_work)
    canceller = threading.Thread(target=cancel_once_started)
    canceller.start()
    outcome = process_job(services, job.id)
    canceller.join()
    assert outcome.state == "cancelled"  # not failed by the 10 s timeout: the cancel stopped it
    assert not Path(f"/proc/{pid_file.read_text()}").exists()  # the child was stopped and reaped


def test_a_cancel_racing_the_jobs_completion_cannot_mark_a_finished_job_cancelled(
    services: Services, media: Media
) -> None:
    asset = ingest_file(services, media.silent, profiles=["poster"]).asset
    job_id = asset.jobs[0].id
    with services.session() as canceller, services.session() as worker:
        seen = get_job(canceller, asset.tenant_id, job_id)  # the cancel request has read the job
        assert seen.state == "queued"
        assert claim_job(worker, job_id, JobPolicy()) is not None
        assert complete_job(worker, job_id, {"outputs": []})  # the job finishes meanwhile
        with pytest.raises(ConflictError, match="already ended"):
            cancel_job(canceller, asset.tenant_id, job_id)
    with services.session() as session:
        assert get_job(session, asset.tenant_id, job_id).state == "done"
