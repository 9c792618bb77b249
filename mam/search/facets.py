"""Facet counts over the assets a search matched (up to a sample): programme, tags, media type, shoot month."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

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


def count_facets(columns: dict[str, tuple[Any, ...]]) -> Facets:
    """Facet counts over the matching assets a search sampled (all of them when few).

    ``columns`` maps each asset to its walk.FACET_COLUMNS (programme, media kind, shoot date, tags),
    read with the sample itself, so counting needs no query of its own.
    """
    programme: Counter[str] = Counter()
    media_type: Counter[str] = Counter()
    month: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    for name, kind, shot, asset_tags in columns.values():
        programme[name] += 1
        media_type[kind] += 1
        if shot is not None:
            month[str(shot)[:7]] += 1
        if isinstance(asset_tags, str):  # SQLite hands JSON back as text
            asset_tags = json.loads(asset_tags)
        tags.update(set(asset_tags or []))
    return Facets(
        programme=_top(programme.items()),
        tags=_top(tags.items()),
        media_type=_top(media_type.items()),
        shoot_month=_top(month.items()),
    )
