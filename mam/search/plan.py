"""The plan of one search: its match expressions, filters and viewer, and the SQL pieces they make.

A plan is made per search (mam/search/engine.py) and read by the walk newest first (walk.py), the
column sorts (columns.py) and the count and facet sample (sample.py). What differs between SQLite
and PostgreSQL is the backend's (backend.py); what the plan adds is the same on both: the asset
filters, the visibility tokens, windows of the newest entries (PostgreSQL's recent indexes,
mam/search/recent.py; none on SQLite), exact ordering inside a millisecond block, and the inner
hits and scores of a page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Literal

from sqlalchemy import DateTime, String, bindparam, text
from sqlalchemy.orm import Session

from mam.search import cost
from mam.search.backend import Backend, Entry, PlannerSettings, Reading, Visibility
from mam.search.expr import Expr, Tok, all_of, without
from mam.search.ids import BLOCK_BITS, LAST_ID
from mam.search.query import ParsedQuery
from mam.search.recent import NEWEST
from mam.search.tokens import tenant_token

__all__ = ["ASSET_FILTERS", "Mode", "Plan"]

ASSET_FILTERS = (
    ("status", "status", "{t}.status = :status"),
    ("media_type", "media_kind", "{t}.media_kind = :media_type"),
    ("date_from", "shoot_date", "{t}.shoot_date >= :date_from"),
    ("date_to", "shoot_date", "{t}.shoot_date <= :date_to"),
    ("duration_min", "duration", "{t}.duration >= :duration_min"),
    ("duration_max", "duration", "{t}.duration <= :duration_max"),
)
"""(filter, column, predicate on the table ``t``): the asset's columns, also on each of its entries."""

Mode = bool | Literal["window"] | None
"""How a statement reads (:meth:`Plan.planned`): entries in order (True), every match through the
index (False), as the planner likes (None), or in a window of the newest entries ("window")."""


class Plan:
    """The match expressions and SQL of one search."""

    def __init__(self, backend: Backend, parsed: ParsedQuery, viewer: str) -> None:
        """The plan of ``parsed`` for the tenant ``viewer``: entries carry the token of every tenant that
        may see them (owner and share holders, mam/search/index.py), so visibility is one more token."""
        self.backend = backend
        given = [(name, column, clause) for name, column, clause in ASSET_FILTERS if getattr(parsed, name) is not None]
        self.params: dict[str, Any] = {name: getattr(parsed, name) for name, _, _ in given}
        self.conditions = [clause.format(t="a") for _, _, clause in given]
        """The asset filters as predicates on the asset ``a``."""
        self.filters = [clause for _, _, clause in given]
        """The asset filters as predicates on a table ``{t}``: the asset or (its copies) an entry."""
        self.filter_columns = sorted({column for _, column, _ in given})
        on_entries = backend.filters_on_entries
        self.walk_conditions = [c.format(t="e") for c in self.filters] if on_entries else self.conditions
        """The asset filters as a walk tests them: on the entries' copies, or on the joined asset ``a``."""
        self.text = parsed.text_expr()
        self.title = parsed.title_expr()
        self.phrase = parsed.phrase_expr()
        self.viewer = viewer
        self.visibility = Visibility(viewer, Tok(tenant_token(viewer)), Tok(tenant_token(viewer, True)))
        self.recent: int | None = None
        self.newest: int | None = None
        """The lowest ids the recent and newest indexes cover (PostgreSQL, mam/search/recent.py)."""
        self.above: dict[int, int] = {}
        """Entries from each window edge found (:meth:`edge`) up to the newest."""
        self.settings = PlannerSettings()
        filters = parsed.filter_expr()
        assets = self.visibility.assets
        if self.text is None:
            self.base: Expr = all_of(filters, assets) or assets
        else:
            # Spans and cues carry their asset's filterable fields (mam/search/index.py), so a filter
            # and the words match in one entry: the asset's own, or a marker or subtitle line of it.
            self.base = all_of(self.text, filters, self.visibility.entries) or self.visibility.entries

    @contextmanager
    def prepared(self, session: Session) -> Iterator[Plan]:
        """The plan ready to run in ``session``'s transaction: how visibility is checked, the recent
        indexes' bounds, and the backend's planner settings, which are reset when the block ends,
        however it ends (an exception included)."""
        self.visibility = replace(self.visibility, rows=self.backend.rows_visible(session, self.viewer))
        self.recent, self.newest = self.backend.bounds(session)
        with self.backend.settings(session) as settings:
            self.settings = settings
            try:
                yield self
            finally:
                self.settings = PlannerSettings()

    # SQL pieces -----------------------------------------------------------------------------------
    def from_(self, assets: bool) -> tuple[str, str]:
        """FROM clause (joining the assets with ``assets``) and the ordered key column."""
        join = f" JOIN assets a{self.backend.asset_index} ON a.id = e.asset_id" if assets else ""
        return self.backend.from_(join)

    def match(self, expr: Expr, param: str = "m", rows: bool = True) -> tuple[str, dict[str, Any]]:
        """The match predicate over the FROM clause of :meth:`from_`, and its parameters; with
        ``rows=False`` one over the index alone (a count)."""
        return self.backend.match(expr, param, rows, self.visibility)

    def match_sql(self, expr: Expr, param: str) -> tuple[str, dict[str, Any]]:
        """A predicate on the entry alias ``e`` that it matches ``expr``, and its parameters."""
        return self.backend.match_sql(expr, param, self.visibility)

    def core(self, expr: Expr) -> Expr | None:
        """``expr`` without the viewer's tenant tokens: None when only visibility is left to match."""
        return without(expr, {self.visibility.entries, self.visibility.assets})

    def loosened(self, expr: Expr, shares: dict[str, float]) -> tuple[str, dict[str, Any]]:
        """The match of ``expr`` with its phrases loosened (cost.relaxed), which the GIN index answers
        alone, and its parameters; ``:x`` is bound to ``expr`` itself, for the phrase check on the
        rows read (``tokens @@ CAST(:x AS tsquery)``)."""
        match, params = self.match(cost.relaxed(expr, shares))
        core = self.core(expr)
        assert core is not None  # a phrase is in it
        return match, {**params, "x": self.backend.render(core)}

    def run(self, session: Session, sql: str, params: dict[str, Any], *expanding: str) -> Any:
        statement = text(sql).bindparams(*(bindparam(n, expanding=True) for n in expanding))
        return session.execute(statement, {**self.params, **params})

    def planned(self, session: Session, sql: str, params: dict[str, Any], mode: Mode) -> list[Any]:
        """Run ``sql`` reading as :meth:`rows_first` chose (PostgreSQL): entries in order (True),
        through the GIN index (False), or as the planner likes (None); or in a window of the newest
        entries ("window"), where the planner ANDs the recent GIN index with the primary key's
        range by itself, and looks assets up by their key (a bitmap scan each cost twice as much:
        10 ms of a sample with a date filter)."""
        # The planner prices testing an entry's tokens as nothing, so given good statistics of a
        # word in 0.3% of entries it reads entries newest first (160 ms) rather than GIN (10 ms).
        if mode == "window":
            self.settings.read(Reading.INDEX)
        elif mode is None:
            self.settings.read(Reading.PLANNER)
        else:
            self.settings.read(Reading.KEY_ORDER if mode else Reading.MATCHES)
        return list(self.run(session, sql, params).all())

    def rows_first(self, session: Session, expr: Expr, n: int, row_us: float | None = None) -> bool | None:
        """Whether the next ``n`` matches of ``expr`` are found sooner by reading entries in order and
        testing each, or through the GIN index (mam/search/cost.py); None (SQLite, or no words to
        match): no choice to make. ``row_us``: what reading one entry costs in the order read."""
        core = self.core(expr)
        if core is None:
            return None
        return self.backend.rows_first(session, core, n, row_us)

    # Windows of the newest entries (PostgreSQL) ---------------------------------------------------
    def window(
        self, session: Session, expr: Expr, after: int, n: int, filters: int = 0, rows: int | None = None
    ) -> int | None:
        """The lowest id of the newest entries below ``after`` to look for ``n`` matches of ``expr`` in,
        through the recent index (mam/search/recent.py); None below its bound, with no recent index,
        with nothing to match but visibility, or where cost.window says to read the full index.
        ``filters``: how many asset filters the matches must pass; ``rows``: the matches a read one
        by one would stop at (default ``n``)."""
        bound = self.recent
        if bound is None or after <= bound:
            return None
        core = self.core(expr)
        if core is None:
            return None
        shares, entries = self.backend.lexeme_stats(session)
        size = cost.window(core, shares, entries, n, filters, rows, self.newest is not None)
        if size is None:
            return None
        if size == "whole":
            return bound
        return self.edge(session, after, size, 0 if after == LAST_ID else None)

    def edge(self, session: Session, below: int, k: int, above: int | None) -> int:
        """The id ``k`` entries down from ``below`` (the primary key, read backwards), not below the
        recent index's bound. ``above``: the entries from ``below`` up (0 from the newest; None:
        not known); from the edge up there are then ``above + k + 1``, remembered in :attr:`above`."""
        assert self.recent is not None
        # The primary key read backwards, index only: the planner's choice with sequential scans off
        # (a bitmap of every entry below ``below`` would still need sorting).
        self.settings.read(Reading.INDEX)
        edge = self.run(
            session,
            "SELECT e.id FROM search_entries e WHERE e.id < :below ORDER BY e.id DESC OFFSET :k LIMIT 1",
            {"below": below, "k": k},
        ).scalar()
        if edge is None or int(edge) <= self.recent:
            return self.recent
        if above is not None:
            self.above[int(edge)] = above + k + 1
        return int(edge)

    def window_sql(self, low: int | None) -> tuple[list[str], dict[str, Any]]:
        """Predicates on ``e`` keeping a search to the window from ``low`` up, through the newest
        index when the window lies in its part, else the recent index: the index's own bound
        (mam/search/recent.py), and the window's edge unless that is the bound."""
        if low is None:
            return [], {}
        assert self.recent is not None
        if self.newest is not None and low >= self.newest:
            window = [f"(e.id >> {NEWEST.shift}) >= CAST(:newest AS BIGINT)"]
            params = {"newest": self.newest >> NEWEST.shift, "low": low}
            bound = self.newest
        else:
            window = [f"(e.id >> {BLOCK_BITS}) >= CAST(:recent AS BIGINT)"]
            params = {"recent": self.recent >> BLOCK_BITS, "low": low}
            bound = self.recent
        if low > bound:
            window.append("e.id >= :low")
        return window, params

    # Order and the page's entries -----------------------------------------------------------------
    def exact(self, session: Session, found: dict[str, Any], desc: bool) -> list[str]:
        """Order by (created_at, asset id) exactly; blocks only order whole milliseconds, so only
        assets sharing a block need their creation times read. ``found``: each asset's key, in
        order (its block, or the sorted column's value and its block)."""
        per_block = Counter(found.values())
        ids = [a for a, block in found.items() if per_block[block] > 1]
        created: dict[str, Any] = dict.fromkeys(found)  # never compared: each alone in its block
        statement = (
            text(f"SELECT a.id, a.created_at FROM assets a{self.backend.asset_index} WHERE a.id IN :ids")
            .bindparams(bindparam("ids", expanding=True))
            .columns(id=String, created_at=DateTime)
        )
        for i in range(0, len(ids), 500):
            created.update((a, at) for a, at in session.execute(statement, {"ids": ids[i : i + 500]}))
        ordered = sorted(found)
        if desc:
            ordered.sort(key=lambda a: (found[a], created[a]), reverse=True)
        else:
            ordered.sort(key=lambda a: (found[a], created[a]))
        return ordered

    def entries(self, session: Session, expr: Expr, asset_ids: list[str], inside: bool = False) -> list[Entry]:
        """The entries of ``asset_ids`` that match ``expr`` (with ``inside``: spans and cues only)."""
        kinds = " AND e.kind <> 'asset'" if inside else ""
        return self.backend.entries(session, self, self.backend.render(expr), asset_ids, kinds)

    def scores(self, session: Session, asset_ids: list[str]) -> dict[str, int]:
        """Each asset's best entry score (2: title holds every word, +1: exact phrase)."""
        if self.text is None or not asset_ids:
            return {}
        title = {e.id for e in self.entries(session, self.title, asset_ids)} if self.title else set()
        phrase = {e.id for e in self.entries(session, self.phrase, asset_ids)} if self.phrase else set()
        out: dict[str, int] = {}
        for e in self.entries(session, self.text, asset_ids):
            out[e.asset_id] = max(out.get(e.asset_id, 0), 2 * (e.id in title) + (e.id in phrase))
        return out
