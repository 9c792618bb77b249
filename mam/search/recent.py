"""PostgreSQL: a second GIN index over the newest entries only, so finding the newest matches reads
short posting lists.

A search wants the newest matches first. The GIN index over every entry hands over every match at
once: for a word in a quarter of a million entries, building that bitmap alone took 20 ms before a
row was read. The same lookup in a partial GIN index over the newest RECENT_ENTRIES entries
(those of the creation-time blocks from ``B`` on; entry ids follow their assets' creation times,
mam/search/ids.py) reads a fifth of that, and ANDed with a range of the primary key it yields
just the newest few thousand entries' matches (mam/search/walk.py). Matches older than ``B`` are
found through the full index, as before.

The index is bounded by block (``(id >> 21) >= B``), not by id: a search's window (``id >= low``)
must not imply the bound by itself, or PostgreSQL takes the index as redundant beside the primary
key's range and ANDs the full index with it instead (20 ms for a common word, against 4).

``mam optimize-index`` builds the index once the catalog holds twice RECENT_ENTRIES entries, and
builds it again (newer ``B``) once the newest part has grown to half as much again. Between two
builds the partial index takes every new entry, so it is only ever a speed-up: a search that reads
a stale ``B`` gets the same hits, through the full index.

Beside it, a third GIN index covers the newest NEWEST_ENTRIES entries only (bounded by
``(id >> 22) >= B``, a different expression, so that a search's bound picks one index): a window
of a common word's newest matches (a few thousand entries) lies there, and its posting lists are
an eighth as long (湘乡, in a quarter of the entries: 0.6 ms against 8.5 in the recent index; at 1M
entries the query mix's p95 went from 61 to 43 ms, A/B against the code without it or the other
changes of the same session). It is built, kept and dropped the same way, only beside a recent
index. Every new entry is written to all three indexes until they are built again.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from mam.search.ids import BLOCK_BITS

__all__ = [
    "NEWEST",
    "NEWEST_ENTRIES",
    "RECENT",
    "RECENT_ENTRIES",
    "RECENT_INDEX",
    "Level",
    "newest_bound",
    "rebuild_newest",
    "rebuild_recent",
    "recent_bound",
]

RECENT_ENTRIES = 200_000
"""Entries the recent index covers when it is built."""
NEWEST_ENTRIES = 25_000
"""Entries the newest index covers when it is built."""
RECENT_INDEX = "ix_search_entries_recent"
_REBUILD_AT = 1.5
"""Build again once the newest part holds this many times the entries the index was built over."""
_BOUND_SECONDS = 60.0
_BOUNDS: dict[str, tuple[float, int | None]] = {}


@dataclass(frozen=True)
class Level:
    """A partial GIN index over the newest entries: its name, the shift of its bound
    (``(id >> shift) >= B``), and what its messages call it.

    Each level's bound is written with its own shift, so a search's predicate implies one level's
    bound only and PostgreSQL uses that index: given ``(id >> 21) >= B`` for both, it may take the
    larger (their estimated costs tie)."""

    index: str
    shift: int
    label: str

    @property
    def predicate(self) -> re.Pattern[str]:
        return re.compile(rf"\(id >> {self.shift}\) >= '?(\d+)")


RECENT = Level(RECENT_INDEX, BLOCK_BITS, "recent-entries")
"""The newest RECENT_ENTRIES entries: where a search looks first for most words."""
NEWEST = Level("ix_search_entries_newest", BLOCK_BITS + 1, "newest-entries")
"""The newest NEWEST_ENTRIES entries: a common word's window is read there (its posting lists an
eighth as long as in the recent index: 0.6 ms against 8.5 for a word in a quarter of the entries)."""


def recent_bound(session: Session) -> int | None:
    """The first creation-time block the recent index covers (entry ids from ``B << BLOCK_BITS``),
    or None when there is no (valid) recent index; read from the index's own definition, at most
    once a minute per catalog."""
    return _bound(session, RECENT)


def newest_bound(session: Session) -> int | None:
    """The bound ``B`` of the newest index (entry ids from ``B << NEWEST.shift``), or None, read
    like :func:`recent_bound`."""
    return _bound(session, NEWEST)


def _bound(session: Session, level: Level) -> int | None:
    key = f"{session.get_bind().engine.url}#{level.index}"
    now = time.monotonic()
    cached = _BOUNDS.get(key)
    if cached is not None and now - cached[0] < _BOUND_SECONDS:
        return cached[1]
    predicate = session.execute(
        text(
            "SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = :name AND c.relnamespace = current_schema()::regnamespace AND i.indisvalid"
        ),
        {"name": level.index},
    ).scalar()
    match = level.predicate.search(predicate or "")
    bound = int(match.group(1)) if match else None
    _BOUNDS[key] = (now, bound)
    return bound


def _count_from(conn: Connection, low: int) -> int:
    statement = text("SELECT COUNT(*) FROM search_entries WHERE id >= :low")
    return int(conn.execute(statement, {"low": low}).scalar_one())


def rebuild_recent(session: Session, size: int | None = None) -> str:
    """Build the recent index over the newest ``size`` (RECENT_ENTRIES) entries when the catalog
    holds twice that and the current one is missing or has grown too large; drop it from a catalog
    too small to need it. Returns what was done. Indexes are built and dropped concurrently:
    searches and writes go on meanwhile. The session's transaction is committed first (a
    concurrent build waits for every open transaction, its caller's too)."""
    return _rebuild_level(session, RECENT, size or RECENT_ENTRIES, needed=True)


def rebuild_newest(session: Session, size: int | None = None) -> str:
    """Build, keep or drop the newest index (over ``size``, NEWEST_ENTRIES, entries) as
    :func:`rebuild_recent` does the recent one; only beside a recent index, which a search needs
    before it looks in the newest."""
    return _rebuild_level(session, NEWEST, size or NEWEST_ENTRIES, needed=recent_bound(session) is not None)


def _rebuild_level(session: Session, level: Level, size: int, needed: bool) -> str:
    _BOUNDS.clear()
    current = _bound(session, level)
    engine = session.get_bind().engine
    session.commit()
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return _rebuild(conn, level, size, current, needed)
    finally:
        _BOUNDS.clear()


def _rebuild(conn: Connection, level: Level, size: int, current: int | None, needed: bool) -> str:
    total = int(conn.execute(text("SELECT COUNT(*) FROM search_entries")).scalar_one())
    if total < 2 * size or not needed:
        if current is None:
            return f"no {level.label} index needed"
        conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {level.index}"))
        why = "catalog too small to need it" if needed else "no recent-entries index beside it"
        return f"{level.label} index dropped ({why})"
    if current is not None and _count_from(conn, current << level.shift) <= _REBUILD_AT * size:
        return f"{level.label} index kept"
    newest = conn.execute(
        text("SELECT id FROM search_entries ORDER BY id DESC OFFSET :k LIMIT 1"), {"k": size - 1}
    ).scalar_one()
    following = level.index + "_next"
    conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {following}"))  # left by a build that failed
    conn.execute(
        text(
            f"CREATE INDEX CONCURRENTLY {following} ON search_entries USING gin (tokens) "
            f"WITH (fastupdate = off) WHERE (id >> {level.shift}) >= {int(newest) >> level.shift}"
        )
    )
    conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {level.index}"))
    conn.execute(text(f"ALTER INDEX {following} RENAME TO {level.index}"))
    return f"{level.label} index built over the newest {size:,} entries"
