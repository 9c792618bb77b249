"""PostgreSQL: a second GIN index over the newest entries only, so finding the newest matches reads
short posting lists.

A search wants the newest matches first. The GIN index over every entry hands over every match at
once: for a word in a quarter of a million entries, building that bitmap alone took 20 ms before a
row was read. The same lookup in a partial GIN index over the newest RECENT_ENTRIES entries
(those of the creation-time blocks from ``B`` on; entry ids follow their assets' creation times,
mam/search/index.py) reads a fifth of that, and ANDed with a range of the primary key it yields
just the newest few thousand entries' matches (mam/search/walk.py). Matches older than ``B`` are
found through the full index, as before.

The index is bounded by block (``(id >> 21) >= B``), not by id: a search's window (``id >= low``)
must not imply the bound by itself, or PostgreSQL takes the index as redundant beside the primary
key's range and ANDs the full index with it instead (20 ms for a common word, against 4).

``mam optimize-index`` builds the index once the catalog holds twice RECENT_ENTRIES entries, and
builds it again (newer ``B``) once the newest part has grown to half as much again. Between two
builds the partial index takes every new entry, so it is only ever a speed-up: a search that reads
a stale ``B`` gets the same hits, through the full index.
"""

from __future__ import annotations

import re
import time

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from mam.search.index import BLOCK_BITS

__all__ = ["RECENT_ENTRIES", "RECENT_INDEX", "rebuild_recent", "recent_bound"]

RECENT_ENTRIES = 200_000
"""Entries the recent index covers when it is built."""
RECENT_INDEX = "ix_search_entries_recent"
_NEXT = RECENT_INDEX + "_next"
_REBUILD_AT = 1.5
"""Build again once the newest part holds this many times RECENT_ENTRIES."""
_BOUND_SECONDS = 60.0
_BOUNDS: dict[str, tuple[float, int | None]] = {}
_PREDICATE = re.compile(rf"\(id >> {BLOCK_BITS}\) >= '?(\d+)")


def recent_bound(session: Session) -> int | None:
    """The first creation-time block the recent index covers (entry ids from ``B << BLOCK_BITS``),
    or None when there is no (valid) recent index; read from the index's own definition, at most
    once a minute per catalog."""
    key = str(session.get_bind().engine.url)
    now = time.monotonic()
    cached = _BOUNDS.get(key)
    if cached is not None and now - cached[0] < _BOUND_SECONDS:
        return cached[1]
    predicate = session.execute(
        text(
            "SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = :name AND c.relnamespace = current_schema()::regnamespace AND i.indisvalid"
        ),
        {"name": RECENT_INDEX},
    ).scalar()
    match = _PREDICATE.search(predicate or "")
    bound = int(match.group(1)) if match else None
    _BOUNDS[key] = (now, bound)
    return bound


def _count_from(conn: Connection, block: int) -> int:
    statement = text("SELECT COUNT(*) FROM search_entries WHERE id >= :low")
    return int(conn.execute(statement, {"low": block << BLOCK_BITS}).scalar_one())


def rebuild_recent(session: Session, size: int | None = None) -> str:
    """Build the recent index over the newest ``size`` (RECENT_ENTRIES) entries when the catalog
    holds twice that and the current one is missing or has grown too large; drop it from a catalog
    too small to need it. Returns what was done. Indexes are built and dropped concurrently:
    searches and writes go on meanwhile. The session's transaction is committed first (a
    concurrent build waits for every open transaction, its caller's too)."""
    size = size or RECENT_ENTRIES
    _BOUNDS.clear()
    current = recent_bound(session)
    engine = session.get_bind().engine
    session.commit()
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return _rebuild(conn, size, current)
    finally:
        _BOUNDS.clear()


def _rebuild(conn: Connection, size: int, current: int | None) -> str:
    total = int(conn.execute(text("SELECT COUNT(*) FROM search_entries")).scalar_one())
    if total < 2 * size:
        if current is None:
            return "no recent-entries index needed"
        conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {RECENT_INDEX}"))
        return "recent-entries index dropped (catalog too small to need it)"
    if current is not None and _count_from(conn, current) <= _REBUILD_AT * size:
        return "recent-entries index kept"
    newest = conn.execute(
        text("SELECT id FROM search_entries ORDER BY id DESC OFFSET :k LIMIT 1"), {"k": size - 1}
    ).scalar_one()
    conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {_NEXT}"))  # left by a build that failed
    conn.execute(
        text(
            f"CREATE INDEX CONCURRENTLY {_NEXT} ON search_entries USING gin (tokens) "
            f"WITH (fastupdate = off) WHERE (id >> {BLOCK_BITS}) >= {int(newest) >> BLOCK_BITS}"
        )
    )
    conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {RECENT_INDEX}"))
    conn.execute(text(f"ALTER INDEX {_NEXT} RENAME TO {RECENT_INDEX}"))
    return f"recent-entries index built over the newest {size:,} entries"
