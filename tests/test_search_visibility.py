"""What a tenant may find is the same whether visibility is checked by token in the match or on the rows."""

from __future__ import annotations

import pytest
from conftest import catalog_asset

from mam.catalog import ensure_tenant
from mam.search import SearchRequest, search, sqlite_backend
from mam.services import Services
from mam.sharing import share_asset, unshare_asset

COUNTY, PROVINCE, OTHER = "county", "province", "other-county"


def _found(services: Services, query: str, sort: str = "relevance") -> list[tuple[str, bool, int]]:
    with services.session() as session:
        result = search(session, COUNTY, SearchRequest(q=query, limit=50, sort=sort))
    return [(h.asset.title, h.asset.tenant_id == COUNTY, len(h.inner)) for h in result.hits] + [
        ("total", result.total_is_estimate, result.total)
    ]


@pytest.mark.parametrize("sort", ["relevance", "shoot_date"])  # a walk newest first, or by shoot date
@pytest.mark.parametrize("query", ["防汛", "", "title:防汛 会议", "防汛 type:video"])
def test_a_tenant_finds_its_own_and_what_is_shared_with_it_either_way(
    services: Services, monkeypatch: pytest.MonkeyPatch, query: str, sort: str
) -> None:
    with services.session() as session:
        for tenant in (COUNTY, PROVINCE, OTHER):
            ensure_tenant(session, tenant)
        session.commit()
        own = [catalog_asset(COUNTY, n, f"防汛会议 {n}") for n in range(6)]
        wire = catalog_asset(PROVINCE, 10, "全省防汛会议")
        kept = catalog_asset(PROVINCE, 11, "防汛会议内部稿")
        revoked = catalog_asset(PROVINCE, 12, "防汛会议通稿")
        others = catalog_asset(OTHER, 13, "邻县防汛会议")
        session.add_all([*own, wire, kept, revoked, others])
        session.commit()
        share_asset(session, PROVINCE, wire.id, [COUNTY])
        share_asset(session, PROVINCE, revoked.id, [COUNTY, OTHER])
        session.commit()
        unshare_asset(session, PROVINCE, revoked.id, COUNTY)
        session.commit()
    found = {}
    for share in (0.0, 2.0):  # the viewer's share of entries always, never enough to check rows
        monkeypatch.setattr(sqlite_backend, "_ROWS_VISIBLE_SHARE", share)
        found[share] = _found(services, query, sort)
    assert found[0.0] == found[2.0]
    titles = [title for title, _, _ in found[0.0][:-1]]
    assert "全省防汛会议" in titles  # shared with the county
    assert not {"防汛会议内部稿", "防汛会议通稿", "邻县防汛会议"} & set(titles)
    assert len(titles) == 7
