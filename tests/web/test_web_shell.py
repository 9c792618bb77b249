"""The workspace's shell in a real browser: signing in and out, searching as one types (characters,
pinyin, traditional script), the shared mark, facets, and an accessibility scan of each page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from transcode import generate
from web.conftest import Server, new_context

Shot = Callable[[Page, str], Path]


@pytest.fixture(scope="module")
def xiangxiang(server: Server, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An asset titled with 湘乡 (a county of Hunan), and another one, ingested over the API."""
    folder = tmp_path_factory.mktemp("clips")
    made = [
        ingest(server, generate.silent_clip(folder / "sport.mp4", seconds=1.0, width=160, height=90), "体育快讯"),
        ingest(
            server, generate.silent_clip(folder / "xx.mp4", seconds=1.2, width=160, height=90), "湘乡市防汛抗旱会议"
        ),
    ]
    return made[1]


def ingest(server: Server, clip: Path, title: str, tags: str = "会议") -> dict[str, Any]:
    with clip.open("rb") as body:
        answer = httpx.post(
            f"{server.url}/api/v1/assets",
            headers=server.key("editor"),
            files={"file": (clip.name, body, "video/mp4")},
            data={"title": title, "tags": tags, "profiles": "poster"},
            timeout=60,
        )
    assert answer.status_code in (200, 201, 202), answer.text
    asset: dict[str, Any] = answer.json()
    return asset


def test_a_person_signs_in_with_name_and_password_sees_who_they_are_and_signs_out(
    browser: Browser, server: Server, shot: Shot
) -> None:
    name, password = server.user("editor")
    context = new_context(browser, server)
    page = context.new_page()
    page.goto("/assets")
    expect(page).to_have_url(f"{server.url}/signin?next=/assets")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码", exact=True).fill("not the password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("登录失败")
    shot(page, "wrong-password")
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{server.url}/assets")
    expect(page.get_by_test_id("whoami")).to_contain_text(name)
    expect(page.get_by_test_id("whoami")).to_contain_text("编辑")
    shot(page, "signed-in")
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(f"{server.url}/signin")
    page.goto("/assets")
    expect(page).to_have_url(f"{server.url}/signin?next=/assets")  # the session really ended
    context.close()


def test_search_finds_the_same_asset_by_characters_pinyin_and_traditional_script(
    page: Page, xiangxiang: dict[str, Any], shot: Shot
) -> None:
    page.goto("/assets")
    expect(page.get_by_test_id("results").locator("li.hit")).to_have_count(2)  # newest first, nothing typed
    box = page.get_by_role("searchbox", name="搜索素材")
    for words in ("湘乡", "xiangxiang", "湘鄉"):
        box.fill(words)
        hit = page.locator(f'[data-asset-id="{xiangxiang["id"]}"]')
        expect(hit).to_be_visible()
        expect(page).to_have_url(re.compile(re.escape(f"q={quote(words)}") + "$"))
        expect(page.get_by_test_id("results").locator("li.hit")).to_have_count(1)
        shot(page, f"search-{words}")
    box.fill("湘乡 没有这样的词")
    expect(page.get_by_text("没有找到匹配的素材")).to_be_visible()
