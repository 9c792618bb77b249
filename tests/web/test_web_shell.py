"""The workspace's shell in a real browser: signing in and out, searching as one types (characters,
pinyin, traditional script), the shared mark, facets, and an accessibility scan of each page."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from transcode import generate
from web.conftest import WEB, Server, new_context, sign_in

Shot = Callable[[Page, str], Path]


@pytest.fixture(scope="module")
def xiangxiang(server: Server, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An asset titled with 湘乡 (a county of Hunan), and another one, ingested over the API."""
    folder = tmp_path_factory.mktemp("clips")
    made = [
        ingest(
            server, generate.silent_clip(folder / "sport.mp4", seconds=1.0, width=160, height=90), "体育快讯", "体育"
        ),
        ingest(
            server, generate.silent_clip(folder / "xx.mp4", seconds=1.2, width=160, height=90), "湘乡市防汛抗旱会议"
        ),
    ]
    return made[1]


def ingest(server: Server, clip: Path, title: str, tags: str = "防汛,会议", tenant: str = "default") -> dict[str, Any]:
    with clip.open("rb") as body:
        answer = httpx.post(
            f"{server.url}/api/v1/assets",
            headers=server.key("editor", tenant),
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
    page.keyboard.press("/")  # anywhere on the page: to the search box
    expect(box).to_be_focused()
    for words in ("湘乡", "xiangxiang", "湘鄉"):
        box.fill(words)
        hit = page.locator(f'[data-asset-id="{xiangxiang["id"]}"]')
        expect(hit).to_be_visible()
        expect(page).to_have_url(re.compile(re.escape(f"q={quote(words)}") + "$"))
        expect(page.get_by_test_id("results").locator("li.hit")).to_have_count(1)
        shot(page, f"search-{words}")
    box.fill("湘乡 没有这样的词")
    expect(page.get_by_text("没有找到匹配的素材")).to_be_visible()


def test_facets_narrow_the_list_and_a_click_again_widens_it(page: Page, xiangxiang: dict[str, Any], shot: Shot) -> None:
    page.goto("/assets")
    hits = page.get_by_test_id("results").locator("li.hit")
    expect(hits).to_have_count(2)
    page.get_by_role("list", name="标签").get_by_role("button", name=re.compile("^体育")).click()
    expect(hits).to_have_count(1)
    expect(page.get_by_test_id("results")).to_contain_text("体育快讯")
    expect(page).to_have_url(re.compile(r"tag=%E4%BD%93%E8%82%B2"))
    shot(page, "facet-tag")
    page.get_by_role("list", name="标签").get_by_role("button", name=re.compile("^体育")).click()
    expect(hits).to_have_count(2)
    page.get_by_role("combobox", name="排序").click(force=True)  # (Element Plus lays its placeholder over it)
    page.get_by_role("option", name="最早").click()
    expect(hits.first).to_contain_text("体育快讯")  # the oldest first


def test_an_asset_another_centre_shares_is_listed_and_marked_with_its_owner(
    page: Page, server: Server, tmp_path: Path, shot: Shot
) -> None:
    clip = generate.silent_clip(tmp_path / "province.mp4", seconds=1.0, width=160, height=90)
    theirs = ingest(server, clip, "全省防汛调度会", tenant="province")
    shared = httpx.post(
        f"{server.url}/api/v1/assets/{theirs['id']}/shares",
        headers=server.key("admin", "province"),
        json={"tenants": ["default"]},
        timeout=30,
    )
    assert shared.status_code in (200, 201), shared.text
    page.goto("/assets?q=全省防汛")
    hit = page.locator(f'[data-asset-id="{theirs["id"]}"]')
    expect(hit.get_by_test_id("shared-mark")).to_contain_text("province")
    shot(page, "shared")


def test_a_jobs_progress_moves_on_the_jobs_page_without_a_reload(
    page: Page, server: Server, tmp_path: Path, shot: Shot
) -> None:
    clip = generate.silent_clip(tmp_path / "long.mp4", seconds=6.0, width=480, height=270)
    page.goto("/jobs")
    expect(page.get_by_role("heading", name="任务")).to_be_visible()
    with clip.open("rb") as body:
        made = httpx.post(
            f"{server.url}/api/v1/assets",
            headers=server.key("editor"),
            files={"file": (clip.name, body, "video/mp4")},
            data={"title": "长片段", "profiles": "web_720p"},
            timeout=60,
        )
    assert made.status_code in (200, 201, 202), made.text
    row = page.locator(f'li.job:has(a[href="/assets/{made.json()["id"]}"])')
    expect(row).to_be_visible()  # it appeared by itself
    seen: list[tuple[str, str]] = []
    for _ in range(1200):
        state, value = row.evaluate(
            "row => [row.dataset.state, row.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow') ?? '']"
        )
        if not seen or seen[-1] != (state, value):
            seen.append((state, value))
            if state == "running" and len(seen) == 2:
                shot(page, "job-running")
        if state in ("done", "failed", "cancelled"):
            break
        page.wait_for_timeout(100)
    shot(page, "job-done")
    assert seen[-1][0] == "done", seen
    running = [int(value) for state, value in seen if state == "running" and value]
    assert len(seen) >= 3 and len(set(running)) >= 2, seen  # the bar moved, then the job ended
    assert running == sorted(running), seen


def test_a_newsroom_role_sees_no_upload_or_delete_controls_and_the_api_refuses_them(
    signed_in: Callable[..., Page], server: Server, xiangxiang: dict[str, Any], shot: Shot
) -> None:
    admin = signed_in("admin")
    admin.goto("/assets")
    expect(admin.get_by_role("link", name="上传")).to_be_visible()
    expect(admin.get_by_role("button", name=f"删除 {xiangxiang['title']}")).to_be_visible()
    shot(admin, "admin")

    newsroom = signed_in("newsroom")
    newsroom.goto("/assets")
    expect(newsroom.get_by_test_id("results").locator("li.hit").first).to_be_visible()
    expect(newsroom.get_by_role("link", name="上传")).to_have_count(0)
    expect(newsroom.get_by_role("link", name="任务")).to_have_count(0)  # newsroom may not follow jobs
    expect(newsroom.get_by_role("button", name=re.compile("^删除"))).to_have_count(0)
    shot(newsroom, "newsroom")
    newsroom.goto("/upload")
    expect(newsroom.get_by_role("heading", name="当前角色无权访问此页面")).to_be_visible()
    expect(newsroom.get_by_test_id("dropzone")).to_have_count(0)

    csrf = newsroom.request.get("/api/v1/session").json()["csrf_token"]
    write = {"X-CSRF-Token": csrf}
    tus = {**write, "Tus-Resumable": "1.0.0", "Upload-Length": "10", "Upload-Metadata": "filename eC5tcDQ="}
    assert newsroom.request.post("/api/v1/uploads", headers=tus).status == 403
    assert newsroom.request.delete(f"/api/v1/assets/{xiangxiang['id']}", headers=write).status == 403
    assert httpx.get(f"{server.url}/api/v1/assets/{xiangxiang['id']}", headers=server.key("viewer")).status_code == 200


AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"


def test_an_accessibility_scan_of_every_page_finds_nothing_serious(
    browser: Browser, server: Server, xiangxiang: dict[str, Any], shot: Shot
) -> None:
    context = new_context(browser, server, bypass_csp=True)  # axe-core is injected as a script of the test's
    page = context.new_page()
    found: dict[str, list[dict[str, Any]]] = {}

    def scan(name: str) -> None:
        page.wait_for_load_state("networkidle")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        found[name] = [{"id": v["id"], "nodes": [n["html"] for n in v["nodes"]][:3]} for v in bad]
        shot(page, f"axe-{name}")

    page.goto("/signin")
    expect(page.get_by_label("用户名")).to_be_visible()
    scan("signin")
    sign_in(context, server, "editor")
    for name, path in (("assets", "/assets?q=湘乡"), ("upload", "/upload"), ("jobs", "/jobs")):
        page.goto(path)
        expect(page.get_by_test_id("whoami")).to_be_visible()
        scan(name)
    context.close()
    assert not any(found.values()), json.dumps(found, ensure_ascii=False, indent=1)
