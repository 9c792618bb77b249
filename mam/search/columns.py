"""Sorts by shoot date or duration: largest first, assets without one last, then newest first.

Every entry carries its asset's value (migration 0009), so the entries are walked in the order of
their index on (column, id) (migration 0011), each tested, and the walk stops once the page is
full; or, for a match rarer than that pays for, every match is read and the top ones sorted. The
backend writes the statements and chooses between the two (backend.py ``column_statements``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from mam.search.ids import BLOCK_BITS
from mam.search.plan import Plan

__all__ = ["column_page"]


def column_page(plan: Plan, session: Session, column: str, need: int) -> list[str]:
    """The first ``need`` matching assets by ``column`` (shoot_date or duration; largest first,
    none last), then newest first (mam/search/engine.py SORTS). Entries with a value come first,
    then those without (newest first), each read again with a limit eight times larger while it
    holds too few assets."""
    first = max(32, 2 * need)  # rows read at first: an asset may match in several entries
    statements, params, rows_first = plan.backend.column_statements(session, plan, column, first)
    found: dict[str, tuple[Any, ...]] = {}
    for sql in statements:
        n = first
        while True:
            rows = plan.planned(session, sql, {**params, "n": n}, rows_first)
            part, complete = _distinct(rows, need - len(found), set(found))
            if complete or len(rows) < n:
                break
            n *= 8
        found.update(part)
        if len(found) >= need:
            break
    return plan.exact(session, found, True)


def _distinct(rows: list[Any], need: int, skip: set[str]) -> tuple[dict[str, tuple[Any, ...]], bool]:
    """The distinct assets of ``rows`` (asset id, column value, entry id; in sort order) not in
    ``skip``, each with its sort key; and whether that holds the first ``need`` of them and every
    asset sharing the key of the last (True), or more rows may add to them (False)."""
    part: dict[str, tuple[Any, ...]] = {}
    boundary: tuple[Any, ...] | None = None
    for asset_id, value, entry_id in rows:
        block = int(entry_id) >> BLOCK_BITS
        key = (0, block) if value is None else (1, value, block)
        if boundary is not None and key != boundary:
            return part, True
        if asset_id not in skip and asset_id not in part:
            part[asset_id] = key
            if len(part) >= need:
                boundary = key
    return part, need <= 0
