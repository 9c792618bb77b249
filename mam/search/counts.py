"""How many entries the search index holds, in all, per owner and from an id on: read at most once
a minute per catalog, and again after this process writes entries (mam/search/index.py calls
:func:`forget`). Estimated totals are scaled by them (mam/search/sample.py)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mam.models import SearchEntry

__all__ = ["entries_from", "entry_at", "entry_total", "forget", "tenant_entries"]

_TOTAL_SECONDS = 60.0
_TOTALS: dict[str, tuple[float, int]] = {}


def entry_total(session: Session) -> int:
    """How many entries the index holds (every tenant's)."""
    return _cached_scalar(session, "", select(func.count()).select_from(SearchEntry))


def entries_from(session: Session, low: int) -> int:
    """How many entries have ids from ``low`` on."""
    newer = select(func.count()).select_from(SearchEntry).where(SearchEntry.id >= low)
    return _cached_scalar(session, f"from{low}", newer)


def entry_at(session: Session, offset: int) -> int:
    """The id of the entry ``offset`` places down from the newest (0 when there are not that many)."""
    edge = select(SearchEntry.id).order_by(SearchEntry.id.desc()).offset(offset).limit(1).scalar_subquery()
    return _cached_scalar(session, f"at{offset}", select(func.coalesce(edge, 0)))


def tenant_entries(session: Session, tenant_id: str) -> int:
    """How many entries ``tenant_id`` owns."""
    owned = select(func.count()).select_from(SearchEntry).where(SearchEntry.tenant_id == tenant_id)
    return _cached_scalar(session, tenant_id, owned)


def forget() -> None:
    """Count again at the next call: this process wrote entries."""
    _TOTALS.clear()


def _cached_scalar(session: Session, name: str, statement: Any) -> int:
    """The integer ``statement`` gives, read at most once a minute per catalog."""
    key = f"{session.get_bind().engine.url}#{name}"
    now = time.monotonic()
    cached = _TOTALS.get(key)
    if cached is not None and now - cached[0] < _TOTAL_SECONDS:
        return cached[1]
    total = int(session.execute(statement).scalar_one())
    _TOTALS[key] = (now, total)
    return total
