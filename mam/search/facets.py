"""Facet counts over the assets a search matched (up to a sample): programme, tags, media type, shoot month.

The counts are made by the database in the statement that reads the sample (mam/search/walk.py);
here they are only ordered and cut, the same way for both backends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FACET_NAMES", "FacetValue", "Facets", "facets_from_counts"]

FACET_SIZE = 20
FACET_NAMES = ("programme", "tags", "media_type", "shoot_month")


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


def _top(rows: Iterable[tuple[Any, int]]) -> list[FacetValue]:
    # Sorted here, not in SQL, so that ties come out in the same order on every backend.
    values = sorted(((str(v), int(c)) for v, c in rows if v not in (None, "")), key=lambda r: (-r[1], r[0]))
    return [FacetValue(v, c) for v, c in values[:FACET_SIZE]]


def facets_from_counts(counts: Iterable[tuple[str, Any, int]]) -> Facets:
    """Facets from ``(facet, value, count)`` rows, ``facet`` being one of FACET_NAMES."""
    grouped: dict[str, list[tuple[Any, int]]] = {name: [] for name in FACET_NAMES}
    for name, value, count in counts:
        grouped[name].append((value, count))
    return Facets(**{name: _top(rows) for name, rows in grouped.items()})
