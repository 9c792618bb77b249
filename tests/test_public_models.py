"""The public models read what the catalog holds: typed job results (also those stored by an older
version), an asset not yet probed, a QC report judged against a profile."""

from __future__ import annotations

from datetime import UTC, datetime

from mam.models import Asset, Job, JobState
from mam.public import AssetPublic, JobKind, JobPublic, QcReport, QcStatus

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def _asset(**fields: object) -> Asset:
    base: dict[str, object] = dict(
        id="a1",
        tenant_id="t",
        title="汛情",
        description="",
        tags=[],
        media_kind="video",
        status="processing",
        original_filename="x.mp4",
        original_key="t/assets/a1/original/x.mp4",
        size=1,
        sha256="0" * 64,
        xxh3="0" * 16,
        mediainfo={},
        created_at=NOW,
        updated_at=NOW,
        custom={},
        programme="",
        reporter="",
        place="",
        rights="",
        language="",
    )
    return Asset(**(base | fields))


def test_a_done_export_job_has_a_typed_result_and_its_download_url_but_never_its_storage_key() -> None:
    result = {
        "request": {"start": "10:00:01:00", "end": 3.5},
        "output": {"profile": "proxy", "key": "t/assets/a1/exports/j1/proxy.mp4", "size": 123, "start": 1.0},
        "loudness_before": {"integrated": -30.1, "range": 4.2, "true_peak": -3.0},
        "wall_seconds": 2.5,
    }
    job = Job(id="j1", asset_id="a1", kind="export", profiles=["proxy"], state="done", progress=1.0, attempts=1)
    job.result, job.created_at, job.started_at, job.finished_at, job.error = result, NOW, NOW, NOW, None
    public = JobPublic.of(job)
    assert public.kind is JobKind.EXPORT and public.state is JobState.DONE
    assert public.output_url == "/api/v1/jobs/j1/output" and public.result.output is not None
    assert public.result.output.size == 123 and public.result.request is not None
    assert public.result.request.start == "10:00:01:00" and public.result.loudness_before is not None
    assert "key" not in public.model_dump_json() and public.fps is None


def test_a_result_stored_by_an_older_version_keeps_what_still_reads() -> None:
    job = Job(id="j2", asset_id="a1", kind="render", profiles=["proxy"], state="running", progress=0.5, attempts=1)
    job.created_at, job.started_at, job.finished_at, job.error = NOW, NOW, None, None
    job.result = {"renditions": "proxy,web", "wall_seconds": 1.25, "fps": 48.0, "eta_seconds": 3.0, "old": 1}
    public = JobPublic.of(job)
    assert public.result.renditions == [] and public.result.wall_seconds == 1.25
    assert (public.fps, public.eta_seconds, public.output_url) == (48.0, 3.0, None)


def test_an_asset_without_a_probe_says_null_and_a_probed_one_is_typed() -> None:
    assert AssetPublic.of(_asset()).probe is None
    probe = {"container": "mov,mp4", "duration": 2.0, "size": 10, "start_timecode": "10:00:00:00"}
    typed = AssetPublic.of(_asset(mediainfo=probe)).probe
    assert typed is not None and typed.start_timecode == "10:00:00:00" and typed.video == []


def test_a_qc_report_is_typed_with_its_measurements() -> None:
    report = {
        "profile": "gy_t_282_2014",
        "title": "GY/T 282-2014 TV delivery",
        "verdict": "warn",
        "checks": [{"check": "black", "status": "warn", "value": 1.0, "limit": "warn >= 0.5 s", "detail": ""}],
    }
    measurements = {
        "frames": 50,
        "rate": 25.0,
        "duration": 2.0,
        "black": [{"start": 0.0, "end": 1.0, "duration": 1.0, "kind": "black", "first_frame": 0, "last_frame": 24}],
        "interlace": {"declared": "tff", "detected": "tff", "frames_checked": 50, "counts": {"multiple.tff": 50}},
        "audio": None,
        "loudness": None,
    }
    qc = QcReport.of("a1", report, measurements)
    assert qc.verdict is QcStatus.WARN and qc.checks[0].status is QcStatus.WARN
    assert qc.measurements.black[0].last_frame == 24 and qc.measurements.interlace is not None
