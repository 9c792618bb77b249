"""A running job's progress figures never cost it what it was asked for."""

from __future__ import annotations

from conftest import Media

from mam.ingest import ingest_file
from mam.jobs import request_export, set_job_progress
from mam.models import Job, JobState
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
