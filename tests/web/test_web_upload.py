"""Uploading in a real browser: over tus, resumed after the page was reloaded in the middle; a file
that is not media is refused with the API's own reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from transcode import generate
from web.conftest import Server

Shot = Callable[[Page, str], Path]
CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clip of a few hundred kB: about ten tus chunks of 64 kB."""
    made = generate.phone_clip(tmp_path_factory.mktemp("upload") / "县城新闻.mp4", seconds=2.0)
    assert made.stat().st_size > 8 * CHUNK
    return made


def test_an_upload_over_tus_resumes_after_a_page_reload_and_finishes(
    page: Page, server: Server, clip: Path, shot: Shot
) -> None:
    page.add_init_script(f"localStorage.setItem('mam.upload.chunkBytes', '{CHUNK}')")
    held: list[Route] = []
    patches = 0

    def slow_network(route: Route) -> None:
        nonlocal patches
        if route.request.method != "PATCH":
            route.continue_()
            return
        patches += 1
        if patches <= 3:
            route.continue_()
        else:
            held.append(route)  # the link stalls: this chunk never arrives

    page.route(re.compile(r".*/api/v1/uploads/.+"), slow_network)
    page.goto("/upload")
    page.get_by_label("选择文件", exact=True).set_input_files(str(clip))
    item = page.locator(f'[data-name="{clip.name}"]')
    expect(item).to_have_attribute("data-state", "uploading")
    page.wait_for_function("() => document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow') > 0")
    for _ in range(400):  # the page's events (the held route among them) are handled while it waits
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "no chunk was held back"
    shot(page, "stalled")
    page.unroute(re.compile(r".*/api/v1/uploads/.+"))
    page.reload()
    expect(page.get_by_test_id("unfinished")).to_contain_text(clip.name)
    shot(page, "after-reload")
    page.get_by_label("选择文件", exact=True).set_input_files(str(clip))
    expect(item).to_have_attribute("data-state", "done")
    resumed = item.get_by_test_id("resumed")
    expect(resumed).to_contain_text("继续上传")
    percent = int(re.findall(r"\d+", resumed.inner_text())[0])
    assert 0 < percent < 100
    shot(page, "finished")
    assets = httpx.get(f"{server.url}/api/v1/assets", headers=server.key("viewer"), timeout=30).json()["items"]
    (asset,) = [a for a in assets if a["original_filename"] == clip.name]
    assert asset["size"] == clip.stat().st_size


def test_a_file_that_is_not_media_is_refused_with_the_apis_reason(page: Page, tmp_path: Path, shot: Shot) -> None:
    notes = tmp_path / "采访提纲.txt"
    notes.write_text("这不是视频文件。\n" * 50, encoding="utf-8")
    page.goto("/upload")
    page.get_by_label("选择文件", exact=True).set_input_files(str(notes))
    item = page.locator(f'[data-name="{notes.name}"]')
    expect(item).to_have_attribute("data-state", "failed")
    error = item.get_by_test_id("upload-error")
    expect(error).to_contain_text("被拒绝")
    shot(page, "refused")
    assert "HTTP" not in error.inner_text()


def test_in_english_no_screen_shows_chinese(signed_in: Callable[..., Page], shot: Shot) -> None:
    page = signed_in()
    page.add_init_script("localStorage.setItem('mam.locale', 'en')")
    for path, heading in (("/upload", "Upload"), ("/nowhere", "There is no such page")):  # no catalog data
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        shown = page.locator("body").inner_text().replace("简体中文", "")  # the language menu names itself
        assert not re.search(r"[\u3400-\u9fff]", shown), (path, shown)
        shot(page, f"english-{path.strip('/')}")
    page.get_by_role("combobox", name="Language").select_option("zh-CN")
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
