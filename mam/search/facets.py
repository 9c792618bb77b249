"""Facet counts over the assets a search matched (up to a sample): programme, tags, media type, shoot month."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from mam.search.backends import Backend

__all__ = ["FacetValue", "Facets", "count_facets"]

FACET_SIZE = 20


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True)
class Facets:
    programme: list[FacetValue] = field(default_factory=list)
    tags: list[FacetValue] = field(default_factory=list)
    media_type: list[FacetValue] = field(default_factory=list)
    shoot_month: list[FacetValue] = field(default_factory=list)


def _top(rows: Any) -> list[FacetValue]:
    # Sorted here, not in SQL, so that ties come out in the same order on every backend.
    values = sorted(((str(v), int(c)) for v, c in rows if v not in (None, "")), key=lambda r: (-r[1], r[0]))
    return [FacetValue(v, c) for v, c in values[:FACET_SIZE]]


def count_facets(session: Session, backend: Backend, asset_ids: list[str]) -> Facets:
    """Facet counts over ``asset_ids`` (the matching assets a search sampled; all of them when few)."""

    def run(select_sql: str) -> list[FacetValue]:
        counts: dict[Any, int] = {}
        for i in range(0, len(asset_ids), 1000):
            statement = text(select_sql).bindparams(bindparam("ids", expanding=True))
            for value, count in session.execute(statement, {"ids": asset_ids[i : i + 1000]}):
                counts[value] = counts.get(value, 0) + int(count)
        return _top(counts.items())

    where = "FROM assets a WHERE a.id IN :ids"
    month = backend.month("a.shoot_date")
    return Facets(
        programme=run(f"SELECT a.programme, COUNT(*) {where} GROUP BY a.programme"),
        tags=run(
            f"SELECT t.value, COUNT(*) FROM assets a, {backend.tag_values('a')} WHERE a.id IN :ids GROUP BY t.value"
        ),
        media_type=run(f"SELECT a.media_kind, COUNT(*) {where} GROUP BY a.media_kind"),
        shoot_month=run(f"SELECT {month}, COUNT(*) {where} AND a.shoot_date IS NOT NULL GROUP BY {month}"),
    )
