"""Search benchmark: index generated Chinese news metadata, time a fixed query mix on both backends.

    .venv/bin/python benchmarks/search.py --assets 100000 --pg-assets 100000 [--pg-copies 10]

Writes benchmarks/results/search.json and search.md: indexing rate, p50/p95/p99 latency of the
query mix (first page of 20 by relevance, with and without facets, and by shoot date with facets),
and the ratio to a naive LIKE scan (:func:`like_scan`, what the asset list did before it used the
search) for the literal queries. The index is optimized after indexing, as an operator does after a
bulk import (mam optimize-index).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Text, and_, cast, create_engine, func, or_, select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from news import make_asset  # noqa: E402

from mam.models import Asset  # noqa: E402
from mam.search import SearchRequest, optimize_index, search  # noqa: E402
from mam.search.visibility import visible_assets  # noqa: E402
from mam.services import open_services  # noqa: E402
from mam.settings import Settings  # noqa: E402

QUERIES = [
    "湘乡",  # common two characters
    "防汛",
    "防汛抢险",
    '"安全生产"',
    "茶",  # one character
    "鄉村振興",  # traditional
    "xiangxiang",  # pinyin
    "zs",  # initials
    "programme:农业天地 春耕",
    "tag:消防 reporter:李四",
    "月山镇 志愿者",
    "会议 type:audio",
    "表彰 date:2023-01-01..2023-06-30",
    "不存在的词语",
]
LIKE_QUERIES = ["湘乡", "防汛", "防汛抢险", "安全生产", "茶", "不存在的词语"]


def like_scan(session: Session, tenant_id: str, q: str, limit: int) -> list[Asset]:
    """The naive search the comparison is made against: a case-folded substring of title, description,
    file name or tags (as JSON text), newest first, with its count (the asset list's ``q`` until it
    was routed through the search)."""
    pattern = f"%{q.strip().lower()}%"
    where = and_(
        visible_assets(tenant_id),
        or_(
            func.lower(Asset.title).like(pattern),
            func.lower(Asset.description).like(pattern),
            func.lower(Asset.original_filename).like(pattern),
            func.lower(cast(Asset.tags, Text)).like(pattern),
        ),
    )
    session.scalar(select(func.count()).select_from(Asset).where(where))
    statement = select(Asset).where(where).order_by(Asset.created_at.desc(), Asset.id).limit(limit)
    return list(session.scalars(statement))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def cpu_seconds() -> float:
    """Seconds for ten million Python additions: how fast this machine is now (shared machines vary)."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return round(time.perf_counter() - started, 2)


def copy_catalog(url: str, copies: int) -> None:
    """Grow a PostgreSQL catalog ``copies``-fold in SQL: each copy of every asset and entry shifted
    ``k`` days back, so query latency can be measured at a size indexing would take hours to reach."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        columns = [
            str(r[0])
            for r in conn.execute(
                text("SELECT column_name FROM information_schema.columns WHERE table_name = 'assets' ORDER BY 1")
            )
        ]
        shifted = {
            "id": "md5(a.id || k)::uuid::text",
            "sha256": "md5(a.sha256 || k) || md5(k || a.sha256)",
            "created_at": "a.created_at - make_interval(days => k)",
        }
        chosen = ", ".join(shifted.get(c, f'a."{c}"') for c in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        conn.execute(text("SET maintenance_work_mem = '512MB'"))
        conn.execute(text("DROP INDEX ix_search_entries_tokens"))
        conn.execute(
            text(f"INSERT INTO assets ({names}) SELECT {chosen} FROM assets a, generate_series(1, :k) k"),
            {"k": copies - 1},
        )
        conn.execute(
            text(
                'INSERT INTO search_entries (id, tenant_id, asset_id, kind, ref_id, start, "end", tokens, status, '
                "media_kind, shoot_date, duration, programme, tags) "
                "SELECT s.id - ((k::bigint * 86400000) << 21), s.tenant_id, md5(s.asset_id || k)::uuid::text, "
                's.kind, md5(s.ref_id || k)::uuid::text, s.start, s."end", s.tokens, s.status, s.media_kind, '
                "s.shoot_date, s.duration, s.programme, s.tags "
                "FROM search_entries s, generate_series(1, :k) k"
            ),
            {"k": copies - 1},
        )
        conn.execute(
            text("CREATE INDEX ix_search_entries_tokens ON search_entries USING gin (tokens) WITH (fastupdate = off)")
        )
    engine.dispose()


def run_backend(name: str, url: str, count: int, rounds: int, home: Path, copies: int = 1) -> dict[str, Any]:
    services = open_services(Settings.from_env({"MAM_HOME": str(home), "MAM_DATABASE_URL": url}))
    with services.session() as session:
        present = int(session.execute(text("SELECT COUNT(*) FROM assets")).scalar_one())
    index_seconds: float | None = None
    if present == 0:
        rng = random.Random(5)
        started = time.perf_counter()
        with services.session() as session:
            for start in range(0, count, 1000):
                session.add_all(make_asset(rng, "default", n) for n in range(start, min(count, start + 1000)))
                session.commit()
                print(f"{name}: indexed {min(count, start + 1000)}/{count}", end="\r", file=sys.stderr)
        index_seconds = time.perf_counter() - started
        if copies > 1:
            print(f"{name}: copying the catalog to {count * copies:,} assets", file=sys.stderr)
            copy_catalog(url, copies)
    elif present != count * copies:
        raise SystemExit(f"{name}: the kept catalog holds {present:,} assets, not {count * copies:,}")
    else:
        print(f"{name}: reusing the kept catalog of {present:,} assets (indexing not timed)", file=sys.stderr)
    if name == "postgresql":
        with services.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    with services.session() as session:
        # What an operator runs after a bulk import (README: mam optimize-index).
        print(f"{name}: {optimize_index(session)}", file=sys.stderr)
    timings: dict[str, dict[str, list[float]]] = {"search": {}, "search_facets": {}, "by_shoot_date": {}, "like": {}}
    totals: dict[str, int] = {}
    with services.session() as session:
        for query in QUERIES:  # warm up
            totals[query] = search(session, "default", SearchRequest(q=query, facets=False)).total
        for _ in range(rounds):
            for query in QUERIES:
                for key, facets, sort in (
                    ("search", False, "relevance"),
                    ("search_facets", True, "relevance"),
                    ("by_shoot_date", True, "shoot_date"),
                ):
                    t = time.perf_counter()
                    search(session, "default", SearchRequest(q=query, facets=facets, sort=sort))
                    timings[key].setdefault(query, []).append((time.perf_counter() - t) * 1000)
            for query in LIKE_QUERIES:
                t = time.perf_counter()
                like_scan(session, "default", query.strip('"'), 20)
                timings["like"].setdefault(query, []).append((time.perf_counter() - t) * 1000)
    services.close()

    def summary(per_query: dict[str, list[float]]) -> dict[str, float]:
        every = [v for vs in per_query.values() for v in vs]
        return {p: round(percentile(every, float(p[1:])), 2) for p in ("p50", "p95", "p99")}

    literal = {q: v for q, v in timings["search"].items() if q in LIKE_QUERIES}
    return {
        "backend": name,
        "assets": count * copies,
        "indexed_assets": count,
        "index_seconds": None if index_seconds is None else round(index_seconds, 1),
        "assets_per_second": None if index_seconds is None else round(count / index_seconds),
        "search_ms": summary(timings["search"]),
        "search_with_facets_ms": summary(timings["search_facets"]),
        "by_shoot_date_ms": summary(timings["by_shoot_date"]),
        "like_ms": summary(timings["like"]),
        "like_over_search_p50": round(summary(timings["like"])["p50"] / summary(literal)["p50"], 1),
        "per_query_p50_ms": {q: round(statistics.median(v), 2) for q, v in timings["search"].items()},
        "per_query_p50_ms_with_facets": {
            q: round(statistics.median(v), 2) for q, v in timings["search_facets"].items()
        },
        "per_query_p50_ms_by_shoot_date": {
            q: round(statistics.median(v), 2) for q, v in timings["by_shoot_date"].items()
        },
        "totals": totals,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=100_000, help="assets on SQLite")
    parser.add_argument("--pg-assets", type=int, default=100_000, help="assets on PostgreSQL (0 to skip)")
    parser.add_argument(
        "--pg-copies",
        type=int,
        default=1,
        help="after indexing --pg-assets (the indexing rate), copy the catalog in SQL to this many times its size "
        "and time the queries there (10 with 100000: 1M assets)",
    )
    parser.add_argument("--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the catalogs between runs: the SQLite file in this folder and a PostgreSQL database named "
        "after it; a later run with the same --keep times the queries on them without indexing again",
    )
    args = parser.parse_args()
    results = []
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    speed = cpu_seconds()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.keep.resolve() if args.keep else Path(tmp)
        home.mkdir(parents=True, exist_ok=True)
        if args.assets:
            results.append(run_backend("sqlite", f"sqlite:///{home / 'bench.db'}", args.assets, args.rounds, home))
        if args.pg_assets:
            suffix = (
                "kept_" + "".join(c for c in home.name.lower() if c.isalnum()) if args.keep else uuid.uuid4().hex[:8]
            )
            db = f"mam_bench_search_{suffix}"
            admin = create_engine(args.pg_admin, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :db"), {"db": db}).first()
                if not exists:
                    conn.execute(text(f'CREATE DATABASE "{db}"'))
            try:
                url = args.pg_admin.rsplit("/", 1)[0] + f"/{db}"
                results.append(run_backend("postgresql", url, args.pg_assets, args.rounds, home / "pg", args.pg_copies))
            finally:
                if not args.keep:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "search.json").write_text(
        json.dumps(
            {"load_average": load, "python_loop_seconds": speed, "results": results}, ensure_ascii=False, indent=2
        ),
        encoding="utf-8",
    )
    lines = [
        "# Search benchmark",
        "",
        f"`{' '.join(['benchmarks/search.py', *sys.argv[1:]])}`; load average at the start: {load}; "
        f"machine speed: 10M Python additions in {speed} s (lower is faster); "
        f"query mix: {', '.join(QUERIES)}",
        "",
        "| backend | assets searched | indexing (assets/s) | p50 / p95 / p99 ms | with facets p50 / p95 / p99 ms "
        "| by shoot date, with facets | LIKE scan p50 ms | LIKE / search (p50, literal queries) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s, f, d, like = r["search_ms"], r["search_with_facets_ms"], r["by_shoot_date_ms"], r["like_ms"]
        rate = "not timed (kept catalog)" if r["assets_per_second"] is None else f"{r['assets_per_second']:,}"
        lines.append(
            f"| {r['backend']} | {r['assets']:,} | {rate} "
            f"(first {r['indexed_assets']:,}) "
            f"| {s['p50']} / {s['p95']} / {s['p99']} "
            f"| {f['p50']} / {f['p95']} / {f['p99']} | {d['p50']} / {d['p95']} / {d['p99']} "
            f"| {like['p50']} | {r['like_over_search_p50']}× |"
        )
    (out / "search.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
