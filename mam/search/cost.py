"""PostgreSQL's cost model of a search: how common a match is, and what finding its newest matches
costs each way (reading entries newest first and testing each, or listing them through GIN).

The planner cannot tell: it takes the bigrams of one word as independent and so expects a few
matches where there are many, and it prices testing an entry's tokens as nothing. The shares come
from PostgreSQL's own statistics of the token column (migration 0006); the microsecond figures were
measured at 1M entries. The plan (mam/search/plan.py) asks :func:`rows_first` and :func:`window`.
"""

from __future__ import annotations

import time
from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from mam.search.expr import All, Any_, Expr, Phrase, Tok
from mam.search.query import FILTER_PREFIXES
from mam.search.recent import NEWEST_ENTRIES, RECENT_ENTRIES

__all__ = [
    "FEW_US",
    "FILTER_SHARE",
    "GIN_US",
    "MATCH_US",
    "ROW_US",
    "SCATTERED_US",
    "lexeme_stats",
    "listed",
    "relaxed",
    "rows_first",
    "share",
    "window",
]

ROW_US = 5.0
"""Microseconds to read one entry and test its tsvector (measured at 1M entries, cached: 3 in one
session, 5 in the next; the token stream is fetched from TOAST)."""
SCATTERED_US = 6.0
"""Microseconds to read one entry and test its tsvector in a shoot date or duration order, where
neighbours are not stored together (measured at 1M entries, cached, no parallel workers)."""
MATCH_US = 0.8
"""Microseconds per match to build, read and sort a GIN bitmap of every match."""
GIN_US = 0.06
"""Microseconds per entry of a posting list to read it into a bitmap (measured, 1M entries)."""
FEW_US = 1000.0
"""Below this many microseconds for the full GIN index to read the posting lists of a match, the
recent index is not worth a statement of its own."""
FILTER_SHARE = 0.2
"""The share of matches an asset filter (date, duration, status, type) is taken to pass."""
_STATS_SECONDS = 600.0
_STATS: dict[str, tuple[float, dict[str, float], float]] = {}
_FIELD_PREFIXES = tuple(FILTER_PREFIXES.values())


def lexeme_stats(session: Session) -> tuple[dict[str, float], float]:
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


def rows_first(share_: float, entries: float, n: int, row_us: float | None = None) -> bool:
    """Whether the next ``n`` matches of a match in ``share_`` of ``entries`` are found sooner by
    reading entries newest first and testing each than through the GIN index. GIN hands over every
    match at once, to be read and sorted: for a word in a quarter of a million entries that alone
    is ~200 ms, where reading the newest ~4 entries per match wanted takes a millisecond.
    ``row_us``: what reading one entry costs in the order read (default ROW_US, newest first)."""
    return share_ > 0 and n / share_ * (ROW_US if row_us is None else row_us) < share_ * entries * MATCH_US


def window(
    core: Expr, shares: dict[str, float], entries: float, n: int, filters: int, rows: int | None, newest: bool
) -> int | Literal["whole"] | None:
    """How many of the newest entries to look for ``n`` matches of ``core`` in, through the recent
    index (mam/search/recent.py): a number of entries, "whole" for the whole recent part, or None
    for no window (read the full index).

    As many entries as should hold twice ``n`` matches, going by the word's share of entries;
    the whole recent part where that holds few matches anyway (reading them all costs less
    than finding the window's edge). None for a match so rare that the full index lists it at
    once, for a word so common that testing the newest entries one by one finds ``n`` matches
    sooner than the recent index can list its matches, and when the whole recent part should hold
    fewer than ``n`` matches. Each of ``filters`` asset filters is taken to pass FILTER_SHARE of
    the matches (a date range of a few months in a catalog of years): reading entries one by one
    then costs five times more. ``rows``: the matches a read one by one would stop at (default
    ``n``). ``newest``: a newest-entries index is there beside the recent one.
    """
    found = share(core, shares)
    posting = listed(relaxed(core, shares), shares)  # posting lists GIN reads, as a share of entries
    if posting * entries * GIN_US < FEW_US:
        return None  # so rare that the full index lists every match at once, cheaply
    passing = found * FILTER_SHARE**filters
    if passing * RECENT_ENTRIES < n:
        # The recent part should not hold ``n`` matches: reading it would only be followed by
        # reading the full index (tag:消防 reporter:李四 at 1M entries: 8 ms, then 14 ms).
        return None
    if found * RECENT_ENTRIES <= max(4 * n, 2000):
        return "whole"
    # The window is read in the newest index when it fits there, else in the recent index.
    part = NEWEST_ENTRIES if newest and 2 * n / passing <= NEWEST_ENTRIES else RECENT_ENTRIES
    if (rows or n) / passing * ROW_US < posting * part * GIN_US:
        return None  # so common that reading entries newest first costs less than its posting lists
    return int(2 * n / passing)


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


def share(expr: Expr, shares: dict[str, float]) -> float:
    """An estimate of the share of entries matching ``expr``: the tokens of one phrase (the bigrams of
    one word) as often as the rarest of them, separate terms as independent (an underestimate when
    they go together, which only keeps the GIN plan), except that a field's copy of a term implies
    the term (an asset's title words are also its plain words). A prefix is as common as the listed
    lexemes it stands for together. A term PostgreSQL does not list among its common lexemes
    counts as rare (0)."""
    if isinstance(expr, Tok):
        if expr.prefix:  # 茶*: as often as the listed lexemes it stands for, together
            return min(1.0, sum(s for lexeme, s in shares.items() if lexeme.startswith(expr.text)))
        return shares.get(expr.text, 0.0)
    if isinstance(expr, Phrase):
        return min(share(t, shares) for t in expr.tokens)
    if isinstance(expr, All):
        implied = {i for i in expr.items for j in expr.items if j != i and _plain(j) == i}
        found = 1.0
        for item in expr.items:
            if item not in implied:
                found *= share(item, shares)
        return found
    return min(1.0, sum(share(i, shares) for i in expr.items))


def listed(expr: Expr, shares: dict[str, float]) -> float:
    """The posting lists GIN reads for ``expr``, as a share of entries: every token's, added up."""
    if isinstance(expr, Tok):
        return share(expr, shares)
    if isinstance(expr, Phrase):
        return sum(share(t, shares) for t in expr.tokens)
    return sum(listed(i, shares) for i in expr.items)


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
            return min(expr.tokens, key=lambda t: share(t, shares))
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
