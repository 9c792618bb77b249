"""A running job's progress figures never cost it what it was asked for."""

from __future__ import annotations

from conftest import Media

from mam.catalog import get_asset
from mam.errors import StorageError
from mam.ingest import ingest_file
from mam.jobs import fail_job, request_export, request_renditions, set_job_progress
from mam.jobs.attempts import human_reason
from mam.models import AssetStatus, Job, JobState
from mam.processing import process_job
from mam.services import Services


def test_progress_keeps_an_export_s_in_and_out_points_for_a_later_attempt(services: Services, media: Media) -> None:
    asset = ingest_file(services, media.wav, profiles=[]).asset
    with services.session() as session:
        job = request_export(services, session, "default", asset.id, "radio", "0.5", "1.5")
        session.query(Job).filter(Job.id == job.id).update({"state": JobState.RUNNING})
        session.commit()

        set_job_progress(session, job.id, 0.4, fps=250.0, eta_seconds=3.0)
        session.expire_all()
        stored = session.get(Job, job.id)

    assert stored is not None
    assert stored.result["request"] == {"start": "0.5", "end": "1.5"}
    assert (stored.result["fps"], stored.result["eta_seconds"], stored.progress) == (250.0, 3.0, 0.4)


def test_a_rendition_asked_for_later_that_fails_leaves_a_ready_asset_ready(services: Services, media: Media) -> None:
    first = ingest_file(services, media.silent, profiles=["poster"])
    assert first.job is not None and process_job(services, first.job.id).state == "done"
    with services.session() as session:
        later = request_renditions(services, session, "default", first.asset.id, ["proxy"])
    assert later.job is not None
    with services.session() as session:
        assert fail_job(session, later.job.id, "the encoder refused")
        asset = get_asset(session, "default", first.asset.id)
        failed = session.get(Job, later.job.id)
        assert (asset.status, asset.error) == (AssetStatus.READY, None)
        assert failed is not None and (failed.state, failed.error) == (JobState.FAILED, "the encoder refused")


def test_a_first_render_that_fails_fails_its_asset_with_the_reason(services: Services, media: Media) -> None:
    result = ingest_file(services, media.wav, profiles=["radio"])
    assert result.job is not None
    with services.session() as session:
        assert fail_job(session, result.job.id, "the source cannot be decoded")
        asset = get_asset(session, "default", result.asset.id)
        assert (asset.status, asset.error) == (AssetStatus.FAILED, "the source cannot be decoded")


def test_a_failed_attempt_s_reason_is_words_never_an_exception_name_or_a_path() -> None:
    reasons = {
        human_reason(StorageError("cannot store a file: the disk is full")),
        human_reason(PermissionError(13, "Permission denied", "/srv/mam/work/job-1/proxy.mp4")),
        human_reason(KeyError("profiles")),
        human_reason(TimeoutError()),
    }
    assert "cannot store a file: the disk is full" in reasons
    assert "the system refused an operation: permission denied" in reasons
    assert all("Error" not in r and "/srv" not in r and "'profiles'" not in r for r in reasons), reasons
