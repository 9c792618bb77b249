"""The asset page's on-screen text tab and sound strip (issue #19) in a real browser: a small QC clip is
rendered (proxy) by the live server, then lines of on-screen text and speech segments are stored in the
catalog directly (reading them with OCR and voice activity detection is tested in
tests/test_screen_text.py and tests/test_speech.py, and would be slow here)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from analysis_media import qc_clip
from playwright.sync_api import Browser, Page, expect

from mam.models import Asset, AssetAnalysis
from mam.screen_text import replace_text
from web.conftest import WEB, Server, new_context, sign_in

LINES = [
    {
        "start": 0.52,
        "end": 2.0,
        "text": "湘乡市召开防汛工作会议",
        "region": "strap",
        "confidence": 0.97,
        "box": [0.05, 0.8, 0.5, 0.86],
    },
    {
        "start": 4.2,
        "end": 6.04,
        "text": "全市各部门要做好准备",
        "region": "subtitle",
        "confidence": 0.95,
        "box": [0.2, 0.88, 0.8, 0.95],
    },
]
SOUND = {
    "has_speech": True,
    "speech_seconds": 3.5,
    "segments": [
        {"kind": "other", "start": 0.0, "end": 1.0, "duration": 1.0},
        {"kind": "speech", "start": 1.0, "end": 3.0, "duration": 2.0},
        {"kind": "silence", "start": 3.0, "end": 4.5, "duration": 1.5},
        {"kind": "speech", "start": 4.5, "end": 6.0, "duration": 1.5},
        {"kind": "other", "start": 6.0, "end": 8.0, "duration": 2.0},
    ],
}


def wait_js(page: Page, expression: str, timeout: float = 30.0) -> None:
    """Wait until ``expression`` is true in the page (the page's CSP forbids the eval of wait_for_function)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"{expression} was still false after {timeout} s")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def asset(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A rendered clip (proxy) with two seeded lines of on-screen text and seeded speech segments."""
    clip, _ = qc_clip(tmp_path_factory.mktemp("text-clip") / "flood_meeting.mkv", seconds=8)
    with httpx.Client(base_url=server.url, headers=server.key("admin"), timeout=60) as client:
        with clip.open("rb") as handle:
            answer = client.post(
                "/api/v1/assets", files={"file": (clip.name, handle)}, data={"title": "防汛会议", "profiles": "proxy"}
            )
        assert answer.status_code == 201, answer.text
        asset_id = answer.json()["id"]
        deadline = time.monotonic() + 240
        read: dict[str, Any] = {}
        while time.monotonic() < deadline:
            read = client.get(f"/api/v1/assets/{asset_id}").json()
            if read["jobs"] and all(j["state"] in ("done", "failed", "cancelled") for j in read["jobs"]):
                break
            time.sleep(0.3)
        assert read["status"] == "ready", read
    with server.services.session() as session:
        row = session.get(Asset, asset_id)
        assert row is not None
        replace_text(session, row, LINES)
        analysis = session.get(AssetAnalysis, asset_id)
        assert analysis is not None
        analysis.measurements = {**analysis.measurements, "sound": SOUND}
        session.commit()
    yield read


def open_asset(page: Page, asset: dict[str, Any]) -> None:
    page.goto(f"/assets/{asset['id']}")
    expect(page.get_by_test_id("asset-title")).to_contain_text(asset["title"])
    wait_js(page, "document.querySelector('video')?.readyState >= 1")


def test_the_text_tab_lists_the_lines_and_a_click_seeks_to_the_start(
    page: Page, asset: dict[str, Any], tmp_path: Path
) -> None:
    open_asset(page, asset)
    page.get_by_role("tab", name="屏幕文字").click()
    lines = page.get_by_test_id("text-lines")
    expect(lines.get_by_role("button")).to_have_count(2)
    second = lines.get_by_role("button", name="全市各部门要做好准备")
    expect(second).to_contain_text("00:00:04.200")
    expect(second).to_contain_text("字幕")
    expect(lines.get_by_role("button", name="湘乡市召开防汛工作会议")).to_contain_text("标题条")
    srt = page.get_by_role("link", name="text.srt")
    assert (srt.get_attribute("href") or "").endswith(f"/assets/{asset['id']}/text.srt")
    assert (page.get_by_role("link", name="text.vtt").get_attribute("href") or "").endswith("/text.vtt")
    answer = page.request.get(srt.get_attribute("href") or "")
    assert answer.ok and "全市各部门要做好准备" in answer.text()
    page.screenshot(path=str(tmp_path / "1-text-tab.png"), full_page=True)
    second.click()
    wait_js(page, "!document.querySelector('video').seeking")
    assert float(page.evaluate("document.querySelector('video').currentTime")) == pytest.approx(4.2, abs=0.05)
    expect(second).to_have_attribute("aria-current", "true")
    page.screenshot(path=str(tmp_path / "2-seeked.png"), full_page=True)


def test_speech_segments_are_drawn_on_the_timeline_and_has_speech_shows(
    page: Page, asset: dict[str, Any], tmp_path: Path
) -> None:
    open_asset(page, asset)
    strip = page.get_by_role("group", name="声音：语音、其他声音与静音")
    expect(strip.get_by_test_id("sound-segment-speech")).to_have_count(2)
    expect(strip.get_by_test_id("sound-segment-other")).to_have_count(2)
    expect(strip.get_by_test_id("sound-segment-silence")).to_have_count(1)
    first = strip.get_by_test_id("sound-segment-speech").first
    assert first.get_attribute("data-start") == "1" and first.get_attribute("data-end") == "3"
    assert (first.get_attribute("title") or "").startswith("语音 00:00:01.000")
    box, bar = first.bounding_box(), page.get_by_test_id("timeline").bounding_box()
    assert box and bar and box["width"] == pytest.approx(bar["width"] * 2 / 8, abs=3)  # 2 s of 8
    expect(page.get_by_test_id("sound-legend")).to_contain_text("语音")
    expect(page.get_by_test_id("has-speech")).to_have_text("有语音")
    page.screenshot(path=str(tmp_path / "sound-strip.png"), full_page=True)


def test_axe_finds_no_serious_or_critical_violation_on_the_text_tab_and_sound_strip(
    browser: Browser, server: Server, asset: dict[str, Any]
) -> None:
    axe = WEB / "node_modules" / "axe-core" / "axe.min.js"
    if not axe.is_file():
        pytest.fail(f"{axe} is missing: run npm ci in web/ (make install does)")
    context = new_context(browser, server, bypass_csp=True)
    try:
        sign_in(context, server)
        page = context.new_page()
        open_asset(page, asset)
        page.get_by_role("tab", name="屏幕文字").click()
        expect(page.get_by_test_id("text-lines").get_by_role("button")).to_have_count(2)
        page.add_script_tag(path=str(axe))
        result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
        found = [
            f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in result if v["impact"] in ("serious", "critical")
        ]
        assert not found, found
    finally:
        context.close()


def test_english_and_the_empty_state(browser: Browser, server: Server, asset: dict[str, Any], tmp_path: Path) -> None:
    with server.services.session() as session:
        row = session.get(Asset, asset["id"])
        assert row is not None
        replace_text(session, row, [])
    context = new_context(browser, server)
    try:
        sign_in(context, server)
        page = context.new_page()
        page.goto("/")
        page.evaluate("localStorage.setItem('mam.locale', 'en')")
        open_asset(page, asset)
        page.get_by_role("tab", name="On-screen text").click()
        expect(page.get_by_test_id("text-none")).to_have_text("No on-screen text was read")
        expect(page.get_by_test_id("has-speech")).to_have_text("Has speech")
        expect(page.get_by_role("group", name="Sound: speech, other sound and silence")).to_be_visible()
        page.screenshot(path=str(tmp_path / "english-empty.png"), full_page=True)
    finally:
        context.close()
