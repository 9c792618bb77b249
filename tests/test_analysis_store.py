"""Storing an analysis keeps the job's progress moving: it reaches 100% only when everything is stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Media

import mam.analysis_store as analysis_store
from mam.analysis_store import store_analysis
from mam.ingest import ingest_file
from mam.layout import analysis_prefix
from mam.models import Job
from mam.processing import process_job
from mam.services import Services
from transcode.pipeline import make_renditions
from transcode.probe import probe


def test_storing_an_analysis_reports_the_share_of_files_stored_after_each_one(
    services: Services, media: Media, tmp_path: Path
) -> None:
    asset = ingest_file(services, media.silent, profiles=["proxy"]).asset
    proxy = services.profiles["proxy"]
    result = make_renditions(media.silent, probe(media.silent), [(proxy, proxy.output_path(tmp_path / "out"))])
    analysis = result.analysis
    assert analysis is not None and analysis.shots and analysis.storyboard
    prefix = analysis_prefix(asset.tenant_id, asset.id, asset.sha256)
    keys = [f"{prefix}/shots/{s.number}.jpg" for s in analysis.shots] + [f"{prefix}/poster.jpg"]
    keys += [f"{prefix}/storyboard/{n}.jpg" for n in range(len(analysis.storyboard))] + [f"{prefix}/storyboard.vtt"]
    heard: list[tuple[float, int]] = []

    def progress(fraction: float) -> None:
        heard.append((fraction, sum(services.storage.exists(k) for k in keys)))

    store_analysis(services, asset, analysis, progress=progress)
    assert [fraction for fraction, _ in heard] == [n / len(keys) for n in range(1, len(keys) + 1)]
    assert [stored for _, stored in heard] == list(range(1, len(keys) + 1)), "each share is heard once its file is in"


def test_a_jobs_progress_moves_past_the_render_while_its_analysis_is_stored_and_is_full_only_when_done(
    services: Services, media: Media, monkeypatch: pytest.MonkeyPatch
) -> None:
    asset = ingest_file(services, media.silent, profiles=["proxy"]).asset
    job_id = asset.jobs[0].id
    when_rows_are_written: list[tuple[str, float]] = []
    write_rows = analysis_store.replace_analysis

    def spy(*args: object) -> object:
        with services.session() as session:
            job = session.get(Job, job_id, populate_existing=True)
            assert job is not None
            when_rows_are_written.append((job.state, job.progress))
        return write_rows(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(analysis_store, "replace_analysis", spy)
    assert process_job(services, job_id).state == "done"
    # every picture is stored by then: the job has moved past the render's 97%, but is not yet complete
    assert when_rows_are_written == [("running", pytest.approx(0.999))]
    with services.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and (job.state, job.progress) == ("done", 1.0)
