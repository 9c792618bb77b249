"""The total and the facets of a search, from a sample of its newest matches.

Counting every match of a common word is what made search slow, so ``total`` is exact only up to
``SAMPLE`` matching entries; above that it is an estimate (``total_is_estimate``), and facets count
the most recent matching assets found in that sample. One statement reads the sample and counts it
(the database counts: only a few rows come back, however many assets were sampled).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from mam.search.backend import Reading
from mam.search.cost import relaxed
from mam.search.counts import entries_from, entry_at, entry_total
from mam.search.expr import Expr
from mam.search.ids import LAST_ID
from mam.search.plan import Mode, Plan

__all__ = ["COUNT_CAP", "PHRASE_SAMPLE", "RANGE_CAP", "SAMPLE", "Sample", "sample"]

SAMPLE = 1000
"""Matching entries read (newest first) to count exactly, or to estimate, and to count facets over."""
PHRASE_SAMPLE = 250
"""Phrases checked on the rows (PostgreSQL), without facets: matches checked to estimate a total
clearly above SAMPLE."""
COUNT_CAP = 10_000
"""Matching entries counted for an estimated total of a sparse match; more than this reads as this many."""
RANGE_CAP = 20_000
"""Newest entries counted to tell how densely the sampled matches lie among them."""
_FACET_COLUMNS = ("programme", "media_kind", "shoot_date", "tags")
"""The asset columns facets count (mam/search/facets.py)."""
_SAMPLE_ROWS = ("sampled", "assets", "matched", "examined")
"""The rows of the sample statement that are not facet counts."""


@dataclass(frozen=True)
class Sample:
    total: int
    estimated: bool
    assets: int
    """Distinct assets passing the filters among the newest SAMPLE matching entries."""
    counts: list[tuple[str, Any, int]]
    """(facet, value, count) over those assets (mam/search/facets.py), when read for facets; else empty."""


def candidates(found: dict[str, tuple[Any, int | None]], sampled: int) -> int | None:
    """The matches a sample statement counted (``counted`` in :func:`sample_sql`), None when it
    did not: its candidates, for a phrase at the rate its first ``sampled`` matches passed the
    phrase check among the candidates it examined."""
    matched, examined = found.get("matched", (None, None))[1], found.get("examined", (None, None))[1]
    if matched is None:
        return None
    return round(matched * sampled / examined) if examined else matched


def sample(plan: Plan, session: Session, facets: bool) -> Sample:
    """Count the distinct assets among the newest SAMPLE matching entries, in one statement, and
    (with ``facets``) their facet values; exact if that was every match, else an estimate."""
    low = plan.window(session, plan.base, LAST_ID, SAMPLE)
    shares = plan.backend.lexeme_stats(session)[0]
    checked = plan.backend.checks_on_rows(plan.base)
    # A phrase checked on each candidate's token stream (PostgreSQL: 5-9 us each, from TOAST).
    # Without facets, a total is all the sample is for: PHRASE_SAMPLE checked matches estimate
    # it as well when the candidates read clearly hold more than SAMPLE matches (half as many
    # again; else the full sample is taken after all, so that a total up to SAMPLE stays exact).
    size = PHRASE_SAMPLE if not facets and checked else SAMPLE
    while True:
        # In a window (PostgreSQL, mam/search/recent.py) the sample is the newest SAMPLE matches
        # only if it found that many there; else a wider window, and below the recent index's
        # bound every entry.
        mode: Mode = "window" if low is not None else plan.rows_first(session, plan.base, SAMPLE)
        # Through GIN every candidate is read (and sorted) anyway: the statement counts them too.
        counted = mode in ("window", False)
        size = size if counted else SAMPLE  # no count of the candidates to estimate by
        sql, params = sample_sql(plan, facets, low, shares, counted=counted, size=size)
        rows = plan.planned(session, sql, params, mode)
        counts = [(str(name), value, None if n is None else int(n)) for name, value, n in rows]
        found = {name: (value, n) for name, value, n in counts if name in _SAMPLE_ROWS}
        oldest, sampled_entries = found["sampled"]
        assert sampled_entries is not None  # COUNT(*)
        if size < SAMPLE and sampled_entries >= size:
            estimate = candidates(found, sampled_entries)
            if estimate is not None and estimate > 1.5 * SAMPLE:
                break
            size = SAMPLE  # perhaps fewer than SAMPLE matches in all: count them exactly
            continue
        if low is None or sampled_entries >= size:
            break
        if low == plan.recent:
            low = None
        else:
            above = _count_from(plan, session, low)
            low = plan.edge(session, low, 3 * above, above)
    assets = found["assets"][1] or 0
    facet_counts = [(name, value, n) for name, value, n in counts if name not in _SAMPLE_ROWS and n is not None]
    if sampled_entries < size:
        return Sample(assets, False, assets, facet_counts)
    # An estimate: the matching entries, scaled by the share of sampled entries that are
    # distinct assets passing the filters.
    matching = _matching(plan, session, int(oldest), sampled_entries, low, candidates(found, sampled_entries))
    return Sample(max(assets, round(assets / sampled_entries * matching)), True, assets, facet_counts)


def sample_sql(
    plan: Plan, facets: bool, low: int | None, shares: dict[str, float], counted: bool = False, size: int | None = None
) -> tuple[str, dict[str, Any]]:
    """The statement of :func:`sample`, in the window from ``low`` up (PostgreSQL) or over every
    entry, and its parameters. ``counted`` (when the plan reads every candidate through GIN): the
    statement also counts the candidates, and for a phrase how many it checked to fill the sample
    (rows "matched" and "examined")."""
    b = plan.backend
    params: dict[str, Any] = {"n": size or SAMPLE}
    predicates, found = plan.window_sql(low)
    params |= found
    window = "".join(f" AND {p}" for p in predicates)
    # The sampled entries' own copies of their assets' columns (PostgreSQL, mam/search/index.py),
    # to filter on and count facets over without looking the assets up.
    on_entries = b.filters_on_entries
    carried = sorted({*plan.filter_columns, *(_FACET_COLUMNS if facets else ())}) if on_entries else []
    columns = "".join(f", e.{c}" for c in carried)
    if b.checks_on_rows(plan.base):
        # As in walk.scan: the GIN index answers the loosened match, the phrase is checked on the
        # rows read, newest first, until the sample is full (OFFSET 0 keeps the planner from
        # moving that check into the index scan, where it would unpack every candidate).
        match, found = plan.loosened(plan.base, shares)  # ``:x`` too, bound below with the rest
        extra = ", COUNT(*) OVER () AS matched, ROW_NUMBER() OVER (ORDER BY e.id DESC) AS examined"
        extra = (extra if counted else "") + columns
        outer = (", c.matched, c.examined" if counted else "") + columns.replace("e.", "c.")
        sampled = (
            f"SELECT c.id, c.asset_id{outer} FROM (SELECT e.id, e.asset_id, e.tokens{extra} "
            f"FROM search_entries e WHERE {match}{window} ORDER BY e.id DESC OFFSET 0) c "
            "WHERE c.tokens @@ CAST(:x AS tsquery) ORDER BY c.id DESC LIMIT :n"
        )
    else:
        source, key = plan.from_(False)
        match, found = plan.match(plan.base)
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
    if on_entries:
        # An asset's entries carry the same copies of its columns: any one of them stands for it.
        passing = f" WHERE {' AND '.join(c.format(t='s') for c in plan.filters)}" if plan.filters else ""
        distinct = (
            f"SELECT DISTINCT ON (s.asset_id) s.asset_id AS id, {', '.join(f's.{c}' for c in _FACET_COLUMNS)} "
            f"FROM s{passing}"
            if facets
            else f"SELECT DISTINCT s.asset_id FROM s{passing}"
        )
    elif facets or plan.conditions:
        distinct = (
            f"SELECT a.id, {', '.join(f'a.{c}' for c in _FACET_COLUMNS)} FROM assets a{b.asset_index} "
            f"WHERE a.id IN (SELECT s.asset_id FROM s){''.join(f' AND {c}' for c in plan.conditions)}"
        )
    else:
        distinct = "SELECT DISTINCT s.asset_id FROM s"  # nothing to read of the assets
    return f"WITH s AS MATERIALIZED ({sampled}), v AS MATERIALIZED ({distinct}) {' UNION ALL '.join(parts)}", params


def _count_from(plan: Plan, session: Session, low: int) -> int:
    """Entries from the id ``low`` up (the primary key, index only)."""
    plan.settings.read(Reading.KEY_ORDER)
    statement = "SELECT COUNT(*) FROM search_entries e WHERE e.id >= :low"
    return int(plan.run(session, statement, {"low": low}).scalar_one())


def _matching(
    plan: Plan, session: Session, oldest: int, sampled: int, low: int | None = None, counted: int | None = None
) -> int:
    """Entries matching the search, estimated: the ``sampled`` newest matches are ``oldest`` and
    newer; as densely as they lie among the newest entries, so do matches lie among all entries.
    Where they lie sparser than SAMPLE in RANGE_CAP: with a recent index covering the sample
    (PostgreSQL), as densely as the loosened search's matches lie in the part it covers; else the
    older entries matching the loosened search are counted (up to COUNT_CAP), which the index
    does cheaply for a rarer match.

    ``counted``: the matches the sample statement counted, having read every candidate through GIN
    (:func:`candidates`), in the window from ``low`` up or, with ``low`` None, in the whole index.
    In a window they lie as densely as in all entries; counted in the whole index they are the
    answer for a sparse match (no count of older matches)."""
    if counted is not None and low is not None:
        window = entries_from(session, low) if low == plan.recent else plan.above.get(low)
        if window:
            return max(sampled, round(counted / window * entry_total(session)))
    source = f"search_entries e{plan.backend.narrow_index}"
    # Only a sample newer than the RANGE_CAP-th newest entry (its id known from the last
    # minute) is counted among them; else it spans more entries, and counting them to the cap
    # would be wasted (5 ms at 1M entries). A newer entry since only means counting in vain.
    if oldest > entry_at(session, RANGE_CAP):
        plan.settings.read(Reading.KEY_ORDER)  # the primary key, newest first
        newest = int(
            plan.run(
                session,
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {source} WHERE e.id >= :oldest LIMIT :cap) x",
                {"oldest": oldest, "cap": RANGE_CAP + 1},
            ).scalar_one()
        )
        if newest <= RANGE_CAP:
            return max(sampled, round(sampled / max(newest, 1) * entry_total(session)))
    if counted is not None and low is None:
        return max(sampled, counted)
    if plan.recent is not None and oldest >= plan.recent:
        # A recent index (PostgreSQL): as densely as matches lie in the part it covers (its
        # matches counted through it), so do they lie among all entries; counting the older
        # matches through the full index read their whole posting lists (25 ms at 1M entries).
        found = sampled + count_older(plan, session, relaxed(plan.base), before=oldest, low=plan.recent)
        share = found / max(entries_from(session, plan.recent), found)
        return max(found, round(share * entry_total(session)))
    return sampled + count_older(plan, session, relaxed(plan.base), before=oldest)


def count_older(plan: Plan, session: Session, expr: Expr, before: int, low: int | None = None) -> int:
    """Entries older than the id ``before`` (and from ``low`` on, through the recent index) that
    match ``expr``, counted up to COUNT_CAP. Only an index of every match answers a count cheaply
    (on PostgreSQL a plan reading rows unpacks each one's token stream, which the planner does
    not price)."""
    match, found = plan.match(expr, rows=False)
    params = {**found, "n": COUNT_CAP, "before": before}
    plan.settings.read(Reading.MATCHES_ONLY)
    window, bounds = plan.window_sql(low)
    params |= bounds
    return int(plan.run(session, plan.backend.count_sql(match, window), params).scalar_one())
