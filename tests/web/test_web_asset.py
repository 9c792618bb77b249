"""The asset page (web/src/asset/) in a real browser: Playwright driving Debian's Chromium against a
live server with in-process workers, on generated clips (a QC clip with black, frozen and silent
stretches and a few shots; a tone for the waveform).

One server and one set of renders for the module; each test keeps screenshots of its steps under its
temporary folder."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from analysis_media import qc_clip, tone_wav
from live_server import live_server
from playwright.sync_api import Browser, BrowserContext, Page, expect

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.identity import create_key
from mam.identity.users import create_user
from mam.services import Services
from mam.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "asset-page-test-password-1"
OWN, OTHER = "xiangxiang", "shaoshan"
RATE = 25

# A small HLS ladder, so the test clip (320x180) gets two levels to switch between.
SMALL_HLS = """name = "hls"
description = "test ladder: two small rungs"
container = "hls"
extension = "m3u8"
applies_to = ["video"]

[video]
codec = "libx264"
width = 320
height = 180
frame_rate = "source"
bitrate = "400k"
h264_profile = "high"
preset = "ultrafast"
gop_seconds = 2.0

[streaming]
segment_seconds = 2.0

[[streaming.ladder]]
width = 320
height = 180
bitrate = "400k"
max_bitrate = "600k"

[[streaming.ladder]]
width = 256
height = 144
bitrate = "150k"
max_bitrate = "250k"

[audio]
codec = "aac"
bitrate = "64k"
channels = 2
sample_rate = 48000
"""


@dataclass
class Site:
    url: str
    services: Services
    video: dict[str, Any]
    audio: dict[str, Any]
    key: dict[str, str]


def _wait_ready(client: httpx.Client, asset_id: str, timeout: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    asset: dict[str, Any] = {}
    while time.monotonic() < deadline:
        asset = client.get(f"/api/v1/assets/{asset_id}").json()
        if asset["jobs"] and all(j["state"] in ("done", "failed", "cancelled") for j in asset["jobs"]):
            assert asset["status"] == "ready", asset
            return asset
        time.sleep(0.3)
    raise AssertionError(f"asset {asset_id} was not ready in {timeout} s: {asset}")


@pytest.fixture(scope="module")
def site(web_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A live server (jobs in its process) with two assets of one centre, rendered: a QC clip (proxy,
    a two-level HLS ladder, poster) and a tone (proxy); an editor of that centre and one of another."""
    home = tmp_path_factory.mktemp("asset-page")
    profiles = home / "profiles"
    profiles.mkdir()
    for path in (ROOT / "profiles").glob("*.toml"):
        shutil.copy(path, profiles / path.name)
    (profiles / "hls.toml").write_text(SMALL_HLS, encoding="utf-8")
    clip, _ = qc_clip(home / "evening_news.mkv", seconds=8)
    tone = tone_wav(home / "radio_bulletin.wav", -20.0, seconds=4.0)
    settings = Settings.from_env(
        {
            "MAM_HOME": str(home / "data"),
            "MAM_PROFILES_DIR": str(profiles),
            "MAM_WEB_DIST": str(web_dist),
            "MAM_RATE_PER_KEY": "0",
            "MAM_RATE_PER_ADDRESS": "0",
            "MAM_JOB_SWEEP_SECONDS": "1",
        }
    )
    app = create_app(settings, run_workers=True)
    with live_server(app) as url:
        services: Services = app.state.services
        with services.session() as session:
            ensure_tenant(session, OWN, name="湘乡市融媒体中心")
            ensure_tenant(session, OTHER, name="韶山市融媒体中心")
            create_user(session, services.roles, "wang", OWN, "editor", PASSWORD)
            create_user(session, services.roles, "li", OTHER, "editor", PASSWORD)
            made = create_key(session, services.roles, OWN, "admin", "tests")
        key = {"Authorization": f"Bearer {made.key}"}
        with httpx.Client(base_url=url, headers=key, timeout=60) as client:
            ids = []
            for path, fields in (
                (clip, {"title": "县城晚间新闻", "tags": "民生", "profiles": "proxy,hls,poster"}),
                (tone, {"title": "广播早新闻", "profiles": "proxy"}),
            ):
                with path.open("rb") as handle:
                    answer = client.post("/api/v1/assets", files={"file": (path.name, handle)}, data=fields)
                assert answer.status_code == 201, answer.text
                ids.append(answer.json()["id"])
            video, audio = (_wait_ready(client, asset_id) for asset_id in ids)
        yield Site(url, services, video, audio, key)


def signed_in(browser: Browser, site: Site, name: str = "wang", locale: str = "zh-CN") -> BrowserContext:
    context = browser.new_context(
        base_url=site.url, locale=locale, accept_downloads=True, viewport={"width": 1400, "height": 900}
    )
    answer = context.request.post("/api/v1/session", data={"name": name, "password": PASSWORD})
    assert answer.ok, answer.text()
    return context


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    context = signed_in(browser, site)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    yield opened
    context.close()
    assert not problems, problems


def shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def wait_js(page: Page, expression: str, timeout: float = 30.0) -> None:
    """Wait until ``expression`` is true in the page (evaluated from outside: the page's CSP forbids eval,
    which Playwright's wait_for_function uses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"{expression} was still false after {timeout} s")
        time.sleep(0.05)


def media_time(page: Page) -> float:
    return float(page.evaluate("document.querySelector('video, audio').currentTime"))


def open_asset(page: Page, asset: dict[str, Any], query: str = "") -> None:
    page.goto(f"/assets/{asset['id']}{query}")
    expect(page.get_by_test_id("asset-title")).to_contain_text(asset["title"])
    wait_js(page, "document.querySelector('video, audio')?.readyState >= 1")


def test_an_editor_opens_an_asset_and_the_proxy_plays(page: Page, site: Site, tmp_path: Path) -> None:
    open_asset(page, site.video)
    assert page.evaluate("document.querySelector('video').currentSrc").endswith("/renditions/proxy")
    shot(page, tmp_path, "1-opened")
    page.get_by_role("button", name="播放（空格）").click()
    wait_js(page, "document.querySelector('video').currentTime > 0.5")
    shot(page, tmp_path, "2-playing")
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="播放（空格）")).to_be_visible()


def test_j_k_l_shuttle_forwards_faster_stops_and_plays_backwards(page: Page, site: Site, tmp_path: Path) -> None:
    open_asset(page, site.video, "?t=4")
    wait_js(page, "document.querySelector('video').currentTime >= 4")
    page.keyboard.press("k")
    page.keyboard.press("l")
    page.keyboard.press("l")
    wait_js(page, "document.querySelector('video').playbackRate === 2 && !document.querySelector('video').paused")
    page.keyboard.press("k")
    wait_js(page, "document.querySelector('video').paused")
    before = media_time(page)
    page.keyboard.press("j")
    wait_js(page, f"document.querySelector('video').currentTime < {before - 0.5}")
    shot(page, tmp_path, "backwards")
    page.keyboard.press("k")
    expect(page.get_by_role("button", name="播放（空格）")).to_be_visible()


def test_t_in_the_url_starts_playing_there(page: Page, site: Site, tmp_path: Path) -> None:
    open_asset(page, site.video, "?t=5")
    wait_js(page, "document.querySelector('video').currentTime >= 5")
    shot(page, tmp_path, "started-at-5s")


def test_hls_plays_through_hls_js_and_switches_level(page: Page, site: Site, tmp_path: Path) -> None:
    open_asset(page, site.video)
    page.get_by_test_id("source-hls").click()
    menu = page.get_by_label("清晰度")
    expect(menu.locator("option")).to_have_count(3)  # automatic and two levels
    assert page.evaluate("document.querySelector('video').src").startswith("blob:")  # MSE: hls.js
    page.get_by_role("button", name="播放（空格）").click()
    wait_js(page, "document.querySelector('video').currentTime > 0.3")
    playing = page.get_by_test_id("level-playing")
    expect(playing).not_to_have_attribute("data-level", "-1")
    first = playing.get_attribute("data-level")
    other = "0" if first == "1" else "1"
    shot(page, tmp_path, "1-hls-playing")
    menu.select_option(other)
    expect(playing).to_have_attribute("data-level", other, timeout=20_000)
    height = menu.locator(f"option[value='{other}']").inner_text().split(" ")[0]  # "144p" or "180p"
    assert height in ("144p", "180p")
    expect(playing).to_contain_text(height)
    shot(page, tmp_path, "2-level-switched")


def test_a_click_on_a_shot_lands_on_its_first_frame(page: Page, site: Site, tmp_path: Path) -> None:
    with httpx.Client(base_url=site.url, headers=site.key) as client:
        shots = client.get(f"/api/v1/assets/{site.video['id']}/shots").json()["shots"]
    assert len(shots) >= 2
    target = shots[-1]
    open_asset(page, site.video)
    expect(page.get_by_test_id(f"shot-{target['number']}")).to_be_visible()
    shot(page, tmp_path, "1-shots")
    page.get_by_test_id("timeline").hover(position={"x": 40, "y": 10})
    expect(page.get_by_test_id("storyboard-preview").locator(".thumb")).to_be_visible()  # the WebVTT track
    shot(page, tmp_path, "1-storyboard")
    page.get_by_test_id(f"shot-{target['number']}").click()
    wait_js(page, "!document.querySelector('video').seeking")
    assert int(media_time(page) * RATE + 1e-3) == target["first_frame"]
    expect(page.get_by_test_id("timecode")).to_have_text(target["start_timecode"])
    shot(page, tmp_path, "2-on-first-frame")


def test_the_qc_report_and_its_segments_show(page: Page, site: Site, tmp_path: Path) -> None:
    open_asset(page, site.video)
    page.get_by_role("tab", name="技审").click()
    checks = page.get_by_test_id("qc-checks")
    expect(checks.locator("tr[data-check='black']")).to_have_attribute("data-status", re.compile("warn|fail"))
    expect(checks.locator("tr[data-check='freeze']")).to_have_attribute("data-status", re.compile("warn|fail"))
    expect(page.get_by_test_id("qc-segment-black").first).to_be_attached()
    expect(page.get_by_test_id("qc-segment-freeze").first).to_be_attached()
    shot(page, tmp_path, "qc")


def test_marks_in_and_out_with_i_and_o_export_and_the_download_lasts_the_marked_range(
    page: Page, site: Site, tmp_path: Path
) -> None:
    open_asset(page, site.video)
    page.locator("button[data-first-frame='0']").click()  # the first shot: frame 0
    page.locator("body").click(position={"x": 5, "y": 5})
    for _ in range(RATE):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("i")
    for _ in range(2 * RATE):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("o")
    expect(page.get_by_test_id("marks")).to_contain_text("00:00:01:00")
    expect(page.get_by_test_id("marks")).to_contain_text("00:00:03:00")
    shot(page, tmp_path, "1-marked")
    page.get_by_role("tab", name="导出与转码").click()
    page.get_by_label("导出模板").select_option("proxy")
    page.get_by_test_id("export-button").click()
    link = page.get_by_test_id("export-download")
    expect(link).to_be_visible(timeout=120_000)
    shot(page, tmp_path, "2-exported")
    with page.expect_download() as waiting:
        link.click()
    saved = tmp_path / "export.mp4"
    waiting.value.save_as(saved)
    with av.open(str(saved)) as made:
        stream = made.streams.video[0]
        frames = sum(1 for _ in made.decode(stream))
    assert frames == 2 * RATE


def test_a_rendition_asked_for_appears_by_itself_when_its_job_ends_and_downloads(
    page: Page, site: Site, tmp_path: Path
) -> None:
    open_asset(page, site.video)
    page.get_by_role("tab", name="导出与转码").click()
    renditions = page.get_by_test_id("renditions")
    expect(renditions).not_to_contain_text("广播音频")
    page.get_by_role("combobox", name="选择要追加生成的模板").click(force=True)
    page.get_by_role("listbox", name="选择要追加生成的模板").get_by_role("option", name="广播音频（radio）").click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="追加转码").click()
    expect(page.get_by_text("已排队：广播音频（radio）")).to_be_visible()
    shot(page, tmp_path, "1-asked")
    expect(renditions).to_contain_text("广播音频（radio）", timeout=120_000)  # no reload: the page follows the job
    shot(page, tmp_path, "2-made")
    with page.expect_download() as waiting:
        page.get_by_role("link", name="下载广播音频（radio）").click()
    saved = tmp_path / "radio.mp3"
    waiting.value.save_as(saved)
    with av.open(str(saved)) as made:
        assert abs(float(made.duration or 0) / 1e6 - 8.0) < 0.2


def test_an_edited_title_is_found_by_search_at_once(page: Page, site: Site, tmp_path: Path) -> None:
    open_asset(page, site.video)
    page.get_by_role("tab", name="编目").click()
    title = page.get_by_label("标题")
    title.fill("县城晚间新闻 乡村振兴特别报道")
    shot(page, tmp_path, "1-edited")
    page.get_by_test_id("metadata-save").click()
    expect(page.get_by_test_id("asset-title")).to_have_text("县城晚间新闻 乡村振兴特别报道")
    found = page.request.get("/api/v1/search", params={"q": "乡村振兴"}).json()
    assert [hit["asset"]["id"] for hit in found["items"]] == [site.video["id"]]
    shot(page, tmp_path, "2-saved")


def test_the_api_refusal_of_a_field_is_shown_under_it(page: Page, site: Site, tmp_path: Path) -> None:
    open_asset(page, site.video)
    page.get_by_role("tab", name="编目").click()
    page.get_by_label("标题").fill("")
    page.get_by_test_id("metadata-save").click()
    item = page.locator(".el-form-item", has=page.get_by_label("标题"))
    expect(item.locator(".el-form-item__error")).to_have_text("不能为空")
    shot(page, tmp_path, "refused")


def test_an_audio_asset_gets_a_waveform_that_plays(page: Page, site: Site, tmp_path: Path) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    open_asset(page, site.audio)
    expect(page.get_by_test_id("waveform")).to_have_attribute("data-drawn", "true", timeout=30_000)
    assert any("/waveform?points=" in url for url in asked)  # peaks read on the server, not decoded here
    page.keyboard.press("l")
    wait_js(page, "document.querySelector('audio').currentTime > 0.3")
    shot(page, tmp_path, "waveform")


def test_sharing_shows_who_it_is_shared_with_and_the_other_centre_sees_it_read_only(
    page: Page, browser: Browser, site: Site, tmp_path: Path
) -> None:
    open_asset(page, site.video)
    page.get_by_role("tab", name="共享").click()
    page.get_by_role("combobox", name="选择要共享的中心").click(force=True)
    page.get_by_role("option", name="韶山市融媒体中心").click()
    page.get_by_role("button", name="共享", exact=True).click()
    expect(page.get_by_test_id("shared-with")).to_contain_text("韶山市融媒体中心")
    shot(page, tmp_path, "1-shared")
    other = signed_in(browser, site, "li")
    try:
        theirs = other.new_page()
        open_asset(theirs, site.video)
        expect(theirs.get_by_test_id("shared-marker")).to_contain_text("只读")
        theirs.get_by_role("tab", name="编目").click()
        expect(theirs.get_by_test_id("metadata-save")).to_have_count(0)
        expect(theirs.get_by_role("tab", name="共享")).to_have_count(0)
        theirs.screenshot(path=str(tmp_path / "2-read-only.png"), full_page=True)
    finally:
        other.close()


def test_english_is_complete_on_the_asset_page(browser: Browser, site: Site, tmp_path: Path) -> None:
    context = signed_in(browser, site, locale="en")
    try:
        page = context.new_page()
        page.goto("/")
        page.evaluate("localStorage.setItem('mam.locale', 'en')")
        open_asset(page, site.video)
        for tab in ("Shots", "QC", "Metadata", "Export & renditions", "Sharing"):
            page.get_by_role("tab", name=re.compile(f"^{re.escape(tab)}")).click()
            text = page.locator("article").inner_text()
            # the asset's own metadata and the centres' names may be Chinese; none of the page's words are
            own = set("县城晚间新闻 乡村振兴特别报道 民生 湘乡市融媒体中心 韶山市融媒体中心")
            leftover = [c for c in text if "\u4e00" <= c <= "\u9fff" and c not in own]
            assert not leftover, (tab, "".join(leftover))
            page.screenshot(path=str(tmp_path / f"en-{tab.split()[0].lower()}.png"), full_page=True)
    finally:
        context.close()


def test_axe_finds_no_serious_or_critical_violation_on_the_asset_page(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    axe = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
    if not axe.is_file():
        pytest.fail(f"{axe} is missing: run npm ci in web/ (make install does)")
    context = browser.new_context(
        base_url=site.url, locale="zh-CN", bypass_csp=True, viewport={"width": 1400, "height": 900}
    )
    try:
        assert context.request.post("/api/v1/session", data={"name": "wang", "password": PASSWORD}).ok
        page = context.new_page()
        open_asset(page, site.video)
        found: dict[str, list[str]] = {}
        for tab in ("镜头", "技审", "编目", "导出与转码", "共享"):
            page.get_by_role("tab", name=re.compile(f"^{tab}")).click()
            page.add_script_tag(path=str(axe))
            result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
            for violation in result:
                if violation["impact"] in ("serious", "critical"):
                    found.setdefault(tab, []).append(f"{violation['id']}: {[n['target'] for n in violation['nodes']]}")
            page.screenshot(path=str(tmp_path / f"axe-{tab}.png"), full_page=True)
        assert not found, json.dumps(found, ensure_ascii=False, indent=1)
    finally:
        context.close()
