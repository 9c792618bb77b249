"""What a search backend is: the SQL that differs between SQLite FTS5 and PostgreSQL, behind one class.

Everything else in a search is the same SQL on both (mam/search/plan.py, walk.py, columns.py,
sample.py). A backend owns how a match expression is written and tested, how visibility is checked,
how planner settings are chosen and reset, and the statements whose shape differs (the inner hits of
a page, counts, column sorts). The two are mam/search/sqlite_backend.py and postgres_backend.py,
found by dialect name in mam/search/backends.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum
from types import TracebackType
from typing import Any, ClassVar, Protocol

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from mam.search.expr import Expr, Tok, holds

__all__ = ["Backend", "Entry", "PlanLike", "PlannerSettings", "Reading", "Visibility", "column_orders"]


class Reading(Enum):
    """How the next statement should read the entries (PostgreSQL's scan settings; SQLite plans alone)."""

    PLANNER = "as the planner likes"
    INDEX = "by any index, never a sequential scan (the default during a search)"
    KEY_ORDER = "along the primary key, newest first"
    MATCHES = "through the GIN index's bitmap of every match"
    MATCHES_ONLY = "through the GIN index's bitmap alone (a count)"


class PlannerSettings:
    """The planner settings of one search, as a context manager: made on entry, and on exit the
    transaction's settings left as they were, whatever ended the search, so the caller's next
    statements plan as they would have without it. This base sets nothing (SQLite)."""

    def __enter__(self) -> PlannerSettings:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def read(self, reading: Reading) -> None:
        """Let the next statements read the entries as ``reading`` says."""

    def reset(self) -> None:
        """The settings as before the search (the search may go on: they are made again as needed)."""


@dataclass(frozen=True)
class Visibility:
    """Who searches: the viewer's tenant tokens (mam/search/index.py puts them in every entry the
    viewer may see), and whether visibility is checked on the rows rather than in the match."""

    viewer: str
    entries: Tok
    assets: Tok
    rows: bool = False

    def row_checks(self, expr: Expr, visible: str) -> list[str]:
        """Predicates on ``e`` for the tenant tokens ``expr`` holds: an asset entry (``ta_``), and
        ``visible`` to the viewer (``tn_`` or ``ta_``)."""
        checks = ["e.kind = 'asset'"] if holds(expr, self.assets) else []
        if holds(expr, self.entries) or holds(expr, self.assets):
            checks.append(visible)
        return checks


@dataclass(frozen=True)
class Entry:
    id: int
    asset_id: str
    kind: str
    ref_id: str
    start: float | None
    end: float | None


def column_orders(column: str) -> list[tuple[str, str]]:
    """(predicate, order) on ``e`` of the two parts of a column sort: entries with a value, then without."""
    return [(f"e.{column} IS NOT NULL", f"{column} DESC, id DESC"), (f"e.{column} IS NULL", "id DESC")]


class PlanLike(Protocol):
    """What a backend uses of the plan it runs statements for (mam/search/plan.py Plan)."""

    base: Expr
    filters: list[str]
    settings: PlannerSettings
    visibility: Visibility

    def run(self, session: Session, sql: str, params: dict[str, Any], *expanding: str) -> Any: ...

    def match(self, expr: Expr, param: str = "m", rows: bool = True) -> tuple[str, dict[str, Any]]: ...

    def loosened(self, expr: Expr, shares: dict[str, float]) -> tuple[str, dict[str, Any]]: ...

    def rows_first(self, session: Session, expr: Expr, n: int, row_us: float | None = None) -> bool | None: ...


class Backend(ABC):
    """One database's way with the search index."""

    name: ClassVar[str]
    filters_on_entries: ClassVar[bool]
    """Whether asset filters and facets are read from the entries' own copies of the asset's columns
    (migrations 0009, 0010), or from the assets (through their covering index, migration 0008)."""
    asset_index: ClassVar[str] = ""
    """The hint written after ``assets a`` for the covering index of what a search reads of an asset."""
    narrow_index: ClassVar[str] = ""
    """The hint written after ``search_entries e`` for an index of ids alone."""

    @abstractmethod
    def render(self, expr: Expr) -> str:
        """``expr`` in the backend's match syntax, to bind as a parameter."""

    @abstractmethod
    def matches(self, alias: str, param: str) -> str:
        """A predicate: the entry ``alias`` matches the expression bound to ``:param``."""

    @abstractmethod
    def month(self, column: str) -> str:
        """The ``YYYY-MM`` text of a date column."""

    @abstractmethod
    def elements(self, column: str, alias: str) -> str:
        """A table function over the strings of the JSON array ``column``, one per row as ``alias.value``."""

    @abstractmethod
    def serialise(self, tokens: list[str]) -> str:
        """A token stream as the ``tokens`` column stores it."""

    def lock_block(self, connection: Connection, block: int) -> None:
        """Hold the id block ``block`` until commit while its next ids are handed out (one writer: nothing)."""
        return None

    @abstractmethod
    def optimize(self, session: Session) -> str:
        """Compact the index after a bulk import; returns what was done."""

    def settings(self, session: Session) -> PlannerSettings:
        """The planner settings of one search (a context manager)."""
        return PlannerSettings()

    def bounds(self, session: Session) -> tuple[int | None, int | None]:
        """The lowest entry ids the recent and newest indexes cover (mam/search/recent.py), or None."""
        return None, None

    def rows_visible(self, session: Session, viewer: str) -> bool:
        """Whether to check visibility on the rows rather than by the viewer's token in the match."""
        return False

    @abstractmethod
    def from_(self, join: str) -> tuple[str, str]:
        """FROM clause over entries ``e`` (then ``join``) that a walk reads, and its ordered key column."""

    @abstractmethod
    def match(self, expr: Expr, param: str, rows: bool, visibility: Visibility) -> tuple[str, dict[str, Any]]:
        """The match predicate over :meth:`from_`, and its parameters; with ``rows=False`` one that
        needs no row (a count over the index alone)."""

    @abstractmethod
    def match_sql(self, expr: Expr, param: str, visibility: Visibility) -> tuple[str, dict[str, Any]]:
        """A predicate on the entry alias ``e`` alone that it matches ``expr``, and its parameters."""

    def checks_on_rows(self, expr: Expr) -> bool:
        """Whether ``expr`` is looked up loosened (mam/search/cost.py relaxed) and checked on the
        rows read, rather than matched whole in the index."""
        return False

    def lexeme_stats(self, session: Session) -> tuple[dict[str, float], float]:
        """The share of entries holding each common token, and the number of entries (none known)."""
        return {}, 0.0

    def rows_first(self, session: Session, core: Expr, n: int, row_us: float | None) -> bool | None:
        """Whether the next ``n`` matches of ``core`` are found sooner by reading entries in order
        and testing each (True) or through the index of every match (False); None: no choice to make."""
        return None

    @abstractmethod
    def count_sql(self, match: str, window: list[str]) -> str:
        """A count, up to ``:n``, of entries older than ``:before`` matching ``match`` (from
        :meth:`match` with ``rows=False``) and ``window``."""

    @abstractmethod
    def entries(self, session: Session, plan: PlanLike, m: str, asset_ids: list[str], kinds: str) -> list[Entry]:
        """The entries of ``asset_ids`` (and ``kinds``, a predicate on ``e``) matching ``:m``."""

    @abstractmethod
    def column_statements(
        self, session: Session, plan: PlanLike, column: str, first: int
    ) -> tuple[list[str], dict[str, Any], bool | None]:
        """The statements of a sort by ``column`` (mam/search/columns.py), one per part (entries with
        a value, then without), reading up to ``:n`` rows of (asset id, value, entry id) in order;
        their parameters, and how to read (:meth:`rows_first`)."""
