"""A Chinese screen says the API's refusals in Chinese (from the problem's code and params, never its
English detail), and an asset shared with the centre names its owner by the owner's name."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from conftest import Media
from playwright.sync_api import Browser, Page, expect

from mam.catalog import ensure_tenant
from web.conftest import Server, new_context

Shot = Callable[[Page, str], Path]
CJK = re.compile(r"[\u4e00-\u9fff]")
PROVINCE, PROVINCE_NAME = "province", "省级融媒体中心"


def chinese_not_english(text: str, detail: str) -> None:
    """``text`` is Chinese and quotes no sentence of the API's English ``detail``."""
    assert CJK.search(text), text
    sentences = [s.strip() for s in re.split(r"[;:.]", detail) if len(s.strip()) > 12]
    assert sentences, detail
    assert not any(s in text for s in sentences), (text, detail)
    assert not re.search(r"\b(the|is|not|and|of)\b", text), text


def upload(server: Server, path: Path, headers: dict[str, str], title: str) -> dict[str, Any]:
    with path.open("rb") as handle:
        answer = httpx.post(
            f"{server.url}/api/v1/assets",
            files={"file": (path.name, handle)},
            data={"title": title},
            headers=headers,
            timeout=60,
        )
    assert answer.status_code == 201, answer.text
    asset: dict[str, Any] = answer.json()
    return asset


def test_a_wrong_password_is_refused_in_chinese(browser: Browser, server: Server, shot: Shot) -> None:
    name, _ = server.user("editor")
    detail = httpx.post(f"{server.url}/api/v1/session", json={"name": name, "password": "wrong"}).json()["detail"]
    context = new_context(browser, server)
    page = context.new_page()
    page.goto("/")
    page.locator("#signin-name").fill(name)
    page.locator("#signin-password").fill("not the password")
    page.get_by_role("button", name="登录").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("用户名或密码错误")
    shot(page, "wrong-password")
    chinese_not_english(alert.inner_text(), detail)
    context.close()


def test_a_file_that_is_not_media_is_refused_in_chinese(page: Page, server: Server, tmp_path: Path, shot: Shot) -> None:
    notes = tmp_path / "采访提纲.mp4"
    notes.write_text("这不是视频文件。\n" * 50, encoding="utf-8")
    with notes.open("rb") as handle:
        refused = httpx.post(
            f"{server.url}/api/v1/assets", files={"file": (notes.name, handle)}, headers=server.key(), timeout=60
        )
    assert refused.status_code == 422 and refused.json()["code"] == "media-unreadable", refused.text
    page.goto("/upload")
    page.get_by_label("选择文件", exact=True).set_input_files(str(notes))
    item = page.locator(f'[data-name="{notes.name}"]')
    expect(item).to_have_attribute("data-state", "failed")
    error = item.get_by_test_id("upload-error")
    expect(error).to_contain_text("不是可识别的音视频文件")
    shot(page, "not-media")
    text = error.inner_text()
    assert notes.name in text
    chinese_not_english(text, refused.json()["detail"])


def test_an_over_long_custom_value_is_refused_in_chinese_under_its_field(
    page: Page, server: Server, media: Media, shot: Shot
) -> None:
    admin = server.key()
    defined = httpx.put(
        f"{server.url}/api/v1/fields/source_unit", json={"kind": "keyword", "label": "供稿单位"}, headers=admin
    )
    assert defined.status_code == 200, defined.text
    asset = upload(server, media.silent, admin, "乡镇新闻")
    long_value = "县" * 250
    refused = httpx.patch(
        f"{server.url}/api/v1/assets/{asset['id']}", json={"custom": {"source_unit": long_value}}, headers=admin
    )
    assert refused.status_code == 422 and refused.json()["code"] == "custom-too-long", refused.text

    page.goto(f"/assets/{asset['id']}")
    expect(page.get_by_test_id("asset-title")).to_contain_text("乡镇新闻")
    page.get_by_role("tab", name="编目").click()
    page.get_by_label("供稿单位").fill(long_value)
    page.get_by_test_id("metadata-save").click()
    item = page.locator(".el-form-item", has=page.get_by_label("供稿单位"))
    error = item.locator(".el-form-item__error")
    expect(error).to_contain_text("最多 200 个字符")
    shot(page, "too-long")
    text = error.inner_text()
    assert "供稿单位" in text
    chinese_not_english(text, refused.json()["detail"])


def test_a_shared_asset_is_marked_with_its_owners_name(page: Page, server: Server, media: Media, shot: Shot) -> None:
    with server.services.session() as session:
        ensure_tenant(session, PROVINCE, PROVINCE_NAME)
    province = server.key(tenant=PROVINCE)
    asset = upload(server, media.phone, province, "省台共享稿件")
    shared = httpx.post(
        f"{server.url}/api/v1/assets/{asset['id']}/shares", json={"tenants": ["default"]}, headers=province
    )
    assert shared.status_code == 200, shared.text

    page.goto("/")
    deadline = time.monotonic() + 30
    mark = page.locator(".hit", has_text="省台共享稿件").get_by_test_id("shared-mark")
    while not mark.count() and time.monotonic() < deadline:  # the search index learns of the share
        page.reload()
        page.wait_for_timeout(500)
    expect(mark).to_contain_text(PROVINCE_NAME)
    assert PROVINCE not in mark.inner_text()
    shot(page, "list")

    page.goto(f"/assets/{asset['id']}")
    marker = page.get_by_test_id("shared-marker")
    expect(marker).to_contain_text(PROVINCE_NAME)
    assert "province" not in marker.inner_text()
    shot(page, "asset")
