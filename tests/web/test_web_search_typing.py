"""Searching as one types, with the server's answers held back in the browser (Playwright routes) to put
them in any order: an answer to older words never replaces the results of newer ones, and while
searches are on their way the newest words wait for one to end (never more than two at once), the
words typed in between never searched."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import catalog_asset
from playwright.sync_api import Page, Route, expect

from web.conftest import Server

FLOOD, SPORT = "防汛检查简报", "体育快讯"


@pytest.fixture(scope="module")
def catalogued(server: Server) -> Iterator[None]:
    with server.services.session() as session:
        session.add_all(catalog_asset("default", 900 + n, title) for n, title in enumerate((FLOOD, SPORT)))
        session.commit()
    yield


def _words(route: Route) -> str | None:
    """The words of a hits request (not the facets' of one), else None."""
    query = parse_qs(urlparse(route.request.url).query)
    if query.get("facets") != ["false"]:
        return None
    return query.get("q", [""])[0]


def _until(page: Page, done: Callable[[], bool]) -> None:
    """Let Playwright handle the browser's events until ``done()`` (at most the tests' 30 s wait)."""
    for _ in range(1500):
        if done():
            return
        page.wait_for_timeout(20)
    raise AssertionError("the browser never did it")


def _settled(page: Page) -> None:
    """Let the page handle what has arrived: two frames and a task after them."""
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r))))")


def test_an_answer_to_older_words_never_replaces_the_results_of_newer_ones(page: Page, catalogued: None) -> None:
    held: list[Route] = []

    def hold(route: Route) -> None:
        if _words(route) == "防汛":
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/v1/search?*", hold)
    page.goto("/assets")
    results = page.get_by_test_id("results")
    expect(page.locator(".results")).to_have_attribute("data-query", "")
    box = page.get_by_role("searchbox", name="搜索素材")
    box.fill("防汛")
    _until(page, lambda: len(held) == 1)
    box.fill("体育")
    expect(page.locator(".results")).to_have_attribute("data-query", "体育")
    expect(results).to_contain_text(SPORT)
    with page.expect_request_finished(lambda r: "q=%E9%98%B2%E6%B1%9B" in r.url):
        held[0].continue_()  # the answer to the older words arrives last
    _settled(page)
    expect(page.locator(".results")).to_have_attribute("data-query", "体育")
    expect(results).to_contain_text(SPORT)
    expect(results).not_to_contain_text(FLOOD)
    expect(page).to_have_url(re.compile(r"/assets\?q=%E4%BD%93%E8%82%B2$"))


def test_while_two_searches_are_on_their_way_the_newest_words_wait_and_the_words_between_are_skipped(
    page: Page, catalogued: None
) -> None:
    held: list[Route] = []
    asked: list[str] = []
    holding = True

    def hold(route: Route) -> None:
        words = _words(route)
        if words:
            asked.append(words)
        if words and holding:
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/v1/search?*", hold)
    page.goto("/assets")
    expect(page.locator(".results")).to_have_attribute("data-query", "")
    box = page.get_by_role("searchbox", name="搜索素材")
    for words, on_their_way in (("防", 1), ("防汛", 2)):
        box.fill(words)
        _until(page, lambda: len(held) == on_their_way)  # noqa: B023 (used at once)
    box.fill("防汛检")
    box.fill("防汛检查")
    _settled(page)
    assert asked == ["防", "防汛"]  # two on their way: the newest words wait
    holding = False
    held.pop(0).continue_()  # one ends: the newest words go
    _until(page, lambda: len(asked) > 2)
    held.pop(0).continue_()
    expect(page.locator(".results")).to_have_attribute("data-query", "防汛检查")
    expect(page.get_by_test_id("results")).to_contain_text(FLOOD)
    assert list(dict.fromkeys(asked)) == ["防", "防汛", "防汛检查"]


def test_deleting_from_the_list_asks_first_with_the_box_fetched_when_needed(
    signed_in: Callable[..., Page], server: Server
) -> None:
    page = signed_in("admin")
    with server.services.session() as session:
        session.add(catalog_asset("default", 950, "待删除的测试素材"))
        session.commit()
    page.goto("/assets?q=待删除的测试素材")
    hit = page.get_by_test_id("results").locator("li.hit")
    expect(hit).to_have_count(1)
    hit.get_by_test_id("delete-asset").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("待删除的测试素材")
    dialog.get_by_role("button", name="删除").click()
    expect(hit).to_have_count(0)
