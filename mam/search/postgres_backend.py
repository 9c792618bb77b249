"""PostgreSQL: entries matched by a tsvector column and its GIN indexes, the planner steered per statement."""

from __future__ import annotations

from types import TracebackType
from typing import Any, ClassVar

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from mam.search import cost
from mam.search.backend import Backend, Entry, PlanLike, PlannerSettings, Reading, Visibility, column_orders
from mam.search.expr import Expr, has_phrase, to_tsquery, without
from mam.search.ids import BLOCK_BITS
from mam.search.recent import NEWEST, newest_bound, rebuild_newest, rebuild_recent, recent_bound

__all__ = ["PostgresBackend", "PostgresSettings"]

_MAX_POSITIONS = 255
_SCANS = ("enable_bitmapscan", "enable_indexscan", "enable_seqscan")
_SETTINGS = ("plan_cache_mode", "jit", "max_parallel_workers_per_gather")
"""The settings a search makes besides the scans."""
_OFF = {
    Reading.PLANNER: frozenset[str](),
    Reading.INDEX: frozenset({"enable_seqscan"}),
    Reading.KEY_ORDER: frozenset({"enable_bitmapscan", "enable_seqscan"}),
    Reading.MATCHES: frozenset({"enable_indexscan"}),
    Reading.MATCHES_ONLY: frozenset({"enable_seqscan", "enable_indexscan"}),
}
"""The scans off for each way of reading. Sequential scans are off for a whole search (every
statement reads by an index, and windows in the recent index need nothing else)."""


class PostgresSettings(PlannerSettings):
    """``SET LOCAL`` planner settings for one search, reset when it ends however it ends.

    Each statement is planned for its own match expression: a plan made once for any expression
    (psycopg prepares repeated statements) walks the whole index for a rare word. A search runs a
    few short statements: compiling one with JIT (the planner's cost of a walk over a million
    entries invites it) took 30 ms of a 100 ms statement. No parallel workers: a statement stopping
    at a limit paid their start for nothing (a shoot date sort's walk: 40 ms with two, 28 ms
    without). The scans change only for the statements that need others, each change a round trip.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._off = frozenset[str]()

    def __enter__(self) -> PostgresSettings:
        default = _OFF[Reading.INDEX]
        self._session.execute(
            text(
                "SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL jit = off; "
                "SET LOCAL max_parallel_workers_per_gather = 0; "
                + "; ".join(f"SET LOCAL {n} = {'off' if n in default else 'on'}" for n in _SCANS)
            )
        )
        self._off = default
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, DBAPIError):
            return  # the transaction failed: rolling it back undoes every SET LOCAL, and nothing else can
        self.reset()

    def read(self, reading: Reading) -> None:
        off = _OFF[reading]
        if off == self._off:
            return
        self._session.execute(text("; ".join(f"SET LOCAL {n} = {'off' if n in off else 'on'}" for n in _SCANS)))
        self._off = off

    def reset(self) -> None:
        self._session.execute(text("; ".join(f"SET LOCAL {n} TO DEFAULT" for n in (*_SETTINGS, *_SCANS))))
        self._off = frozenset()


class PostgresBackend(Backend):
    name: ClassVar[str] = "postgresql"
    filters_on_entries: ClassVar[bool] = True
    """The entries carry their asset's filterable columns (migration 0009): no asset is looked up by
    its text id (6-8 us each at 1M assets)."""

    def render(self, expr: Expr) -> str:
        return to_tsquery(expr)

    def matches(self, alias: str, param: str) -> str:
        return f"{alias}.tokens @@ CAST(:{param} AS tsquery)"

    def month(self, column: str) -> str:
        return f"to_char({column}, 'YYYY-MM')"

    def elements(self, column: str, alias: str) -> str:
        return f"json_array_elements_text({column}) AS {alias}(value)"

    def serialise(self, tokens: list[str]) -> str:
        """A tsvector literal (positions kept up to _MAX_POSITIONS per token)."""
        positions: dict[str, list[int]] = {}
        for i, token in enumerate(tokens, start=1):
            positions.setdefault(token, []).append(i)
        return " ".join(
            "'" + t.replace("\\", "\\\\").replace("'", "''") + "':" + ",".join(map(str, p[:_MAX_POSITIONS]))
            for t, p in positions.items()
        )

    def lock_block(self, connection: Connection, block: int) -> None:
        connection.execute(text("SELECT pg_advisory_xact_lock(:block)"), {"block": block})

    def optimize(self, session: Session) -> str:
        """The token statistics a search uses to choose between reading entries newest first and the
        GIN index (mam/search/cost.py) are gathered again, and the GIN indexes of the newest entries
        are built when the catalog has grown enough to need them (mam/search/recent.py)."""
        session.execute(text("ANALYZE search_entries"))
        session.commit()
        return f"token statistics gathered again; {rebuild_recent(session)}; {rebuild_newest(session)}"

    def settings(self, session: Session) -> PostgresSettings:
        return PostgresSettings(session)

    def bounds(self, session: Session) -> tuple[int | None, int | None]:
        block = recent_bound(session)
        recent = None if block is None else block << BLOCK_BITS
        newest = newest_bound(session) if block is not None else None
        if newest is not None and recent is not None and newest << NEWEST.shift > recent:
            return recent, newest << NEWEST.shift
        return recent, None

    def from_(self, join: str) -> tuple[str, str]:
        return f"search_entries e{join}", "e.id"

    def match(self, expr: Expr, param: str, rows: bool, visibility: Visibility) -> tuple[str, dict[str, Any]]:
        """``expr`` as predicates on ``e``, the viewer's tenant token as a column test.

        A tenant token is in most entries of a catalog, and GIN intersects it with a common word
        slowly (at 1M entries, 320 ms of a 340 ms count), so visibility is checked on the rows
        instead: the owner's column first, the token only for entries owned by another tenant
        (shared ones). Both say the same: an entry carries its owner's token.
        """
        core = without(expr, {visibility.entries, visibility.assets})
        predicates, params = [], {}
        if core is not None:
            predicates.append(f"e.tokens @@ CAST(:{param} AS tsquery)")
            params[param] = self.render(core)
        checks = visibility.row_checks(expr, f"(e.tenant_id = :viewer OR e.tokens @@ CAST(:{param}_v AS tsquery))")
        if checks:
            params |= {"viewer": visibility.viewer, f"{param}_v": self.render(visibility.entries)}
        return " AND ".join([*predicates, *checks]) or "1 = 1", params

    def match_sql(self, expr: Expr, param: str, visibility: Visibility) -> tuple[str, dict[str, Any]]:
        return self.match(expr, param, True, visibility)

    def checks_on_rows(self, expr: Expr) -> bool:
        """A phrase: GIN answers its loosened match alone, and the phrase is checked on the rows read,
        so a common phrase costs a batch of rechecks, not one per match in the whole index."""
        return has_phrase(expr)

    def lexeme_stats(self, session: Session) -> tuple[dict[str, float], float]:
        return cost.lexeme_stats(session)

    def rows_first(self, session: Session, core: Expr, n: int, row_us: float | None) -> bool | None:
        shares, entries = cost.lexeme_stats(session)
        return cost.rows_first(cost.share(core, shares), entries, n, row_us)

    def count_sql(self, match: str, window: list[str]) -> str:
        where = " AND ".join([match, "e.id < :before", *window])
        return f"SELECT COUNT(*) FROM (SELECT 1 FROM search_entries e WHERE {where} LIMIT :n) x"

    def entries(self, session: Session, plan: PlanLike, m: str, asset_ids: list[str], kinds: str) -> list[Entry]:
        # The page's entries are few: read them by asset and test each. Left to itself the planner
        # ANDs in the GIN bitmap of the whole match, which for common words costs more than the
        # rest of the statement (14 ms of 14 ms at 1M entries).
        plan.settings.read(Reading.INDEX)
        sql = (
            'WITH page AS MATERIALIZED (SELECT e.id, e.asset_id, e.kind, e.ref_id, e.start, e."end", e.tokens '
            f"FROM search_entries e WHERE e.asset_id IN :page{kinds}) "
            'SELECT e.id, e.asset_id, e.kind, e.ref_id, e.start, e."end" FROM page e '
            "WHERE e.tokens @@ CAST(:m AS tsquery)"
        )
        return [Entry(*r) for r in plan.run(session, sql, {"m": m, "page": asset_ids}, "page")]

    def column_statements(
        self, session: Session, plan: PlanLike, column: str, first: int
    ) -> tuple[list[str], dict[str, Any], bool | None]:
        """Entries read in the order of their index on (column, id) and each tested, or every match
        read through GIN (a phrase loosened there and checked on the candidates in sort order,
        until the limit), as :meth:`rows_first` chooses."""
        rows_first = plan.rows_first(session, plan.base, first, cost.SCATTERED_US)
        checked = not rows_first and has_phrase(plan.base)
        if checked:
            match, params = plan.loosened(plan.base, cost.lexeme_stats(session)[0])
        else:
            match, params = plan.match(plan.base)
        statements = []
        for part, order in column_orders(column):
            where = " AND ".join([match, part, *(c.format(t="e") for c in plan.filters)])
            if checked:
                statements.append(
                    f"SELECT c.asset_id, c.{column}, c.id FROM (SELECT e.asset_id, e.{column}, e.id, e.tokens "
                    f"FROM search_entries e WHERE {where} ORDER BY {order} OFFSET 0) c "
                    f"WHERE c.tokens @@ CAST(:x AS tsquery) ORDER BY {order} LIMIT :n"
                )
            else:
                statements.append(
                    f"SELECT e.asset_id, e.{column}, e.id FROM search_entries e WHERE {where} ORDER BY {order} LIMIT :n"
                )
        return statements, params, rows_first
