"""Find a page of matches without touching every match: walk the index newest first and stop.

Entry ids are ordered like their assets' creation times (mam/search/ids.py), so both FTS5 (rowid
order) and PostgreSQL (the primary key, read backwards) hand out matches newest first and a query
can stop as soon as the page is full. Relevance is a few tiers (title holds every word: +2; the
whole query as an exact phrase: +1), each walked in turn: the best tier first, then the next, until
the page is full. Ties inside one millisecond are put in exact (created_at, asset id) order
(:meth:`Plan.exact`). Sorts by a column are mam/search/columns.py; the total and facets,
mam/search/sample.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from mam.search.expr import Expr, all_of
from mam.search.ids import BLOCK_BITS, LAST_ID
from mam.search.plan import Plan

__all__ = ["page", "scan", "tiers"]


def tiers(plan: Plan, sort: str) -> list[tuple[int, Expr]]:
    """(score, match) of each tier of ``sort``, best first: relevance has up to four, others one."""
    if sort != "relevance" or plan.text is None:
        return [(0, plan.base)]
    candidates = [
        (3, all_of(plan.base, plan.title, plan.phrase) if plan.phrase is not None else None),
        (2, all_of(plan.base, plan.title)),
        (1, all_of(plan.base, plan.phrase) if plan.phrase is not None else None),
        (0, plan.base),
    ]
    return [(score, expr) for score, expr in candidates if expr is not None]


def page(plan: Plan, session: Session, sort: str, need: int) -> list[tuple[str, int]]:
    """The first ``need`` matching assets in ``sort`` order (relevance, newest, oldest), with tiers."""
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    for score, expr in tiers(plan, sort):
        found = _walk(plan, session, expr, sort != "oldest", need - len(out), seen)
        out.extend((asset_id, score) for asset_id in found[: need - len(out)])
        seen.update(found)
        if len(out) >= need:
            break
    return out


def scan(plan: Plan, session: Session, expr: Expr, desc: bool, after: int, n: int) -> tuple[list[Any], int | None]:
    """The next ``n`` entries after ``after`` in id order that may match ``expr`` and whose asset
    passes the asset filters: rows of (id, asset id, hit); hit is 1 when the entry matches ``expr``.
    With them, where to go on from (None: every entry has been read). On PostgreSQL, while
    above the recent index's bound, only a window of the newest entries is read
    (:meth:`Plan.window`): fewer than ``n`` rows then mean go on below the window.

    Where the backend checks a phrase on the rows (PostgreSQL), it is looked up loosened (which the
    GIN index answers alone) and checked on the rows read only, so a common phrase costs a batch of
    rechecks, not one per match in the whole index. FTS5 matches phrases in its index: every row
    is a hit.
    """
    source, key = plan.from_(bool(plan.conditions) and not plan.backend.filters_on_entries)  # filters on assets
    order = "DESC" if desc else "ASC"
    params: dict[str, Any] = {"after": after, "n": n}
    hit = "1"
    tokens = ""
    if plan.backend.checks_on_rows(expr):
        match, found = plan.loosened(expr, plan.backend.lexeme_stats(session)[0])
        params |= found
        hit, tokens = "CASE WHEN c.tokens @@ CAST(:x AS tsquery) THEN 1 ELSE 0 END", ", e.tokens"
    else:
        match, found = plan.match(expr)
        params |= found
    # A batch is at least twice what the walk still needs: the window is sized for half of it.
    low = plan.window(session, expr, after, max(1, n // 2), len(plan.conditions), n) if desc else None
    window, found = plan.window_sql(low)
    params |= found
    where = " AND ".join([match, f"{key} {'<' if desc else '>'} :after", *window, *plan.walk_conditions])
    sql = (
        f"SELECT c.id, c.asset_id, {hit} FROM (SELECT {key} AS id, e.asset_id AS asset_id{tokens} "
        f"FROM {source} WHERE {where} ORDER BY {key} {order} LIMIT :n) c ORDER BY c.id {order}"
    )
    rows = plan.planned(session, sql, params, plan.rows_first(session, expr, n) if low is None else "window")
    if len(rows) >= n:
        return rows, int(rows[-1][0])
    return rows, low


def _walk(plan: Plan, session: Session, expr: Expr, desc: bool, need: int, skip: set[str]) -> list[str]:
    """Distinct assets matching ``expr`` not in ``skip``: at least the first ``need`` in order."""
    batch = max(64, need * 2)
    after = LAST_ID if desc else -1
    found: dict[str, int] = {}
    boundary: int | None = None
    while True:
        rows, next_after = scan(plan, session, expr, desc, after, batch)
        for entry_id, asset_id, ok in rows:
            block = int(entry_id) >> BLOCK_BITS
            if boundary is not None and block != boundary:
                return plan.exact(session, found, desc)
            if ok and asset_id not in skip and asset_id not in found:
                found[asset_id] = block
                if len(found) >= need:
                    boundary = block
        if next_after is None:
            return plan.exact(session, found, desc)
        batch = min(batch * 4, 20_000)
        after = next_after
