"""Search A/B: the query mix of benchmarks/search.py on two checkouts of the code, in alternation.

    .venv/bin/python benchmarks/search_ab.py OLD_CHECKOUT NEW_CHECKOUT --keep DIR [--rounds 15]

``--keep`` is the folder a run of benchmarks/search.py kept its catalogs in (the SQLite file there,
and the PostgreSQL database named after it). One process per checkout opens the same catalog; the
driver asks each in turn (in a random order each time) for the same search and records its wall
time, so both sides see the same load on a shared machine, and the CPU time its own process spent
(all of a SQLite search; the client's part of a PostgreSQL one). Prints and writes
benchmarks/results/search_ab.json: per backend and kind, the p50/p95 of each side, the median of the
per-search ratios new/old (and per query), the ratio of CPU time spent, and whether both sides gave the same totals
and hits.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from search import QUERIES, percentile  # noqa: E402

KINDS = {"search": (False, "relevance"), "search_facets": (True, "relevance"), "by_shoot_date": (True, "shoot_date")}

WORKER = """
import json, sys, time
from mam.search import SearchRequest, search
from mam.services import open_services
from mam.settings import Settings
services = open_services(Settings.from_env({"MAM_HOME": sys.argv[1], "MAM_DATABASE_URL": sys.argv[2]}))
with services.session() as session:
    for line in sys.stdin:
        ask = json.loads(line)
        started, cpu = time.perf_counter(), time.process_time()
        result = search(session, "default", SearchRequest(q=ask["q"], facets=ask["facets"], sort=ask["sort"]))
        ms, cpu_ms = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
        hits = [h.asset.id for h in result.hits]
        print(json.dumps({"ms": ms, "cpu_ms": cpu_ms, "total": result.total, "hits": hits}), flush=True)
services.close()
"""


def _worker(checkout: Path, home: Path, url: str) -> subprocess.Popen[str]:
    env = {"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin"}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(home), url],
        cwd=checkout,
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )


def _ask(worker: subprocess.Popen[str], ask: dict[str, Any]) -> dict[str, Any]:
    assert worker.stdin is not None and worker.stdout is not None
    worker.stdin.write(json.dumps(ask) + "\n")
    worker.stdin.flush()
    line = worker.stdout.readline()
    if not line:
        raise SystemExit(f"a worker stopped (exit {worker.wait()})")
    answer: dict[str, Any] = json.loads(line)
    return answer


def compare(name: str, url: str, home: Path, old: Path, new: Path, rounds: int) -> dict[str, Any]:
    workers = {"old": _worker(old, home, url), "new": _worker(new, home, url)}
    rng = random.Random(7)
    times: dict[str, dict[str, list[float]]] = {k: {"old": [], "new": []} for k in KINDS}
    ratios: dict[str, list[float]] = {k: [] for k in KINDS}
    per_query: dict[str, list[float]] = {q: [] for q in QUERIES}
    cpu: dict[str, dict[str, float]] = {k: {"old": 0.0, "new": 0.0} for k in KINDS}
    same = True
    try:
        for query in QUERIES:  # warm up both
            for w in workers.values():
                _ask(w, {"q": query, "facets": False, "sort": "relevance"})
        for n in range(rounds):
            for query in QUERIES:
                for kind, (facets, sort) in KINDS.items():
                    ask = {"q": query, "facets": facets, "sort": sort}
                    order = ["old", "new"]
                    rng.shuffle(order)
                    got = {side: _ask(workers[side], ask) for side in order}
                    same &= (got["old"]["total"], got["old"]["hits"]) == (got["new"]["total"], got["new"]["hits"])
                    for side in ("old", "new"):
                        times[kind][side].append(got[side]["ms"])
                        cpu[kind][side] += got[side]["cpu_ms"]
                    ratios[kind].append(got["new"]["ms"] / got["old"]["ms"])
                    per_query[query].append(got["new"]["ms"] / got["old"]["ms"])
            print(f"{name}: round {n + 1}/{rounds}", file=sys.stderr)
    finally:
        for w in workers.values():
            assert w.stdin is not None
            w.stdin.close()
            w.wait()
    out: dict[str, Any] = {"backend": name, "same_answers": same}
    out["median_ratio_per_query"] = {q: round(statistics.median(r), 3) for q, r in per_query.items()}
    for kind in KINDS:
        out[kind] = {
            side: {p: round(percentile(times[kind][side], float(p[1:])), 2) for p in ("p50", "p95")}
            for side in ("old", "new")
        } | {
            "median_ratio_new_over_old": round(statistics.median(ratios[kind]), 3),
            "client_cpu_ratio_new_over_old": round(cpu[kind]["new"] / max(cpu[kind]["old"], 1e-9), 3),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("old", type=Path, help="a checkout of the code before")
    parser.add_argument("new", type=Path, help="a checkout of the code after")
    parser.add_argument("--keep", type=Path, required=True, help="the --keep folder of benchmarks/search.py")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    home = args.keep.resolve()
    urls = {
        "sqlite": f"sqlite:///{home / 'bench.db'}",
        "postgresql": args.pg_admin.rsplit("/", 1)[0]
        + "/mam_bench_search_kept_"
        + "".join(c for c in home.name.lower() if c.isalnum()),
    }
    homes = {"sqlite": home, "postgresql": home / "pg"}
    results = [
        compare(b, urls[b], homes[b], args.old.resolve(), args.new.resolve(), args.rounds)
        for b in args.backends.split(",")
    ]
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "search_ab.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
