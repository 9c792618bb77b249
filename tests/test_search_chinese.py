"""The shared Chinese news metadata test set, with expected hits, on SQLite FTS5 and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import pytest
from conftest import make_settings
from sqlalchemy.orm import Session

from mam.catalog import AssetChanges, update_asset
from mam.jobs import create_asset_with_job
from mam.metadata import add_span, import_subtitles
from mam.models import Asset
from mam.search import SearchRequest, search
from mam.services import Services, open_services

# key: title, description, programme, reporter, place, tags, shoot date, duration, media kind
NEWS = {
    "flood": (
        "湘鄉市防汛搶險工作部署會",
        "市委书记主持召开会议，部署全市防汛抢险工作。",
        "湘乡新闻",
        "张三",
        "湘乡市",
        ["防汛", "民生"],
        date(2024, 6, 12),
        95.0,
        "video",
    ),
    "live": (
        "县城CCTV13连线报道",
        "记者在湘乡东山街道采访群众",
        "新闻联播",
        "李四",
        "东山街道",
        ["连线"],
        date(2024, 7, 1),
        300.0,
        "video",
    ),
    "farm": (
        "农业简讯",
        "今年防汛形势复杂。各地抢险队伍已到位。",
        "农业天地",
        "王五",
        "",
        ["农业"],
        date(2024, 5, 20),
        60.0,
        "audio",
    ),
    "tea": (
        "韶山茶叶丰收",
        "茶农采摘春茶，市场价格上涨。",
        "湘乡新闻",
        "张三",
        "韶山",
        ["农业", "茶"],
        date(2023, 4, 10),
        120.0,
        "video",
    ),
    "app": (
        "ＡＰＰ上线　全市政务服务",
        "Ａｐｐ支持扫码办事",
        "政务",
        "赵六",
        "",
        ["政务"],
        date(2024, 2, 1),
        45.0,
        "video",
    ),
    "visit": ("臺灣同胞來訪", "两岸交流活动", "新闻联播", "", "", ["交流"], date(2024, 8, 8), 200.0, "video"),
    "water": ("水", "水位上涨，堤坝巡查", "湘乡新闻", "", "", [], None, 30.0, "video"),
}

# query -> the assets it must find (in this order where the order is the point)
EXPECTED: dict[str, list[str]] = {
    "湘乡": ["flood", "live", "tea", "water"],
    "湘鄉": ["flood", "live", "tea", "water"],  # traditional query, simplified text
    "台湾": ["visit"],  # simplified query, traditional text
    "水": ["water"],  # one character
    "茶": ["tea"],
    "东山": ["live"],  # two characters
    "xiangxiang": ["flood", "tea", "water"],  # pinyin of short fields
    "xx": ["flood", "tea", "water"],  # pinyin initials
    "zs": ["flood", "tea"],  # 张三
    "app": ["app"],  # full-width text, half-width query
    "ＡＰＰ": ["app"],
    "CCTV13": ["live"],
    "cctv": ["live"],
    '"防汛抢险"': ["flood"],  # the exact phrase only
    "防汛 抢险": ["flood", "farm"],  # phrase and title hit first, scattered second
    "防汛": ["flood", "farm"],  # title hit first
    "programme:湘乡新闻": ["flood", "tea", "water"],
    "栏目:新聞聯播": ["live", "visit"],
    "tag:农业": ["farm", "tea"],
    "reporter:张三 农业": ["tea"],
    "采茶": ["tea"],  # a marker inside the asset
    "巡查 type:video": ["water"],
    "date:2024-01-01..2024-06-30 农业": ["farm"],
    "duration:100..400 新闻联播": ["live", "visit"],
    "不存在的词": [],
    # A filter and a word inside the asset: the marker or subtitle line is found under the filter.
    "programme:湘乡新闻 采茶": ["tea"],
    "栏目:新闻联播 今天": ["live"],
    "programme:湘乡新闻 今天": [],
    "title:茶叶 特写": ["tea"],
    "reporter:zs 采茶": ["tea"],
}
ORDERED = {"防汛 抢险", "防汛"}
R = TypeVar("R")


def load_news(services: Services, tenant: str | None = None) -> dict[str, str]:
    """Catalogue the test set through the catalog's own write functions; returns key -> asset id."""
    tenant = tenant or services.settings.default_tenant
    ids: dict[str, str] = {}
    with services.session() as session:
        for n, (key, (title, desc, programme, reporter, place, tags, shot, duration, kind)) in enumerate(NEWS.items()):
            asset = Asset(
                tenant_id=tenant,
                title=title,
                description=desc,
                tags=tags,
                media_kind=kind,
                original_filename=f"{key}.mxf",
                original_key=key,
                size=1,
                sha256=f"{n:064d}",
                xxh3="0" * 16,
                duration=duration,
            )
            create_asset_with_job(session, asset, [])
            descriptive = {"programme": programme, "reporter": reporter, "place": place, "shoot_date": shot}
            update_asset(session, tenant, asset.id, AssetChanges(descriptive=descriptive))
            ids[key] = asset.id
        add_span(session, tenant, ids["tea"], "marker", 30.0, 35.0, "采茶镜头", "茶农特写")
        import_subtitles(session, tenant, ids["live"], "1\n00:00:12,500 --> 00:00:15,000\n今天我们来到湘乡东山\n", "zh")
    return ids


def _keys(services: Services, ids: dict[str, str], query: str) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    with services.session() as session:
        result = search(session, services.settings.default_tenant, SearchRequest(q=query, limit=50))
    assert result.total == len(result.hits)
    return [by_id[h.asset.id] for h in result.hits]


def test_the_shared_chinese_news_set_finds_exactly_the_expected_assets(services: Services) -> None:
    ids = load_news(services)
    wrong = {}
    for query, expected in EXPECTED.items():
        found = _keys(services, ids, query)
        if (found if query in ORDERED else sorted(found)) != (expected if query in ORDERED else sorted(expected)):
            wrong[query] = (found, expected)
    assert wrong == {}


def _on_both_backends(tmp_path: Path, postgres_url: str, run: Callable[[Session, dict[str, str]], R]) -> list[R]:
    """``run(session, asset id -> key)`` on the news set loaded into SQLite, then into PostgreSQL."""
    results = []
    for name, url in (("sqlite", f"sqlite:///{tmp_path / 'c.db'}"), ("postgres", postgres_url)):
        services = open_services(make_settings(tmp_path / name, MAM_DATABASE_URL=url))
        try:
            ids = load_news(services)
            by_id = {v: k for k, v in ids.items()}
            with services.session() as session:
                per_query = run(session, by_id)
            results.append(per_query)
        finally:
            services.close()
    return results


def test_sqlite_and_postgresql_return_the_same_hits_in_the_same_order(tmp_path: Path, postgres_url: str) -> None:
    def run(session: Session, by_id: dict[str, str]) -> dict[str, tuple[object, ...]]:
        per_query: dict[str, tuple[object, ...]] = {}
        for query in [*EXPECTED, "新闻", "乡", ""]:
            r = search(session, "default", SearchRequest(q=query, limit=50))
            per_query[query] = (
                r.total,
                [(by_id[h.asset.id], h.score, h.snippet, [(i.kind, i.start) for i in h.inner]) for h in r.hits],
                r.facets,
            )
        return per_query

    results = _on_both_backends(tmp_path, postgres_url, run)
    assert results[0] == results[1]


@pytest.mark.parametrize("sort", ["newest", "oldest", "shoot_date", "duration"])
def test_sorting_orders_the_matches_by_the_chosen_field(services: Services, sort: str) -> None:
    ids = load_news(services)
    found = _keys_sorted(services, ids, sort)
    if sort == "newest":
        assert found == list(reversed(list(NEWS)))
    elif sort == "oldest":
        assert found == list(NEWS)
    elif sort == "shoot_date":
        assert found[0] == "visit" and found[-1] == "water"  # no shoot date goes last
    else:
        assert found[:2] == ["live", "visit"]


def _keys_sorted(services: Services, ids: dict[str, str], sort: str) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    with services.session() as session:
        result = search(session, "default", SearchRequest(sort=sort, limit=50, facets=False))
    return [by_id[h.asset.id] for h in result.hits]


def test_estimated_totals_and_sampled_facets_agree_on_both_backends(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A sample of two entries makes every common query take the estimating path (and, on
    # PostgreSQL, the batched phrase recheck) that only large catalogs reach otherwise.
    from mam.search import sample as sampling

    queries = ["湘乡", "湘乡市", "防汛 抢险", "新闻", "乡", "xx", "programme:湘乡新闻 type:video"]

    def run(session: Session, by_id: dict[str, str]) -> dict[str, tuple[object, ...]]:
        per_query: dict[str, tuple[object, ...]] = {}
        for query in queries:
            full = search(session, "default", SearchRequest(q=query, limit=50))
            monkeypatch.setattr(sampling, "SAMPLE", 2)
            sampled = search(session, "default", SearchRequest(q=query, limit=50))
            monkeypatch.setattr(sampling, "SAMPLE", 1000)
            assert [h.asset.id for h in sampled.hits] == [h.asset.id for h in full.hits]
            assert not full.total_is_estimate
            if full.total > 2:  # more matches than the sample: an estimate
                assert sampled.total_is_estimate
            if full.total < 2:
                assert (sampled.total, sampled.total_is_estimate) == (full.total, False)
            per_query[query] = (
                [by_id[h.asset.id] for h in sampled.hits],
                sampled.total,
                sampled.facets,
                sampled.facets_over,
            )
        return per_query

    results = _on_both_backends(tmp_path, postgres_url, run)
    assert results[0] == results[1]
    assert results[0]["湘乡"][3] == 2  # facets over the two newest matching assets only
