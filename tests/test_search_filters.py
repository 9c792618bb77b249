"""Field filters over hits inside an asset (markers, subtitle lines), kept in step with the asset's fields."""

from __future__ import annotations

from test_search_chinese import load_news

from mam.catalog import AssetChanges, update_asset
from mam.models import Asset
from mam.search import SearchRequest, search
from mam.services import Services


def _found(services: Services, query: str, sort: str = "relevance") -> list[tuple[str, list[tuple[str, float | None]]]]:
    with services.session() as session:
        result = search(session, "default", SearchRequest(q=query, sort=sort, limit=50))
        return [(h.asset.title, [(i.kind, i.start) for i in h.inner]) for h in result.hits]


def test_changing_the_programme_moves_the_assets_markers_under_the_new_filter(services: Services) -> None:
    ids = load_news(services)
    assert _found(services, "programme:湘乡新闻 采茶") == [("韶山茶叶丰收", [("marker", 30.0)])]
    with services.session() as session:
        update_asset(session, "default", ids["tea"], AssetChanges(descriptive={"programme": "农业天地"}))
    assert _found(services, "programme:湘乡新闻 采茶") == []
    assert _found(services, "programme:农业天地 采茶") == [("韶山茶叶丰收", [("marker", 30.0)])]
    assert _found(services, "programme:nytd 采茶") == [("韶山茶叶丰收", [("marker", 30.0)])]


def test_a_changed_title_is_what_the_title_filter_sees_on_subtitle_lines(services: Services) -> None:
    ids = load_news(services)
    assert [t for t, _ in _found(services, "title:连线 今天")] == ["县城CCTV13连线报道"]
    with services.session() as session:
        update_asset(session, "default", ids["live"], AssetChanges(title="东山街道直播"))
    assert _found(services, "title:连线 今天") == []
    assert _found(services, "title:直播 今天") == [("东山街道直播", [("subtitle", 12.5)])]


def test_sorting_by_shoot_date_or_duration_keeps_the_field_filter(services: Services) -> None:
    load_news(services)
    # 湘乡 is in four assets; only two of them are 湘乡新闻 with a shoot date, the water one has none.
    assert [t for t, _ in _found(services, "programme:湘乡新闻 湘乡", "shoot_date")] == [
        "湘鄉市防汛搶險工作部署會",
        "韶山茶叶丰收",
        "水",
    ]
    assert [t for t, _ in _found(services, "栏目:新闻联播 湘乡", "duration")] == ["县城CCTV13连线报道"]


def test_the_status_filter_keeps_only_assets_in_that_state(services: Services) -> None:
    ids = load_news(services)
    with services.session() as session:
        for key in ("farm", "water"):
            asset = session.get(Asset, ids[key])
            assert asset is not None
            asset.status = "failed"
        session.commit()
    assert sorted(t for t, _ in _found(services, "status:failed")) == ["农业简讯", "水"]
    assert [t for t, _ in _found(services, "状态:failed 防汛")] == ["农业简讯"]
    assert [t for t, _ in _found(services, "status:ready 防汛")] == ["湘鄉市防汛搶險工作部署會"]
    assert _found(services, "status:processing") == []
    with services.session() as session:
        request = SearchRequest(q="湘乡", status="failed", facets=True)
        result = search(session, "default", request)
    assert [h.asset.title for h in result.hits] == ["水"] and result.total == 1
    assert result.facets is not None and result.facets.programme[0].value == "湘乡新闻"
