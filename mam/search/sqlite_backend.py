"""SQLite: entries matched by FTS5 (``search_fts``, rowid = entry id), visibility in the match or on the rows."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from mam.search.backend import Backend, Entry, PlanLike, Visibility, column_orders
from mam.search.counts import entry_total, tenant_entries
from mam.search.expr import Expr, to_fts5, without
from mam.search.ids import BLOCK_BITS
from mam.search.visibility import visible_entries_sql

__all__ = ["ASSET_INDEX", "NARROW_INDEX", "SPARSE", "SQLiteBackend"]

ASSET_INDEX = "ix_assets_search_columns"
"""The covering index of what a search reads of an asset (migration 0008)."""
NARROW_INDEX = "ix_search_entries_visible"
"""The covering index of entry id, asset, owner and kind that a walk reads (migration 0007)."""
SPARSE = 2000
"""A shoot date or duration sort with fewer matches than this sorts them all; with more it walks
the entries in the column's order (mam/search/columns.py)."""
_ROWS_VISIBLE_SHARE = 0.6
"""Check visibility on the rows when the viewer may see at least this share of entries."""


class SQLiteBackend(Backend):
    name: ClassVar[str] = "sqlite"
    filters_on_entries: ClassVar[bool] = False
    asset_index: ClassVar[str] = f" INDEXED BY {ASSET_INDEX}"
    narrow_index: ClassVar[str] = f" INDEXED BY {NARROW_INDEX}"

    def render(self, expr: Expr) -> str:
        return to_fts5(expr)

    def matches(self, alias: str, param: str) -> str:
        return f"{alias}.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :{param})"

    def month(self, column: str) -> str:
        return f"substr({column}, 1, 7)"

    def elements(self, column: str, alias: str) -> str:
        return f"json_each({column}) AS {alias}"

    def serialise(self, tokens: list[str]) -> str:
        return " ".join(tokens)

    def optimize(self, session: Session) -> str:
        """FTS5 merges its segments into one (a catalog indexed in a thousand batches held 22, and
        every match reads each of them: searches took 18% longer), and the write-ahead log is copied
        back into the database file."""
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES('optimize')"))
        session.commit()
        # The merge rewrote the index into the write-ahead log; copied back into the file, searches read
        # it there (through the memory map) instead of looking each page up in the log: a search right
        # after a bulk import and merge took 24 ms at p95, 17 ms once the log was copied back.
        session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        return "full-text index merged into one segment"

    def rows_visible(self, session: Session, viewer: str) -> bool:
        """The viewer's token is in every entry it may see; where that is most of the index, ANDing it
        into a match costs FTS5 up to 40% more than testing each matching row's owner (and, for
        another owner's entry, whether it is shared with the viewer)."""
        return tenant_entries(session, viewer) >= _ROWS_VISIBLE_SHARE * entry_total(session)

    def from_(self, join: str) -> tuple[str, str]:
        # Only e.id, e.asset_id, e.tenant_id and e.kind are read: the covering index spares reading
        # each token stream.
        source = f"search_fts JOIN search_entries e{self.narrow_index} ON e.id = search_fts.rowid{join}"
        return source, "search_fts.rowid"

    def match(self, expr: Expr, param: str, rows: bool, visibility: Visibility) -> tuple[str, dict[str, Any]]:
        core = without(expr, {visibility.entries, visibility.assets})
        if not (rows and visibility.rows) or core is None:
            return f"search_fts MATCH :{param}", {param: self.render(expr)}
        predicates = [f"search_fts MATCH :{param}", *visibility.row_checks(expr, visible_entries_sql("e"))]
        return " AND ".join(predicates), {param: self.render(core), "viewer": visibility.viewer}

    def match_sql(self, expr: Expr, param: str, visibility: Visibility) -> tuple[str, dict[str, Any]]:
        return self.matches("e", param), {param: self.render(expr)}

    def count_sql(self, match: str, window: list[str]) -> str:
        return f"SELECT COUNT(*) FROM (SELECT rowid FROM search_fts WHERE {match} AND rowid < :before LIMIT :n)"

    def entries(self, session: Session, plan: PlanLike, m: str, asset_ids: list[str], kinds: str) -> list[Entry]:
        # FTS5 seeks a rowid range cheaply: an asset's entries all lie in its creation block. Each
        # seek still costs about a millisecond, so only blocks holding candidate entries are read.
        blocks = plan.run(
            session,
            f"SELECT DISTINCT e.id >> :bits FROM search_entries e WHERE e.asset_id IN :page{kinds}",
            {"bits": BLOCK_BITS, "page": asset_ids},
            "page",
        ).scalars()
        sql = (
            'SELECT e.id, e.asset_id, e.kind, e.ref_id, e.start, e."end" FROM search_fts '
            "JOIN search_entries e ON e.id = search_fts.rowid "
            "WHERE search_fts MATCH :m AND search_fts.rowid >= :low AND search_fts.rowid < :high "
            f"AND e.asset_id IN :page{kinds}"
        )
        out: list[Entry] = []
        for block in blocks.all():
            bounds = {"low": block << BLOCK_BITS, "high": (block + 1) << BLOCK_BITS}
            out += [Entry(*r) for r in plan.run(session, sql, {"m": m, "page": asset_ids, **bounds}, "page")]
        return out

    def column_statements(
        self, session: Session, plan: PlanLike, column: str, first: int
    ) -> tuple[list[str], dict[str, Any], None]:
        """Count the matches up to SPARSE (FTS5 lists them cheaply): fewer, and every match is read and
        the top ones sorted; else the entries are walked in their (column, id) index, each tested
        against FTS5's list of matches."""
        match, params = plan.match(plan.base, rows=False)  # visibility is in the FTS5 match
        filters = [c.format(t="e") for c in plan.filters]  # the entries carry the filter columns too
        count = f"SELECT COUNT(*) FROM (SELECT rowid FROM search_fts WHERE {match} LIMIT :cap)"
        sparse = int(plan.run(session, count, {**params, "cap": SPARSE}).scalar_one()) < SPARSE
        statements = []
        for part, order in column_orders(column):
            where = " AND ".join([part, *filters])
            if sparse:
                source = "search_fts JOIN search_entries e ON e.id = search_fts.rowid"
                where = f"{match} AND {where}"
            else:
                source = f"search_entries e INDEXED BY ix_search_entries_{column}"
                where = f"e.id IN (SELECT rowid FROM search_fts WHERE {match}) AND {where}"
            statements.append(
                f"SELECT e.asset_id, e.{column}, e.id FROM {source} WHERE {where} "
                f"ORDER BY e.{order.replace(', ', ', e.')} LIMIT :n"
            )
        return statements, params, None
