"""Metrics benchmark: what a scrape costs the catalog, and what timing a request costs the server.

    .venv/bin/python benchmarks/metrics.py [--assets 100000] [--jobs 20000] [--scrapes 20] [--requests 20000]

1. A SQLite catalog (in a temporary folder) with ``--assets`` assets of 20 tenants, three renditions
   each, and ``--jobs`` jobs (a tenth queued across the lanes, the rest done): the catalog's side of
   ``GET /metrics`` (:class:`mam.metrics.CatalogCollector`: jobs per lane and state, the oldest wait,
   bytes stored per tenant) is read ``--scrapes`` times with the bytes summed at each scrape
   (``MAM_METRICS_STORAGE_SECONDS=0``), then as by default (the sums kept between their refreshes);
   p50 and max wall time.
2. The HTTP latency middleware (:class:`api.metrics.HttpLatency`) around a bare ASGI app answering 200,
   called in process ``--requests`` times with and without it, routed (the route's template found
   in the scope) and unrouted (matched against the app's routes, as for a request refused before
   routing): the difference per request, in microseconds.

Writes benchmarks/results/metrics.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from mam.metrics import CatalogCollector  # noqa: E402
from mam.models import Asset, Job, JobState, Rendition, Tenant, utcnow  # noqa: E402
from mam.services import open_services  # noqa: E402
from mam.settings import Settings  # noqa: E402


def _fill(services: Any, assets: int, jobs: int) -> None:
    now = utcnow()
    tenants = [f"county-{n:02d}" for n in range(20)]
    lanes = ("urgent", "normal", "bulk")
    with services.session() as session:
        session.execute(insert(Tenant), [{"id": t, "name": t} for t in tenants])
        ids = [str(uuid.uuid4()) for _ in range(assets)]
        for start in range(0, assets, 5000):
            chunk = ids[start : start + 5000]
            session.execute(
                insert(Asset),
                [
                    {
                        "id": a,
                        "tenant_id": tenants[n % 20],
                        "title": f"asset {n}",
                        "media_kind": "video",
                        "original_filename": f"{n}.mxf",
                        "original_key": f"k/{a}",
                        "size": 50_000_000 + n,
                        "sha256": f"{n:064d}",
                        "xxh3": "0" * 16,
                    }
                    for n, a in enumerate(chunk, start)
                ],
            )
            session.execute(
                insert(Rendition),
                [
                    {
                        "asset_id": a,
                        "profile": p,
                        "source_sha256": f"{n:064d}",
                        "storage_key": f"r/{a}/{p}",
                        "content_type": "video/mp4",
                        "size": 5_000_000,
                    }
                    for n, a in enumerate(chunk, start)
                    for p in ("proxy", "web_720p", "poster")
                ],
            )
        session.execute(
            insert(Job),
            [
                {
                    "asset_id": ids[n % assets],
                    "profiles": ["proxy"],
                    "state": JobState.QUEUED if n % 10 == 0 else JobState.DONE,
                    "lane": lanes[n % 3],
                    "created_at": now - timedelta(seconds=n),
                }
                for n in range(jobs)
            ],
        )
        session.commit()


def _catalog(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env({"MAM_HOME": folder})
        services = open_services(settings)
        try:
            began = time.perf_counter()
            _fill(services, args.assets, args.jobs)
            filled = time.perf_counter() - began
            times: dict[str, list[float]] = {"summing": [], "cached": []}
            for name, collector in (
                ("summing", CatalogCollector(services, stored_seconds=0)),  # bytes summed at each scrape
                ("cached", CatalogCollector(services, stored_seconds=3600)),  # the default way: sums kept
            ):
                for _ in range(args.scrapes):
                    t0 = time.perf_counter()
                    families = list(collector.collect())
                    times[name].append((time.perf_counter() - t0) * 1000)
                assert any(f.name == "mam_stored_bytes" for f in families)
        finally:
            services.close()
    return {
        "assets": args.assets,
        "renditions": args.assets * 3,
        "jobs": args.jobs,
        "fill_seconds": round(filled, 1),
        "scrape_ms_p50_summing_bytes": round(statistics.median(times["summing"]), 2),
        "scrape_ms_max_summing_bytes": round(max(times["summing"]), 2),
        "scrape_ms_p50_bytes_kept": round(statistics.median(times["cached"]), 2),
        "scrape_ms_max_bytes_kept": round(max(times["cached"]), 2),
    }


async def _bare(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _noop_send(message: Any) -> None:
    return None


async def _receive() -> Any:
    return {"type": "http.request", "body": b"", "more_body": False}


def _middleware(requests: int) -> dict[str, Any]:
    from fastapi.routing import iter_route_contexts

    from api.app import create_app
    from api.metrics import HttpLatency

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings.from_env({"MAM_HOME": folder}))
        routed_route = next(
            c.original_route for c in iter_route_contexts(app.router.routes) if c.path == "/api/v1/assets/{asset_id}"
        )
        timed = HttpLatency(_bare, app.router.routes)

        def scope(routed: bool) -> dict[str, Any]:
            found = {"route": routed_route} if routed else {}
            path = "/api/v1/assets/0b6d2f1e" if routed else "/api/v1/assets/0b6d2f1e/made-up/nothing"
            return {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": [], **found}

        async def run(app_: Any, routed: bool) -> float:
            t0 = time.perf_counter()
            for _ in range(requests):
                await app_(scope(routed), _receive, _noop_send)
            return (time.perf_counter() - t0) / requests * 1e6

        async def measure() -> dict[str, float]:
            result: dict[str, list[float]] = {"bare": [], "routed": [], "unrouted": []}
            for _ in range(5):
                result["bare"].append(await run(_bare, True))
                result["routed"].append(await run(timed, True))
                result["unrouted"].append(await run(timed, False))
            return {k: statistics.median(v) for k, v in result.items()}

        us = asyncio.run(measure())
    return {
        "requests": requests,
        "bare_us": round(us["bare"], 2),
        "added_us_routed": round(us["routed"] - us["bare"], 2),
        "added_us_unrouted": round(us["unrouted"] - us["bare"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--scrapes", type=int, default=20)
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    result = {"catalog": _catalog(args), "middleware": _middleware(args.requests)}
    out = ROOT / "benchmarks" / "results" / "metrics.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
