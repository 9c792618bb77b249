"""Sub-clip exports: measured, normalised, counted and recorded on the span, not the whole source."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest
from engine_media import clip

from mam.ingest import ingest_file
from mam.jobs import get_job, request_export
from mam.processing import process_job
from mam.services import Services
from transcode.loudness import measure_programme
from transcode.pipeline import make_renditions
from transcode.plan import make_span
from transcode.probe import probe
from transcode.profiles import load_profiles
from transcode.sandbox.jobs import frames_to_decode

PROFILES = load_profiles()


@pytest.fixture(scope="module")
def quiet_then_loud(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds: a tone about 9.5 dB quieter in the first second than in the second."""
    folder = tmp_path_factory.mktemp("exports")
    return clip(folder / "quiet_then_loud.mp4", Fraction(25), seconds=2.0, audio_codec="aac", quiet_until=1.0)


def test_the_loudness_of_a_span_is_the_loudness_of_that_span_alone(quiet_then_loud: Path) -> None:
    info = probe(quiet_then_loud)
    whole = measure_programme(quiet_then_loud, info)
    quiet = measure_programme(quiet_then_loud, info, start=0.0, end=1.0)
    loud = measure_programme(quiet_then_loud, info, start=1.0, end=2.0)
    assert whole is not None and quiet is not None and loud is not None
    assert loud.integrated - quiet.integrated == pytest.approx(9.5, abs=0.7)
    assert quiet.integrated < whole.integrated < loud.integrated - 1.0


def test_a_sub_clip_is_normalised_from_the_loudness_of_its_span_and_records_it_after(
    quiet_then_loud: Path, tmp_path: Path
) -> None:
    info = probe(quiet_then_loud)
    loud = measure_programme(quiet_then_loud, info, start=1.0, end=2.0)
    fractions: list[float] = []
    span = make_span(info, 1.0, 2.0)
    result = make_renditions(
        quiet_then_loud, info, [(PROFILES["web_720p"], tmp_path / "cut.mp4")], fractions.append, span
    )
    assert loud is not None and result.loudness_before == loud
    after = result.checks[0].loudness
    assert after is not None and after.integrated == pytest.approx(-16.0, abs=1.0)
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_a_sub_clip_s_frames_per_second_count_only_the_span(quiet_then_loud: Path) -> None:
    info = probe(quiet_then_loud)
    assert frames_to_decode(info) == 50
    assert frames_to_decode(info, make_span(info, 0.4, 1.2)) == 20


def test_an_export_job_records_loudness_before_and_after_for_its_span(
    services: Services, quiet_then_loud: Path
) -> None:
    asset = ingest_file(services, quiet_then_loud, profiles=[]).asset
    with services.session() as session:
        job_id = request_export(services, session, asset.tenant_id, asset.id, "web_720p", 1.0, 2.0).id
    outcome = process_job(services, job_id)
    assert outcome.state == "done", outcome.error
    with services.session() as session:
        result = get_job(session, asset.tenant_id, job_id).result
    # BS.1770 of a 0.3 sine on both channels (K-weighting is flat at 440 Hz); the whole clip is ~2.5 LU quieter
    loud_second = 20 * math.log10(0.3 / math.sqrt(2)) + 10 * math.log10(2) - 0.691
    assert result["loudness_before"]["integrated"] == pytest.approx(loud_second, abs=0.5)
    assert result["output"]["loudness"]["integrated"] == pytest.approx(-16.0, abs=1.0)
    assert result["output"]["video"]["duration"] == pytest.approx(1.0, abs=0.04)
