"""On-screen text (OCR): Chinese captions burnt into generated clips are read, timed, placed, stored,
searched, listed and exported; with OCR off nothing of the reader is loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from caption_media import FONT, Caption, caption_clip, cer, news_captions
from conftest import auth_headers, make_settings
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from cli.main import app as cli_app
from mam.analysis_store import store_analysis
from mam.ingest import ingest_file
from mam.models import Asset
from mam.processing import process_job
from mam.screen_text import list_text
from mam.search import SearchRequest, search
from mam.services import Services, open_services
from transcode.analysis.result import AnalysisResult
from transcode.analysis.text import LineTracker, Reading, merge_pieces, region_of
from transcode.analysis.text_branch import changed
from transcode.errors import ProfileError
from transcode.pipeline import make_renditions
from transcode.probe import probe
from transcode.profiles import Profile, load_profile, load_profiles

SECONDS = 6.0
CAPTIONS = [*news_captions(SECONDS), Caption(3.3, SECONDS, "突发新闻 暴雨预警", "other", place=(0.6, 0.06))]


def _best(lines: list[dict[str, object]], caption: Caption) -> dict[str, object]:
    """The line read at the caption's place whose text is nearest to it."""
    return min(lines, key=lambda line: cer(str(line["text"]), caption.text))


@pytest.fixture(scope="module")
def read_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, AnalysisResult]:
    """A 640x360 clip over a panning textured background: a strap, a traditional top line, a
    subtitle changing every two seconds, and a line appearing at 3.3 s while nothing else changes;
    rendered to a proxy with OCR on."""
    assert FONT.exists(), "make test installs fonts-noto-cjk (.ci/system)"
    folder = tmp_path_factory.mktemp("ocr")
    clip = caption_clip(folder / "news.mp4", CAPTIONS, SECONDS, moving=True)
    proxy = load_profiles()["proxy"]
    result = make_renditions(clip, probe(clip), [(proxy, proxy.output_path(folder / "out"))], ocr=True)
    assert result.analysis is not None and result.analysis.text is not None
    return clip, result.analysis


def test_every_caption_is_read_with_its_time_range_and_region(read_clip: tuple[Path, AnalysisResult]) -> None:
    lines = read_clip[1].text
    assert lines is not None
    for caption in CAPTIONS:
        line = _best(lines, caption)
        assert cer(str(line["text"]), caption.text) <= 0.15, (caption, line)
        assert line["region"] == caption.region, (caption, line)
        assert abs(float(line["start"]) - caption.start) <= 0.5 and abs(float(line["end"]) - caption.end) <= 0.5, (
            caption,
            line,
        )
    assert len(lines) == len(CAPTIONS), "each caption is one line: consecutive readings merged"


def test_a_static_strap_over_a_moving_background_is_recognised_once_and_is_one_line(
    read_clip: tuple[Path, AnalysisResult],
) -> None:
    analysis = read_clip[1]
    assert analysis.text is not None
    straps = [line for line in analysis.text if line["region"] == "strap"]
    assert len(straps) == 1 and straps[0]["start"] == 0.0 and straps[0]["end"] == pytest.approx(SECONDS)
    stats = analysis.text_stats
    # the moving background changes every sample; while every line read stands with the same ink, the
    # detector looks once a second (and at the samples where a subtitle changed); each line is
    # recognised once (the top line has no band: the background moves behind its letters)
    assert stats["samples"] == 2 * SECONDS and stats["read"] <= SECONDS + 3
    assert stats["recognised"] == len(CAPTIONS), "each line recognised once: the same ink is the same line"


def test_a_line_appearing_between_two_detections_is_dated_to_the_frame_it_appeared(
    read_clip: tuple[Path, AnalysisResult],
) -> None:
    lines = read_clip[1].text
    assert lines is not None
    line = _best(lines, CAPTIONS[-1])
    assert (line["start"], line["end"]) == (3.32, SECONDS), "frame 83 at 25 fps: the first showing 3.3 s"


def test_a_still_picture_is_read_only_when_its_text_changes(tmp_path: Path) -> None:
    captions = [Caption(0.0, 2.3, "县委书记在防汛工作会议上讲话"), Caption(2.3, 4.0, "全县各乡镇做好防汛准备")]
    clip = caption_clip(tmp_path / "still.mp4", captions, 4.0)  # 2.3 s: between two samples
    proxy = load_profiles()["proxy"]
    result = make_renditions(clip, probe(clip), [(proxy, proxy.output_path(tmp_path / "out"))], ocr=True)
    assert result.analysis is not None and result.analysis.text is not None
    assert [line["text"] for line in result.analysis.text] == [c.text for c in captions]
    # the change is timed to the frame it shows in (frame 58 at 25 fps), not to the sample that saw it
    assert [(line["start"], line["end"]) for line in result.analysis.text] == [(0.0, 2.32), (2.32, 4.0)]
    assert result.analysis.text_stats["read"] == 2, "8 samples: read at 0 s and when the subtitle changed"


def test_with_ocr_off_the_reader_is_never_imported_and_no_text_is_reported(tmp_path: Path) -> None:
    clip = caption_clip(tmp_path / "off.mp4", [Caption(0.0, 1.0, "防汛")], 1.0)
    script = (
        "import sys, json; from pathlib import Path\n"
        "from transcode.pipeline import make_renditions\nfrom transcode.probe import probe\n"
        "from transcode.profiles import load_profiles\n"
        "p = load_profiles()['proxy']; clip = Path(sys.argv[1])\n"
        "r = make_renditions(clip, probe(clip), [(p, p.output_path(Path(sys.argv[2])))])\n"
        "print(json.dumps([r.analysis.text, 'rapidocr_onnxruntime' in sys.modules, 'onnxruntime' in sys.modules]))\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", script, str(clip), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        timeout=120,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [None, False, False]


def test_a_profile_turns_text_reading_on_with_a_validated_analysis_table(tmp_path: Path) -> None:
    shipped = load_profiles()
    assert not any(p.analysis.ocr for p in shipped.values()), "off unless asked for"
    data = shipped["proxy"].model_dump(mode="json", exclude_none=True)
    on = Profile.model_validate({**data, "name": "proxy_text", "analysis": {"ocr": True}})
    assert on.analysis.ocr
    clip = caption_clip(tmp_path / "on.mp4", [Caption(0.0, 1.0, "防汛工作会议")], 1.0)
    result = make_renditions(clip, probe(clip), [(on, on.output_path(tmp_path / "out"))])  # ocr: as the profile says
    assert result.analysis is not None and [line["text"] for line in result.analysis.text or []] == ["防汛工作会议"]
    bad = tmp_path / "proxy_text.toml"
    bad.write_text(
        'name = "proxy_text"\ndescription = "x"\ncontainer = "mp4"\nextension = "mp4"\n'
        '[video]\nwidth = 640\nheight = 360\nbitrate = "1M"\n[analysis]\nocr = true\nlanguage = "zh"\n'
    )
    with pytest.raises(ProfileError, match="language"):
        load_profile(bad)


def test_readings_merge_into_lines_and_regions_follow_the_place() -> None:
    assert region_of((0.3, 0.86, 0.7, 0.94)) == "subtitle"
    assert region_of((0.06, 0.72, 0.5, 0.8)) == "strap"
    assert region_of((0.05, 0.06, 0.3, 0.15)) == "other"
    pieces = merge_pieces([Reading("CCTV", 0.9, (0.42, 0.1, 0.5, 0.15)), Reading("新闻", 0.9, (0.3, 0.1, 0.4, 0.15))])
    assert [p.text for p in pieces] == ["新闻CCTV"]
    sig = np.zeros((16, 96), np.float32)
    tracker = LineTracker()
    box = (0.3, 0.86, 0.7, 0.94)
    tracker.seen(0.0, [(Reading("防汛工作会议", 0.9, box), sig)], [])
    tracker.unchanged(0.5)
    tracker.seen(1.0, [(Reading("防汛工作会议", 0.95, box), sig)], [])  # read again: the same line
    tracker.seen(1.5, [(Reading("抗旱保收", 0.9, box), sig)], [])
    lines = tracker.finish(2.0)
    assert [(line.text, line.start, line.end) for line in lines] == [("防汛工作会议", 0.0, 1.5), ("抗旱保收", 1.5, 2.0)]


def test_the_change_test_sees_text_change_and_ignores_a_still_picture() -> None:
    rng = np.random.default_rng(1)
    picture = np.full((180, 320), 100, np.uint8)
    picture[150:170, 100:220] = rng.integers(0, 2, (20, 120)).astype(np.uint8) * 200  # stroke-like texture
    other = picture.copy()
    other[150:170, 100:220] = rng.integers(0, 2, (20, 120)).astype(np.uint8) * 200
    assert not changed(picture, picture.copy())
    assert changed(other, picture)
    assert not changed(np.full((180, 320), 40, np.uint8), np.full((180, 320), 45, np.uint8)), "no text either side"


def test_stored_lines_are_found_by_search_with_their_time_and_listed_exported_over_http(
    services: Services, read_clip: tuple[Path, AnalysisResult]
) -> None:
    clip, analysis = read_clip
    asset = ingest_file(services, clip, profiles=["proxy"]).asset
    store_analysis(services, asset, analysis)
    with services.session() as session:
        lines = list_text(session, asset.tenant_id, asset.id)
        assert len(lines) == len(CAPTIONS)
        found = search(session, asset.tenant_id, SearchRequest(q="气象台"))  # a word of the third subtitle
        assert [h.asset.id for h in found.hits] == [asset.id]
        inner = [i for i in found.hits[0].inner if i.kind == "screen_text"]
        assert inner and inner[0].start == pytest.approx(4.0, abs=0.5) and "<mark>" in (inner[0].snippet or "")
        simplified = search(session, asset.tenant_id, SearchRequest(q="经济"))  # the traditional 經濟 on screen
        assert [h.asset.id for h in simplified.hits] == [asset.id]
        assert not search(session, "someone-else", SearchRequest(q="气象台")).hits
    with TestClient(create_app(services=services, run_workers=False)) as client:
        headers = auth_headers(services)
        listed = client.get(f"/api/v1/assets/{asset.id}/text", headers=headers)
        assert listed.status_code == 200
        body = listed.json()
        assert body["total"] == len(CAPTIONS) and {line["region"] for line in body["lines"]} == {
            "subtitle",
            "strap",
            "other",
        }
        straps = client.get(f"/api/v1/assets/{asset.id}/text?region=strap", headers=headers).json()
        assert [line["start_tc"] for line in straps["lines"]] == ["00:00:00.000"]
        srt = client.get(f"/api/v1/assets/{asset.id}/text.srt", headers=headers)
        assert srt.status_code == 200 and "00:00:04,000 -->" in srt.text and "暴雨" in srt.text
        vtt = client.get(f"/api/v1/assets/{asset.id}/text.vtt", headers=headers)
        assert vtt.text.startswith("WEBVTT") and vtt.headers["content-type"].startswith("text/vtt")
        assert client.get("/api/v1/assets/nope/text", headers=headers).status_code == 404


def test_a_tenant_setting_reads_text_in_its_render_jobs_and_mam_text_prints_it(tmp_path: Path) -> None:
    captions = [Caption(0.0, 2.0, "县委书记在防汛工作会议上讲话")]
    clip = caption_clip(tmp_path / "tenant.mp4", captions, 2.0)
    env = {"MAM_OCR_TENANTS": "default"}
    services = open_services(make_settings(tmp_path / "home", **env))
    try:
        asset = ingest_file(services, clip, profiles=["proxy"]).asset
        assert process_job(services, asset.jobs[0].id).state == "done"
        with services.session() as session:
            assert [line.text for line in list_text(session, "default", asset.id)] == [captions[0].text]
            assert session.get(Asset, asset.id) is not None
    finally:
        services.close()
    runner = CliRunner()
    environment = {"MAM_HOME": str(tmp_path / "home"), **env}
    shown = runner.invoke(cli_app, ["text", asset.id, "--json"], env=environment)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["lines"][0]["text"] == captions[0].text
    srt = runner.invoke(cli_app, ["text", asset.id, "--srt"], env=environment)
    assert srt.output.startswith("1\n00:00:00,000 --> 00:00:02,000\n县委书记")
