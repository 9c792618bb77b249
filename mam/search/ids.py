"""Search entry ids: not a counter, but ``(the asset's created_at in ms since 2000) << BLOCK_BITS | n``.

The index's own row order is then the assets' recency order, so a search walks the matches newest
first and stops once a page is full (mam/search/walk.py). The index (mam/search/index.py) hands the
ids out; the recent-entries indexes (mam/search/recent.py) are bounded by blocks of them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["BLOCK_BITS", "LAST_ID", "block_of"]

BLOCK_BITS = 21
"""Entries per millisecond block of asset creation times (2,097,152)."""
LAST_ID = (1 << 63) - 1
"""Above every entry id: where a walk newest first starts."""
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def block_of(created_at: datetime | None) -> int:
    """The id block of an asset created at ``created_at``: milliseconds since 2000 (UTC)."""
    moment = created_at or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, (moment - _EPOCH) // timedelta(milliseconds=1))
