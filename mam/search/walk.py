"""Find a page of matches without touching every match: walk the index newest first and stop.

Entry ids are ordered like their assets' creation times (mam/search/index.py), so both FTS5 (rowid
order) and PostgreSQL (the primary key, read backwards) hand out matches newest first and a query
can stop as soon as the page is full. Relevance is a few tiers (title holds every word: +2; the
whole query as an exact phrase: +1), each walked in turn: the best tier first, then the next, until
the page is full. Ties inside one millisecond are put in exact (created_at, asset id) order here.

Counting every match of a common word is what made search slow, so ``total`` is exact only up to
``SAMPLE`` matching entries; above that it is an estimate (``total_is_estimate``), and facets count
the most recent matching assets found in that sample.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import DateTime, String, bindparam, text
from sqlalchemy.orm import Session

from mam.search.backends import Backend
from mam.search.expr import All, Any_, Expr, Phrase, Tok
from mam.search.index import (
    ASSET_INDEX,
    BLOCK_BITS,
    NARROW_INDEX,
    entries_from,
    entry_at,
    entry_total,
    tenant_entries,
)
from mam.search.query import FILTER_PREFIXES, ParsedQuery
from mam.search.recent import NEWEST, NEWEST_ENTRIES, RECENT_ENTRIES, newest_bound, recent_bound
from mam.search.tokens import tenant_token
from mam.search.visibility import visible_entries_sql

__all__ = ["COUNT_CAP", "PHRASE_SAMPLE", "RANGE_CAP", "SAMPLE", "SPARSE", "Entry", "Plan", "Sample", "relaxed"]

SAMPLE = 1000
"""Matching entries read (newest first) to count exactly, or to estimate, and to count facets over."""
PHRASE_SAMPLE = 250
"""PostgreSQL, without facets: phrase matches checked to estimate a total clearly above SAMPLE."""
SPARSE = 2000
"""SQLite: a shoot date or duration sort with fewer matches than this sorts them all; with more it
walks the entries in the column's order (:meth:`Plan.column_page`)."""
COUNT_CAP = 10_000
"""Matching entries counted for an estimated total of a sparse match; more than this reads as this many."""
RANGE_CAP = 20_000
"""Newest entries counted to tell how densely the sampled matches lie among them."""
_LAST = (1 << 63) - 1
_ASSET_FILTERS = (
    ("status", "status", "{t}.status = :status"),
    ("media_type", "media_kind", "{t}.media_kind = :media_type"),
    ("date_from", "shoot_date", "{t}.shoot_date >= :date_from"),
    ("date_to", "shoot_date", "{t}.shoot_date <= :date_to"),
    ("duration_min", "duration", "{t}.duration >= :duration_min"),
    ("duration_max", "duration", "{t}.duration <= :duration_max"),
)
"""(filter, column, predicate on the table ``t``): the asset's columns, also on each of its entries."""


def _all(*items: Expr | None) -> Expr | None:
    kept = [i for i in items if i is not None]
    return None if not kept else kept[0] if len(kept) == 1 else All(tuple(kept))


def _holds(expr: Expr, tok: Tok) -> bool:
    """Whether ``tok`` is one of the terms ``expr`` requires (at the top or in nested All)."""
    return expr == tok or (isinstance(expr, All) and any(_holds(i, tok) for i in expr.items))


def _without(expr: Expr, toks: set[Tok]) -> Expr | None:
    """``expr`` without the required terms ``toks``."""
    if isinstance(expr, Tok) and expr in toks:
        return None
    if isinstance(expr, All):
        return _all(*(_without(i, toks) for i in expr.items))
    return expr


_FIELD_PREFIXES = tuple(FILTER_PREFIXES.values())
_SCANS = ("enable_bitmapscan", "enable_indexscan", "enable_seqscan")
_SETTINGS = ("plan_cache_mode", "jit", "max_parallel_workers_per_gather")
"""PostgreSQL: the settings :meth:`Plan.prepare` sets for a search besides the scans."""
_DEFAULT_OFF = frozenset({"enable_seqscan"})
"""PostgreSQL: the scans off for a whole search (mam/search/engine.py): every statement reads by an
index, and windows in the recent index (:meth:`Plan._planned`) need nothing else."""
_ROWS_VISIBLE_SHARE = 0.6
"""SQLite: check visibility on the rows when the viewer may see at least this share of entries."""
_ROW_US = 5.0
"""PostgreSQL: microseconds to read one entry and test its tsvector (measured at 1M entries, cached:
3 in one session, 5 in the next; the token stream is fetched from TOAST)."""
_SCATTERED_US = 6.0
"""PostgreSQL: microseconds to read one entry and test its tsvector in a shoot date or duration
order, where neighbours are not stored together (measured at 1M entries, cached, no parallel workers)."""
_MATCH_US = 0.8
"""PostgreSQL: microseconds per match to build, read and sort a GIN bitmap of every match."""
_GIN_US = 0.06
"""PostgreSQL: microseconds per entry of a posting list to read it into a bitmap (measured, 1M entries)."""
_FEW_US = 1000.0
"""PostgreSQL: below this many microseconds for the full GIN index to read the posting lists of a
match, the recent index is not worth a statement of its own."""
_FILTER_SHARE = 0.2
"""PostgreSQL: the share of matches an asset filter (date, duration, status, type) is taken to pass."""
_FACET_COLUMNS = ("programme", "media_kind", "shoot_date", "tags")
"""The asset columns facets count (mam/search/facets.py)."""
_SAMPLE_ROWS = ("sampled", "assets", "matched", "examined")
"""The rows of the sample statement that are not facet counts."""
_STATS_SECONDS = 600.0
_STATS: dict[str, tuple[float, dict[str, float], float]] = {}


def _lexeme_stats(session: Session) -> tuple[dict[str, float], float]:
    """PostgreSQL's own statistics of ``search_entries.tokens``: the share of entries holding each
    common lexeme, and the number of entries (read again every ten minutes)."""
    bind = session.get_bind()
    key = str(bind.engine.url)
    now = time.monotonic()
    cached = _STATS.get(key)
    if cached is not None and now - cached[0] < _STATS_SECONDS:
        return cached[1], cached[2]
    row = session.execute(
        text(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
            "FROM pg_class c LEFT JOIN pg_stats s ON s.schemaname = current_schema() "
            "AND s.tablename = 'search_entries' AND s.attname = 'tokens' "
            "WHERE c.oid = 'search_entries'::regclass"
        )
    ).first()
    shares: dict[str, float] = {}
    entries = 0.0
    if row is not None:
        elems, freqs, tuples = row
        shares = dict(zip(elems or [], freqs or [], strict=False))
        entries = max(0.0, float(tuples or 0))
    _STATS[key] = (now, shares, entries)
    return shares, entries


def _plain_tok(tok: Tok) -> Tok:
    for prefix in _FIELD_PREFIXES:
        if tok.text.startswith(prefix):
            return Tok(tok.text[len(prefix) :], tok.prefix)
    return tok


def _plain(expr: Expr) -> Expr:
    """``expr`` with field prefixes taken off its tokens (``t_湘乡`` -> ``湘乡``)."""
    if isinstance(expr, Tok):
        return _plain_tok(expr)
    if isinstance(expr, Phrase):
        return Phrase(tuple(_plain_tok(t) for t in expr.tokens))
    if isinstance(expr, All):
        return All(tuple(_plain(i) for i in expr.items))
    return Any_(tuple(_plain(i) for i in expr.items))


def _share(expr: Expr, shares: dict[str, float]) -> float:
    """An estimate of the share of entries matching ``expr``: the tokens of one phrase (the bigrams of
    one word) as often as the rarest of them, separate terms as independent (an underestimate when
    they go together, which only keeps the GIN plan), except that a field's copy of a term implies
    the term (an asset's title words are also its plain words). A prefix is as common as the listed
    lexemes it stands for together. A term PostgreSQL does not list among its common lexemes
    counts as rare (0)."""
    if isinstance(expr, Tok):
        if expr.prefix:  # 茶*: as often as the listed lexemes it stands for, together
            return min(1.0, sum(share for lexeme, share in shares.items() if lexeme.startswith(expr.text)))
        return shares.get(expr.text, 0.0)
    if isinstance(expr, Phrase):
        return min(_share(t, shares) for t in expr.tokens)
    if isinstance(expr, All):
        implied = {i for i in expr.items for j in expr.items if j != i and _plain(j) == i}
        share = 1.0
        for item in expr.items:
            if item not in implied:
                share *= _share(item, shares)
        return share
    return min(1.0, sum(_share(i, shares) for i in expr.items))


def _listed(expr: Expr, shares: dict[str, float]) -> float:
    """The posting lists GIN reads for ``expr``, as a share of entries: every token's, added up."""
    if isinstance(expr, Tok):
        return _share(expr, shares)
    if isinstance(expr, Phrase):
        return sum(_share(t, shares) for t in expr.tokens)
    return sum(_listed(i, shares) for i in expr.items)


def _has_phrase(expr: Expr) -> bool:
    if isinstance(expr, Phrase):
        return True
    return isinstance(expr, All | Any_) and any(_has_phrase(i) for i in expr.items)


def relaxed(expr: Expr, shares: dict[str, float] | None = None) -> Expr:
    """``expr`` with every phrase loosened to all of its tokens, anywhere: a superset of its matches.
    Given the lexemes' ``shares`` of entries (PostgreSQL's statistics), a phrase is loosened to its
    rarest token alone: the bigrams of one word go together, so the others hardly narrow the match,
    and GIN reads each one's whole posting list (乡村 & 村振 & 振兴: 11 ms, against 4 for 振兴).

    A GIN index answers this alone; a phrase needs each candidate's tsvector read back (PostgreSQL).
    Alternatives that require tokens in common (the query as one phrase, written two ways) are
    loosened to those tokens: GIN need not read the posting list of a token only one of them has
    (镇 of 月山镇, in every town's name: 81 ms of a title tier at 1M entries).
    """
    if isinstance(expr, Phrase):
        if shares is not None:
            return min(expr.tokens, key=lambda t: _share(t, shares))
        return All(expr.tokens)
    if isinstance(expr, All):
        # Flattened, each term once: GIN reads a posting list for every term it is given.
        flat: list[Expr] = []
        for item in (relaxed(i, shares) for i in expr.items):
            flat.extend(item.items if isinstance(item, All) else (item,))
        # An alternative whose tokens the others require already holds: 月山 | 镇志 beside 月山.
        held = {i for i in flat if isinstance(i, Tok)}
        kept = [i for i in flat if not (isinstance(i, Any_) and any(_implied(alt, held) for alt in i.items))]
        return kept[0] if len(kept) == 1 else All(tuple(dict.fromkeys(kept)))
    if isinstance(expr, Any_):
        loose = [relaxed(i, shares) for i in expr.items]
        required = [_tokens(i) for i in loose]
        if all(r is not None for r in required):
            common = set.intersection(*(r for r in required if r is not None))
            if common:
                ordered = tuple(sorted(common, key=lambda t: (t.text, t.prefix)))
                return ordered[0] if len(ordered) == 1 else All(ordered)
        return Any_(tuple(loose))
    return expr


def _implied(expr: Expr, required: set[Tok]) -> bool:
    """Whether every entry holding the ``required`` tokens matches ``expr`` (a token or all of some)."""
    tokens = _tokens(expr)
    return tokens is not None and tokens <= required


def _tokens(expr: Expr) -> set[Tok] | None:
    """The tokens every match of ``expr`` holds, when ``expr`` is a token or all of some tokens."""
    if isinstance(expr, Tok):
        return {expr}
    if isinstance(expr, All) and all(isinstance(i, Tok) for i in expr.items):
        return {i for i in expr.items if isinstance(i, Tok)}
    return None


def _distinct(rows: list[Any], need: int, skip: set[str]) -> tuple[dict[str, tuple[Any, ...]], bool]:
    """The distinct assets of ``rows`` (asset id, column value, entry id; in sort order) not in
    ``skip``, each with its sort key; and whether that holds the first ``need`` of them and every
    asset sharing the key of the last (True), or more rows may add to them (False)."""
    part: dict[str, tuple[Any, ...]] = {}
    boundary: tuple[Any, ...] | None = None
    for asset_id, value, entry_id in rows:
        block = int(entry_id) >> BLOCK_BITS
        key = (0, block) if value is None else (1, value, block)
        if boundary is not None and key != boundary:
            return part, True
        if asset_id not in skip and asset_id not in part:
            part[asset_id] = key
            if len(part) >= need:
                boundary = key
    return part, need <= 0


def _column_orders(column: str) -> list[tuple[str, str]]:
    """(predicate, order) on ``e`` of the two parts of a column sort: entries with a value, then without."""
    return [(f"e.{column} IS NOT NULL", f"{column} DESC, id DESC"), (f"e.{column} IS NULL", "id DESC")]


def _candidates(found: dict[str, tuple[Any, int | None]], sampled: int) -> int | None:
    """The matches a sample statement counted (``counted`` in :meth:`Plan._sample_sql`), None when
    it did not: its candidates, for a phrase at the rate its first ``sampled`` matches passed the
    phrase check among the candidates it examined."""
    matched, examined = found.get("matched", (None, None))[1], found.get("examined", (None, None))[1]
    if matched is None:
        return None
    return round(matched * sampled / examined) if examined else matched


@dataclass(frozen=True)
class Entry:
    id: int
    asset_id: str
    kind: str
    ref_id: str
    start: float | None
    end: float | None


@dataclass(frozen=True)
class Sample:
    total: int
    estimated: bool
    assets: int
    """Distinct assets passing the filters among the newest SAMPLE matching entries."""
    counts: list[tuple[str, Any, int]]
    """(facet, value, count) over those assets (mam/search/facets.py), when read for facets; else empty."""


class Plan:
    """The match expressions and SQL of one search."""

    def __init__(self, backend: Backend, parsed: ParsedQuery, viewer: str) -> None:
        """The plan of ``parsed`` for the tenant ``viewer``: entries carry the token of every tenant that
        may see them (owner and share holders, mam/search/index.py), so visibility is one more token."""
        self.backend = backend
        given = [(name, column, clause) for name, column, clause in _ASSET_FILTERS if getattr(parsed, name) is not None]
        self.params: dict[str, Any] = {name: getattr(parsed, name) for name, _, _ in given}
        self.conditions = [clause.format(t="a") for _, _, clause in given]
        """The asset filters as predicates on the asset ``a``."""
        # PostgreSQL tests the filters on the entries, which carry their asset's filterable columns
        # (migration 0009): no asset is looked up by its text id (6-8 us each at 1M assets). SQLite
        # reads them from its covering index of assets, cheaper there than a wider entry index.
        self._on_entries = backend.name == "postgresql"
        self._filter_columns = sorted({column for _, column, _ in given})
        self._filters = [clause for _, _, clause in given]
        self.text = parsed.text_expr()
        self.title = parsed.title_expr()
        self.phrase = parsed.phrase_expr()
        entries: Tok = Tok(tenant_token(viewer))
        assets: Tok = Tok(tenant_token(viewer, True))
        self.viewer, self._entries, self._assets = viewer, entries, assets
        self._rows_visible = False
        self._recent: int | None = None
        self._newest: int | None = None
        """PostgreSQL: the lowest ids the recent and newest indexes cover (mam/search/recent.py)."""
        self._above: dict[int, int] = {}
        """Entries from each window edge found (:meth:`_edge`) up to the newest."""
        # SQLite reads an asset's filter and facet columns from their covering index (migration
        # 0008); left to itself it takes the primary key's, then the row.
        self._asset_index = f" INDEXED BY {ASSET_INDEX}" if backend.name == "sqlite" else ""
        self._off: frozenset[str] = frozenset()
        filters = parsed.filter_expr()
        if self.text is None:
            self.base: Expr = _all(filters, assets) or assets
        else:
            # Spans and cues carry their asset's filterable fields (mam/search/index.py), so a filter
            # and the words match in one entry: the asset's own, or a marker or subtitle line of it.
            self.base = _all(self.text, filters, entries) or entries

    # SQL pieces -----------------------------------------------------------------------------------
    def _from(self, assets: bool) -> tuple[str, str]:
        """FROM clause and the ordered key column."""
        join = f" JOIN assets a{self._asset_index} ON a.id = e.asset_id" if assets else ""
        if self.backend.name == "postgresql":
            return f"search_entries e{join}", "e.id"
        # Only e.id, e.asset_id, e.tenant_id and e.kind are read: the covering index spares reading
        # each token stream.
        return (
            f"search_fts JOIN search_entries e INDEXED BY {NARROW_INDEX} ON e.id = search_fts.rowid{join}",
            "search_fts.rowid",
        )

    def prepare(self, session: Session) -> None:
        """Choose how visibility is checked (SQLite): by the viewer's token in the FTS5 match, or on
        the rows. The token is in every entry the viewer may see; where that is most of the index,
        ANDing it into a match costs FTS5 up to 40% more than testing each matching row's owner
        (and, for another owner's entry, whether it is shared with the viewer)."""
        if self.backend.name == "sqlite":
            self._rows_visible = tenant_entries(session, self.viewer) >= _ROWS_VISIBLE_SHARE * entry_total(session)
        else:
            block = recent_bound(session)
            self._recent = None if block is None else block << BLOCK_BITS
            newest = newest_bound(session) if block is not None else None
            if newest is not None and self._recent is not None and newest << NEWEST.shift > self._recent:
                self._newest = newest << NEWEST.shift
            # Plan each statement for its own match expression: a plan made once for any expression
            # (psycopg prepares repeated statements) walks the whole index for a rare word. A search
            # runs a few short statements: compiling one with JIT (the planner's cost of a walk over
            # a million entries invites it) took 30 ms of a 100 ms statement. Sequential scans are
            # off for the whole search (every statement reads by an index): the planner settings
            # then change only for the statements that need other scans, each change a round trip.
            # No parallel workers: a statement stopping at a limit paid their start for nothing
            # (a shoot date sort's walk: 40 ms with two, 28 ms without).
            session.execute(
                text(
                    "SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL jit = off; "
                    "SET LOCAL max_parallel_workers_per_gather = 0; "
                    + "; ".join(f"SET LOCAL {n} = {'off' if n in _DEFAULT_OFF else 'on'}" for n in _SCANS)
                )
            )
            self._off = _DEFAULT_OFF

    def _match(self, expr: Expr, param: str = "m", rows: bool = True) -> tuple[str, dict[str, Any]]:
        """The match predicate over the FROM clause of :meth:`_from`, and its parameters; with
        ``rows=False`` (SQLite) one FTS5 match over ``search_fts`` alone."""
        if self.backend.name == "postgresql":
            return self._pg_match(expr, param)
        core = _without(expr, {self._entries, self._assets})
        if not (rows and self._rows_visible) or core is None:
            return f"search_fts MATCH :{param}", {param: self.backend.render(expr)}
        predicates = [f"search_fts MATCH :{param}", *self._row_checks(expr, visible_entries_sql("e"))]
        return " AND ".join(predicates), {param: self.backend.render(core), "viewer": self.viewer}

    def _row_checks(self, expr: Expr, visible: str) -> list[str]:
        """Predicates on ``e`` for the tenant tokens ``expr`` holds: an asset entry (``ta_``), and
        ``visible`` to the viewer (``tn_`` or ``ta_``)."""
        checks = ["e.kind = 'asset'"] if _holds(expr, self._assets) else []
        if _holds(expr, self._entries) or _holds(expr, self._assets):
            checks.append(visible)
        return checks

    def _run(self, session: Session, sql: str, params: dict[str, Any], *expanding: str) -> Any:
        statement = text(sql).bindparams(*(bindparam(n, expanding=True) for n in expanding))
        return session.execute(statement, {**self.params, **params})

    def _pg_match(self, expr: Expr, param: str) -> tuple[str, dict[str, Any]]:
        """``expr`` as PostgreSQL predicates on ``e``, the viewer's tenant token as a column test.

        A tenant token is in most entries of a catalog, and GIN intersects it with a common word
        slowly (at 1M entries, 320 ms of a 340 ms count), so on PostgreSQL visibility is checked on
        the rows instead: the owner's column first, the token only for entries owned by another
        tenant (shared ones). Both say the same: an entry carries its owner's token.
        """
        core = _without(expr, {self._entries, self._assets})
        predicates, params = [], {}
        if core is not None:
            predicates.append(f"e.tokens @@ CAST(:{param} AS tsquery)")
            params[param] = self.backend.render(core)
        checks = self._row_checks(expr, f"(e.tenant_id = :viewer OR e.tokens @@ CAST(:{param}_v AS tsquery))")
        if checks:
            params |= {"viewer": self.viewer, f"{param}_v": self.backend.render(self._entries)}
        return " AND ".join([*predicates, *checks]) or "1 = 1", params

    def _loosened(self, expr: Expr, shares: dict[str, float]) -> tuple[str, dict[str, Any]]:
        """PostgreSQL: the match of ``expr`` with its phrases loosened (:func:`relaxed`), which the
        GIN index answers alone, and its parameters; ``:x`` is bound to ``expr`` itself, for the
        phrase check on the rows read (``tokens @@ CAST(:x AS tsquery)``)."""
        match, params = self._match(relaxed(expr, shares))
        core = _without(expr, {self._entries, self._assets})
        assert core is not None  # a phrase is in it
        return match, {**params, "x": self.backend.render(core)}

    def match_sql(self, expr: Expr, param: str) -> tuple[str, dict[str, Any]]:
        """A predicate on the entry alias ``e`` that it matches ``expr``, and its parameters."""
        if self.backend.name == "postgresql":
            return self._pg_match(expr, param)
        return self.backend.matches("e", param), {param: self.backend.render(expr)}

    # The page -------------------------------------------------------------------------------------
    def tiers(self, sort: str) -> list[tuple[int, Expr]]:
        if sort != "relevance" or self.text is None:
            return [(0, self.base)]
        candidates = [
            (3, _all(self.base, self.title, self.phrase) if self.phrase is not None else None),
            (2, _all(self.base, self.title)),
            (1, _all(self.base, self.phrase) if self.phrase is not None else None),
            (0, self.base),
        ]
        return [(score, expr) for score, expr in candidates if expr is not None]

    def page(self, session: Session, sort: str, need: int) -> list[tuple[str, int]]:
        """The first ``need`` matching assets in ``sort`` order (relevance, newest, oldest), with tiers."""
        out: list[tuple[str, int]] = []
        seen: set[str] = set()
        for score, expr in self.tiers(sort):
            found = self._walk(session, expr, sort != "oldest", need - len(out), seen)
            out.extend((asset_id, score) for asset_id in found[: need - len(out)])
            seen.update(found)
            if len(out) >= need:
                break
        return out

    def _scan(self, session: Session, expr: Expr, desc: bool, after: int, n: int) -> tuple[list[Any], int | None]:
        """The next ``n`` entries after ``after`` in id order that may match ``expr`` and whose asset
        passes the asset filters: rows of (id, asset id, hit); hit is 1 when the entry matches ``expr``.
        With them, where to go on from (None: every entry has been read). On PostgreSQL, while
        above the recent index's bound, only a window of the newest entries is read
        (:meth:`_window`): fewer than ``n`` rows then mean go on below the window.

        On PostgreSQL a phrase is looked up loosened (:func:`relaxed`, which the GIN index answers
        alone) and checked on the rows read only, so a common phrase costs a batch of rechecks, not
        one per match in the whole index. FTS5 matches phrases in its index: every row is a hit.
        """
        b = self.backend
        source, key = self._from(bool(self.conditions) and not self._on_entries)
        order = "DESC" if desc else "ASC"
        params: dict[str, Any] = {"after": after, "n": n}
        hit = "1"
        tokens = ""
        if b.name == "postgresql" and _has_phrase(expr):
            match, found = self._loosened(expr, _lexeme_stats(session)[0])
            params |= found
            hit, tokens = "CASE WHEN c.tokens @@ CAST(:x AS tsquery) THEN 1 ELSE 0 END", ", e.tokens"
        else:
            match, found = self._match(expr)
            params |= found
        # A batch is at least twice what the walk still needs: the window is sized for half of it.
        low = self._window(session, expr, after, max(1, n // 2), len(self.conditions), n) if desc else None
        window, found = self._window_sql(low)
        params |= found
        conditions = [c.format(t="e") for c in self._filters] if self._on_entries else self.conditions
        where = " AND ".join([match, f"{key} {'<' if desc else '>'} :after", *window, *conditions])
        sql = (
            f"SELECT c.id, c.asset_id, {hit} FROM (SELECT {key} AS id, e.asset_id AS asset_id{tokens} "
            f"FROM {source} WHERE {where} ORDER BY {key} {order} LIMIT :n) c ORDER BY c.id {order}"
        )
        rows = self._planned(session, sql, params, self._rows_first(session, expr, n) if low is None else "window")
        if len(rows) >= n:
            return rows, int(rows[-1][0])
        return rows, low

    def _window(
        self, session: Session, expr: Expr, after: int, n: int, filters: int = 0, rows: int | None = None
    ) -> int | None:
        """PostgreSQL: the lowest id of the newest entries below ``after`` to look for ``n`` matches of
        ``expr`` in, through the recent index (mam/search/recent.py); None below its bound (or with
        no recent index, nothing to match but visibility, or a match so rare that the full index
        lists it at once).

        As many entries as should hold twice ``n`` matches, going by the word's share of entries;
        the whole recent part where that holds few matches anyway (reading them all costs less
        than finding the window's edge). None too for a word so common that testing the newest
        entries one by one finds ``n`` matches sooner than the recent index can list its matches.
        Each of ``filters`` asset filters is taken to pass a fifth of the matches (a date range of a
        few months in a catalog of years): reading entries one by one then costs five times more.
        ``rows``: the matches a read one by one would stop at (default ``n``). None as well when the
        whole recent part should hold fewer than ``n`` matches.
        """
        bound = self._recent
        if bound is None or after <= bound:
            return None
        known = self._known(session, expr)
        if known is None:
            return None
        core, shares, entries, share = known
        listed = _listed(relaxed(core, shares), shares)  # posting lists GIN reads, as a share of entries
        if listed * entries * _GIN_US < _FEW_US:
            return None  # so rare that the full index lists every match at once, cheaply
        passing = share * _FILTER_SHARE**filters
        if passing * RECENT_ENTRIES < n:
            # The recent part should not hold ``n`` matches: reading it would only be followed by
            # reading the full index (tag:消防 reporter:李四 at 1M entries: 8 ms, then 14 ms).
            return None
        if share * RECENT_ENTRIES <= max(4 * n, 2000):
            return bound
        share = passing
        # The window is read in the newest index when it fits there, else in the recent index.
        part = NEWEST_ENTRIES if self._newest is not None and 2 * n / share <= NEWEST_ENTRIES else RECENT_ENTRIES
        if (rows or n) / share * _ROW_US < listed * part * _GIN_US:
            return None  # so common that reading entries newest first costs less than its posting lists
        return self._edge(session, after, int(2 * n / share), 0 if after == _LAST else None)

    def _edge(self, session: Session, below: int, k: int, above: int | None) -> int:
        """The id ``k`` entries down from ``below`` (the primary key, read backwards), not below the
        recent index's bound. ``above``: the entries from ``below`` up (0 from the newest; None:
        not known); from the edge up there are then ``above + k + 1``, remembered for
        :meth:`_matching`."""
        assert self._recent is not None
        # The primary key read backwards, index only: the planner's choice with sequential scans off
        # (a bitmap of every entry below ``below`` would still need sorting).
        self._scans(session, tuple(_DEFAULT_OFF))
        edge = self._run(
            session,
            "SELECT e.id FROM search_entries e WHERE e.id < :below ORDER BY e.id DESC OFFSET :k LIMIT 1",
            {"below": below, "k": k},
        ).scalar()
        if edge is None or int(edge) <= self._recent:
            return self._recent
        if above is not None:
            self._above[int(edge)] = above + k + 1
        return int(edge)

    def _window_sql(self, low: int | None) -> tuple[list[str], dict[str, Any]]:
        """Predicates on ``e`` keeping a search to the window from ``low`` up, through the newest
        index when the window lies in its part, else the recent index: the index's own bound
        (mam/search/recent.py), and the window's edge unless that is the bound."""
        if low is None:
            return [], {}
        assert self._recent is not None
        if self._newest is not None and low >= self._newest:
            window = [f"(e.id >> {NEWEST.shift}) >= CAST(:newest AS BIGINT)"]
            params = {"newest": self._newest >> NEWEST.shift, "low": low}
            bound = self._newest
        else:
            window = [f"(e.id >> {BLOCK_BITS}) >= CAST(:recent AS BIGINT)"]
            params = {"recent": self._recent >> BLOCK_BITS, "low": low}
            bound = self._recent
        if low > bound:
            window.append("e.id >= :low")
        return window, params

    def _planned(
        self, session: Session, sql: str, params: dict[str, Any], rows_first: bool | Literal["window"] | None
    ) -> list[Any]:
        """Run ``sql`` the way :meth:`_rows_first` chose (PostgreSQL): reading entries newest first
        (True), through the GIN index (False), or as the planner likes (None); or in a window of
        the newest entries ("window"), where the planner ANDs the recent GIN index with the primary
        key's range by itself, and looks assets up by their key (a bitmap scan each cost twice as
        much: 10 ms of a sample with a date filter)."""
        # The planner prices testing an entry's tokens as nothing, so given good statistics of a
        # word in 0.3% of entries it reads entries newest first (160 ms) rather than GIN (10 ms).
        if rows_first == "window":
            self._scans(session, tuple(_DEFAULT_OFF))
        elif rows_first is None:
            self._scans(session, ())
        else:
            self._scans(session, ("enable_bitmapscan", "enable_seqscan") if rows_first else ("enable_indexscan",))
        return list(self._run(session, sql, params).all())

    def _scans(self, session: Session, off: tuple[str, ...]) -> None:
        """PostgreSQL: the planner's scan kinds in ``off`` off for this transaction, the others on;
        changed in one round trip, and only when they differ from what was last set."""
        if self.backend.name != "postgresql" or frozenset(off) == self._off:
            return
        session.execute(text("; ".join(f"SET LOCAL {n} = {'off' if n in off else 'on'}" for n in _SCANS)))
        self._off = frozenset(off)

    def finish(self, session: Session) -> None:
        """Leave the transaction's planner settings as they were (PostgreSQL): the caller's next
        statements (a listing, a count) plan as they would have without the search."""
        if self.backend.name != "postgresql":
            return
        session.execute(text("; ".join(f"SET LOCAL {n} TO DEFAULT" for n in (*_SETTINGS, *_SCANS))))
        self._off = frozenset()

    def _rows_first(self, session: Session, expr: Expr, n: int, row_us: float | None = None) -> bool | None:
        """Whether the next ``n`` matches of ``expr`` are found sooner by reading entries newest first
        and testing each (PostgreSQL), or through the GIN index. The GIN index hands over every
        match at once, to be read and sorted: for a word in a quarter of a million entries that
        alone is ~200 ms, where reading the newest ~4 entries per match wanted takes a millisecond.
        The planner cannot tell: it takes the bigrams of one word as independent and so expects a
        few matches where there are many. None (SQLite, or no words to match): no choice to make.
        ``row_us``: what reading one entry costs in the order read (default ``_ROW_US``, newest first).
        """
        if self.backend.name != "postgresql":
            return None
        known = self._known(session, expr)
        if known is None:
            return None
        _, _, entries, share = known
        return share > 0 and n / share * (_ROW_US if row_us is None else row_us) < share * entries * _MATCH_US

    def _known(self, session: Session, expr: Expr) -> tuple[Expr, dict[str, float], float, float] | None:
        """PostgreSQL: ``expr`` without tenant tokens, the lexemes' shares of entries, the number of
        entries, and the share ``expr`` matches; None when only visibility is left to match."""
        core = _without(expr, {self._entries, self._assets})
        if core is None:
            return None
        shares, entries = _lexeme_stats(session)
        return core, shares, entries, _share(core, shares)

    def _walk(self, session: Session, expr: Expr, desc: bool, need: int, skip: set[str]) -> list[str]:
        """Distinct assets matching ``expr`` not in ``skip``: at least the first ``need`` in order."""
        batch = max(64, need * 2)
        after = _LAST if desc else -1
        found: dict[str, int] = {}
        boundary: int | None = None
        while True:
            rows, next_after = self._scan(session, expr, desc, after, batch)
            for entry_id, asset_id, ok in rows:
                block = int(entry_id) >> BLOCK_BITS
                if boundary is not None and block != boundary:
                    return self._exact(session, found, desc)
                if ok and asset_id not in skip and asset_id not in found:
                    found[asset_id] = block
                    if len(found) >= need:
                        boundary = block
            if next_after is None:
                return self._exact(session, found, desc)
            batch = min(batch * 4, 20_000)
            after = next_after

    def column_page(self, session: Session, column: str, need: int) -> list[str]:
        """The first ``need`` matching assets by ``column`` (shoot_date or duration; largest first,
        none last), then newest first (mam/search/engine.py SORTS).

        Every entry carries its asset's value (migration 0009), so the entries are walked in the
        order of their index on (column, id) (migration 0011), each tested, and the walk stops once
        the page is full; or, for a match rarer than that pays for, every match is read and the top
        ones sorted. PostgreSQL chooses as :meth:`_rows_first` does (through GIN a phrase is looked
        up loosened and checked on the candidates in sort order, until the limit); SQLite by
        counting the matches up to SPARSE (FTS5 lists them cheaply; the walk tests each entry
        against that list). Entries with a value come first, then those without (newest first),
        each read again with a limit eight times larger while it holds too few assets.
        """
        first = max(32, 2 * need)  # rows read at first: an asset may match in several entries
        statements, params, rows_first = (
            self._pg_column_sql(session, column, first) if self._on_entries else self._fts_column_sql(session, column)
        )
        found: dict[str, tuple[Any, ...]] = {}
        for sql in statements:
            n = first
            while True:
                rows = self._planned(session, sql, {**params, "n": n}, rows_first)
                part, complete = _distinct(rows, need - len(found), set(found))
                if complete or len(rows) < n:
                    break
                n *= 8
            found.update(part)
            if len(found) >= need:
                break
        return self._exact(session, found, True)

    def _pg_column_sql(
        self, session: Session, column: str, first: int
    ) -> tuple[list[str], dict[str, Any], bool | None]:
        rows_first = self._rows_first(session, self.base, first, _SCATTERED_US)
        checked = not rows_first and _has_phrase(self.base)
        match, params = self._loosened(self.base, _lexeme_stats(session)[0]) if checked else self._match(self.base)
        statements = []
        for part, order in _column_orders(column):
            where = " AND ".join([match, part, *(c.format(t="e") for c in self._filters)])
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

    def _fts_column_sql(self, session: Session, column: str) -> tuple[list[str], dict[str, Any], None]:
        match, params = self._match(self.base, rows=False)  # visibility is in the FTS5 match
        filters = [c.format(t="e") for c in self._filters]  # the entries carry the filter columns too
        count = f"SELECT COUNT(*) FROM (SELECT rowid FROM search_fts WHERE {match} LIMIT :cap)"
        sparse = int(self._run(session, count, {**params, "cap": SPARSE}).scalar_one()) < SPARSE
        statements = []
        for part, order in _column_orders(column):
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

    def _exact(self, session: Session, found: dict[str, Any], desc: bool) -> list[str]:
        """Order by (created_at, asset id) exactly; blocks only order whole milliseconds, so only
        assets sharing a block need their creation times read. ``found``: each asset's key, in
        order (its block, or the sorted column's value and its block)."""
        per_block = Counter(found.values())
        ids = [a for a, block in found.items() if per_block[block] > 1]
        created: dict[str, Any] = dict.fromkeys(found)  # never compared: each alone in its block
        statement = (
            text(f"SELECT a.id, a.created_at FROM assets a{self._asset_index} WHERE a.id IN :ids")
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

    # Count and facet sample -----------------------------------------------------------------------
    def sample(self, session: Session, facets: bool) -> Sample:
        """Count the distinct assets among the newest SAMPLE matching entries, in one statement, and
        (with ``facets``) their facet values; exact if that was every match, else an estimate.

        The database counts: only a few rows come back, however many assets were sampled.
        """
        low = self._window(session, self.base, _LAST, SAMPLE)
        shares = _lexeme_stats(session)[0] if self.backend.name == "postgresql" else {}
        # PostgreSQL checks a phrase on each candidate's token stream (5-9 us each, from TOAST).
        # Without facets, a total is all the sample is for: PHRASE_SAMPLE checked matches estimate
        # it as well when the candidates read clearly hold more than SAMPLE matches (half as many
        # again; else the full sample is taken after all, so that a total up to SAMPLE stays exact).
        size = PHRASE_SAMPLE if not facets and self.backend.name == "postgresql" and _has_phrase(self.base) else SAMPLE
        while True:
            # In a window (PostgreSQL, mam/search/recent.py) the sample is the newest SAMPLE matches
            # only if it found that many there; else a wider window, and below the recent index's
            # bound every entry.
            mode: bool | Literal["window"] | None = (
                "window" if low is not None else self._rows_first(session, self.base, SAMPLE)
            )
            # Through GIN every candidate is read (and sorted) anyway: the statement counts them too.
            counted = mode in ("window", False)
            size = size if counted else SAMPLE  # no count of the candidates to estimate by
            sql, params = self._sample_sql(facets, low, shares, counted=counted, size=size)
            rows = self._planned(session, sql, params, mode)
            counts = [(str(name), value, None if n is None else int(n)) for name, value, n in rows]
            found = {name: (value, n) for name, value, n in counts if name in _SAMPLE_ROWS}
            oldest, sampled_entries = found["sampled"]
            assert sampled_entries is not None  # COUNT(*)
            if size < SAMPLE and sampled_entries >= size:
                estimate = _candidates(found, sampled_entries)
                if estimate is not None and estimate > 1.5 * SAMPLE:
                    break
                size = SAMPLE  # perhaps fewer than SAMPLE matches in all: count them exactly
                continue
            if low is None or sampled_entries >= size:
                break
            if low == self._recent:
                low = None
            else:
                above = self._count_from(session, low)
                low = self._edge(session, low, 3 * above, above)
        assets = found["assets"][1] or 0
        facet_counts = [(name, value, n) for name, value, n in counts if name not in _SAMPLE_ROWS and n is not None]
        if sampled_entries < size:
            return Sample(assets, False, assets, facet_counts)
        # An estimate: the matching entries, scaled by the share of sampled entries that are
        # distinct assets passing the filters.
        matching = self._matching(session, int(oldest), sampled_entries, low, _candidates(found, sampled_entries))
        return Sample(max(assets, round(assets / sampled_entries * matching)), True, assets, facet_counts)

    def _sample_sql(
        self, facets: bool, low: int | None, shares: dict[str, float], counted: bool = False, size: int | None = None
    ) -> tuple[str, dict[str, Any]]:
        """The statement of :meth:`sample`, in the window from ``low`` up (PostgreSQL) or over every
        entry, and its parameters. ``counted`` (PostgreSQL, when the plan reads every candidate
        through GIN): the statement also counts the candidates, and for a phrase how many it
        checked to fill the sample (rows "matched" and "examined")."""
        b = self.backend
        params: dict[str, Any] = {"n": size or SAMPLE}
        predicates, found = self._window_sql(low)
        params |= found
        window = "".join(f" AND {p}" for p in predicates)
        # PostgreSQL: the sampled entries' own copies of their assets' columns (mam/search/index.py),
        # to filter on and count facets over without looking the assets up.
        carried = sorted({*self._filter_columns, *(_FACET_COLUMNS if facets else ())}) if self._on_entries else []
        columns = "".join(f", e.{c}" for c in carried)
        if b.name == "postgresql" and _has_phrase(self.base):
            # As in _scan: the GIN index answers the loosened match, the phrase is checked on the
            # rows read, newest first, until the sample is full (OFFSET 0 keeps the planner from
            # moving that check into the index scan, where it would unpack every candidate).
            match, found = self._loosened(self.base, shares)  # ``:x`` too, bound below with the rest
            extra = ", COUNT(*) OVER () AS matched, ROW_NUMBER() OVER (ORDER BY e.id DESC) AS examined"
            extra = (extra if counted else "") + columns
            outer = (", c.matched, c.examined" if counted else "") + columns.replace("e.", "c.")
            sampled = (
                f"SELECT c.id, c.asset_id{outer} FROM (SELECT e.id, e.asset_id, e.tokens{extra} "
                f"FROM search_entries e WHERE {match}{window} ORDER BY e.id DESC OFFSET 0) c "
                "WHERE c.tokens @@ CAST(:x AS tsquery) ORDER BY c.id DESC LIMIT :n"
            )
        else:
            source, key = self._from(False)
            match, found = self._match(self.base)
            extra = ", COUNT(*) OVER () AS matched, CAST(NULL AS BIGINT) AS examined" if counted else ""
            sampled = (
                f"SELECT {key} AS id, e.asset_id AS asset_id{extra}{columns} FROM {source} WHERE {match}{window} "
                f"ORDER BY {key} DESC LIMIT :n"
            )
        params |= found
        month = b.month("v.shoot_date")
        parts = [
            "SELECT 'sampled' AS facet, CAST(MIN(s.id) AS TEXT) AS value, COUNT(*) AS n FROM s",
            "SELECT 'assets', CAST(NULL AS TEXT), COUNT(*) FROM v",
        ]
        if counted:
            parts += [
                "SELECT 'matched', CAST(NULL AS TEXT), MAX(s.matched) FROM s",
                "SELECT 'examined', CAST(NULL AS TEXT), MAX(s.examined) FROM s",
            ]
        if facets:
            parts += [
                "SELECT 'programme', v.programme, COUNT(*) FROM v GROUP BY v.programme",
                "SELECT 'media_type', v.media_kind, COUNT(*) FROM v GROUP BY v.media_kind",
                f"SELECT 'shoot_month', {month}, COUNT(*) FROM v WHERE v.shoot_date IS NOT NULL GROUP BY {month}",
                # Each asset's tags once (hashed, where COUNT(DISTINCT) sorts every pair).
                "SELECT 'tags', d.value, COUNT(*) FROM "
                f"(SELECT DISTINCT v.id, t.value FROM v, {b.elements('v.tags', 't')}) d GROUP BY d.value",
            ]
        if self._on_entries:
            # An asset's entries carry the same copies of its columns: any one of them stands for it.
            passing = f" WHERE {' AND '.join(c.format(t='s') for c in self._filters)}" if self._filters else ""
            distinct = (
                f"SELECT DISTINCT ON (s.asset_id) s.asset_id AS id, {', '.join(f's.{c}' for c in _FACET_COLUMNS)} "
                f"FROM s{passing}"
                if facets
                else f"SELECT DISTINCT s.asset_id FROM s{passing}"
            )
        elif facets or self.conditions:
            distinct = (
                f"SELECT a.id, {', '.join(f'a.{c}' for c in _FACET_COLUMNS)} FROM assets a{self._asset_index} "
                f"WHERE a.id IN (SELECT s.asset_id FROM s){''.join(f' AND {c}' for c in self.conditions)}"
            )
        else:
            distinct = "SELECT DISTINCT s.asset_id FROM s"  # nothing to read of the assets
        return f"WITH s AS MATERIALIZED ({sampled}), v AS MATERIALIZED ({distinct}) {' UNION ALL '.join(parts)}", params

    def _count_from(self, session: Session, low: int) -> int:
        """Entries from the id ``low`` up (the primary key, index only)."""
        self._scans(session, ("enable_bitmapscan", "enable_seqscan"))
        statement = "SELECT COUNT(*) FROM search_entries e WHERE e.id >= :low"
        return int(self._run(session, statement, {"low": low}).scalar_one())

    def _matching(
        self, session: Session, oldest: int, sampled: int, low: int | None = None, candidates: int | None = None
    ) -> int:
        """Entries matching the search, estimated: the ``sampled`` newest matches are ``oldest`` and
        newer; as densely as they lie among the newest entries, so do matches lie among all entries.
        Where they lie sparser than SAMPLE in RANGE_CAP: on PostgreSQL with a recent index covering
        the sample, as densely as the loosened search's matches lie in the part it covers; else the
        older entries matching the loosened search are counted (up to COUNT_CAP), which the index
        does cheaply for a rarer match.

        ``candidates`` (PostgreSQL): the matches the sample statement counted, having read every
        candidate through GIN (:func:`_candidates`), in the window from ``low`` up or, with ``low``
        None, in the whole index. In a window they lie as densely as in all entries; counted in
        the whole index they are the answer for a sparse match (no count of older matches)."""
        if candidates is not None and low is not None:
            window = entries_from(session, low) if low == self._recent else self._above.get(low)
            if window:
                return max(sampled, round(candidates / window * entry_total(session)))
        narrow = f" INDEXED BY {NARROW_INDEX}" if self.backend.name == "sqlite" else ""
        source = f"search_entries e{narrow}"
        # Only a sample newer than the RANGE_CAP-th newest entry (its id known from the last
        # minute) is counted among them; else it spans more entries, and counting them to the cap
        # would be wasted (5 ms at 1M entries). A newer entry since only means counting in vain.
        if oldest > entry_at(session, RANGE_CAP):
            self._scans(session, ("enable_bitmapscan", "enable_seqscan"))  # the primary key, newest first
            newest = int(
                self._run(
                    session,
                    f"SELECT COUNT(*) FROM (SELECT 1 FROM {source} WHERE e.id >= :oldest LIMIT :cap) x",
                    {"oldest": oldest, "cap": RANGE_CAP + 1},
                ).scalar_one()
            )
            if newest <= RANGE_CAP:
                return max(sampled, round(sampled / max(newest, 1) * entry_total(session)))
        if candidates is not None and low is None:
            return max(sampled, candidates)
        if self._recent is not None and oldest >= self._recent:
            # PostgreSQL with a recent index: as densely as matches lie in the part it covers (its
            # matches counted through it), so do they lie among all entries; counting the older
            # matches through the full index read their whole posting lists (25 ms at 1M entries).
            found = sampled + self._count(session, relaxed(self.base), before=oldest, low=self._recent)
            share = found / max(entries_from(session, self._recent), found)
            return max(found, round(share * entry_total(session)))
        return sampled + self._count(session, relaxed(self.base), before=oldest)

    def _count(self, session: Session, expr: Expr, before: int, low: int | None = None) -> int:
        """Entries older than the id ``before`` (and from ``low`` on, through the recent index) that
        match ``expr``, counted up to COUNT_CAP."""
        match, found = self._match(expr, rows=False)
        params = {**found, "n": COUNT_CAP, "before": before}
        if self.backend.name == "postgresql":
            # Only the GIN index answers a count cheaply: a plan reading rows unpacks each one's
            # token stream, which the planner does not price.
            self._scans(session, ("enable_seqscan", "enable_indexscan"))
            window, bounds = self._window_sql(low)
            params |= bounds
            where = " AND ".join([match, "e.id < :before", *window])
            count = f"SELECT COUNT(*) FROM (SELECT 1 FROM search_entries e WHERE {where} LIMIT :n) x"
            return int(self._run(session, count, params).scalar_one())
        count = f"SELECT COUNT(*) FROM (SELECT rowid FROM search_fts WHERE {match} AND rowid < :before LIMIT :n)"
        return int(self._run(session, count, params).scalar_one())

    # Entries of the page's assets -----------------------------------------------------------------
    def entries(self, session: Session, expr: Expr, asset_ids: list[str], inside: bool = False) -> list[Entry]:
        """The entries of ``asset_ids`` that match ``expr`` (with ``inside``: spans and cues only)."""
        columns = 'e.id, e.asset_id, e.kind, e.ref_id, e.start, e."end"'
        kinds = " AND e.kind <> 'asset'" if inside else ""
        m = self.backend.render(expr)
        if self.backend.name == "postgresql":
            self._scans(session, tuple(_DEFAULT_OFF))
            # The page's entries are few: read them by asset and test each. Left to itself the
            # planner ANDs in the GIN bitmap of the whole match, which for common words costs
            # more than the rest of the statement (14 ms of 14 ms at 1M entries).
            sql = (
                'WITH page AS MATERIALIZED (SELECT e.id, e.asset_id, e.kind, e.ref_id, e.start, e."end", e.tokens '
                f"FROM search_entries e WHERE e.asset_id IN :page{kinds}) "
                f"SELECT {columns} FROM page e WHERE e.tokens @@ CAST(:m AS tsquery)"
            )
            return [Entry(*r) for r in self._run(session, sql, {"m": m, "page": asset_ids}, "page")]
        # FTS5 seeks a rowid range cheaply: an asset's entries all lie in its creation block. Each
        # seek still costs about a millisecond, so only blocks holding candidate entries are read.
        blocks = self._run(
            session,
            f"SELECT DISTINCT e.id >> :bits FROM search_entries e WHERE e.asset_id IN :page{kinds}",
            {"bits": BLOCK_BITS, "page": asset_ids},
            "page",
        ).scalars()
        sql = (
            f"SELECT {columns} FROM search_fts JOIN search_entries e ON e.id = search_fts.rowid "
            f"WHERE search_fts MATCH :m AND search_fts.rowid >= :low AND search_fts.rowid < :high "
            f"AND e.asset_id IN :page{kinds}"
        )
        out: list[Entry] = []
        for block in blocks.all():
            bounds = {"low": block << BLOCK_BITS, "high": (block + 1) << BLOCK_BITS}
            out += [Entry(*r) for r in self._run(session, sql, {"m": m, "page": asset_ids, **bounds}, "page")]
        return out

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
