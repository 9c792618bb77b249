"""Checking the chain: every entry's hash recomputed, every link and id followed, the first break named.

What a break means, in the order it is looked for at each entry:

- ``edited``: the entry's content no longer gives its hash (changed after it was written);
- ``removed``: the ids jump (ids are given 1, 2, 3... without gaps): the missing id is named;
- ``inserted``: an entry that does not follow the one before it, while the entry after it does
  follow that one (or an entry the next one skips over, or the last entry);
- ``broken``: an entry that follows none of those (the one before it was rewritten with a new hash,
  or entries were removed and the rest renumbered).

Removing entries from the end leaves a shorter chain that is whole: compare the head (id and hash)
with one kept elsewhere (``mam audit verify`` prints it) to see that.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from mam.audit.trail import GENESIS, entry_hash
from mam.models import AuditEntry

__all__ = ["AuditProblem", "AuditReport", "ProblemKind", "verify"]

ProblemKind = Literal["edited", "removed", "inserted", "broken"]

_BATCH = 1000


@dataclass(frozen=True)
class AuditProblem:
    kind: ProblemKind
    entry_id: int
    """The first bad entry (for ``removed``: the first missing id)."""
    message: str


@dataclass(frozen=True)
class AuditReport:
    entries: int
    """Entries checked (up to and including the first bad one)."""
    head_id: int | None
    head_hash: str | None
    """The last entry's id and hash (None for an empty or broken chain): kept elsewhere, they show later
    that nothing was cut off the end."""
    problem: AuditProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _rows(session: Session) -> Iterator[Row[Any]]:
    columns = [c for c in AuditEntry.__table__.columns]
    yield from session.execute(select(*columns).order_by(AuditEntry.id).execution_options(yield_per=_BATCH))


def _with_next(rows: Iterator[Row[Any]]) -> Iterator[tuple[Row[Any], Row[Any] | None]]:
    current = next(rows, None)
    while current is not None:
        following = next(rows, None)
        yield current, following
        current = following


def _check(row: Row[Any], prev: Row[Any] | None, following: Row[Any] | None) -> AuditProblem | None:
    fields: dict[str, Any] = dict(row._mapping)
    if entry_hash(fields, row.prev_hash) != row.hash:
        changed = f"entry {row.id} was changed after it was written: it no longer gives its hash"
        return AuditProblem("edited", row.id, changed)
    expected = prev.id + 1 if prev is not None else 1
    if row.id > expected:
        missing = f"entry {expected}" if row.id == expected + 1 else f"entries {expected} to {row.id - 1}"
        return AuditProblem("removed", expected, f"{missing} removed: the ids jump from {expected - 1} to {row.id}")
    if row.id < expected:
        return AuditProblem("inserted", row.id, f"entry {row.id} repeats an id at or before {expected - 1}")
    linked = prev.hash if prev is not None else GENESIS
    if row.prev_hash == linked:
        return None
    if prev is not None and row.prev_hash == prev.prev_hash:
        return AuditProblem(
            "inserted", prev.id, f"entry {prev.id} was inserted: entry {row.id} follows the entry before it"
        )
    if following is not None and following.prev_hash == linked:
        return AuditProblem(
            "inserted", row.id, f"entry {row.id} was inserted: entry {following.id} follows entry {expected - 1}"
        )
    if following is None:
        return AuditProblem(
            "inserted", row.id, f"entry {row.id} does not follow entry {expected - 1}: it was added or written over"
        )
    return AuditProblem(
        "broken",
        row.id,
        f"entry {row.id} does not follow entry {expected - 1}: that entry was rewritten, or entries between them "
        "were removed and the rest renumbered",
    )


def verify(session: Session) -> AuditReport:
    """Recompute the whole chain, oldest first; stop at the first bad entry and name it."""
    prev: Row[Any] | None = None
    checked = 0
    for row, following in _with_next(_rows(session)):
        checked += 1
        problem = _check(row, prev, following)
        if problem is not None:
            return AuditReport(checked, None, None, problem)
        prev = row
    return AuditReport(checked, prev.id if prev else None, prev.hash if prev else None)
