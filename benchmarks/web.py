"""The web workspace in Debian's Chromium (Playwright) against a real server on localhost:

    .venv/bin/python benchmarks/web.py [--assets 100000] [--home DIR] [--loads 5] [--only loads|search]

- **first contentful paint** and **interactive search box** (the search box painted: the app mounted
  and the session checked) of ``/assets``, for a cold load (a new browser context: nothing cached) and
  a warm one (a reload), median of ``--loads``;
- **search-to-results latency** at ``--assets`` catalogued assets (generated Chinese news metadata, as
  benchmarks/search.py makes it; ``--home`` keeps the catalog for the next run): a query typed key by
  key as a person types it (80 ms apart), from the last keystroke's input event to the frame holding
  that query's results painted (the list's ``data-query``), measured inside the page; each query is
  typed twice (the second time is the figure; the first, with the server's caches cold, is listed too),
  with the wait before the hits request, the request, and answer-to-paint of each;
- the **gzipped size of the JavaScript the first page loads** (signed in, ``/assets``; gzip -9, as
  the server's GZipMiddleware sends it) and the raw size.

Writes benchmarks/results/web.json and web.md (web-loads.* or web-search.* with ``--only``). Goals
(issue 17): interactive in under 1.0 s, results within 150 ms of the last keystroke, first-load
JavaScript under 400 kB gzipped.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from live_server import live_server  # noqa: E402
from news import make_asset  # noqa: E402
from playwright.sync_api import Browser, BrowserContext, sync_playwright  # noqa: E402

from api.app import create_app  # noqa: E402
from mam.identity.users import create_user  # noqa: E402
from mam.search import optimize_index  # noqa: E402
from mam.services import open_services  # noqa: E402
from mam.settings import Settings  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
WEB = ROOT / "web"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUERIES = ["湘乡", "xiangxiang", "防汛抢险", "鄉村振興", "zs", "tag:消防", "programme:农业天地 春耕", "月山镇 志愿者"]
USER, PASSWORD = "bench-editor", "bench-password-123"

# Marks, inside the page (page clock, ms): when the search box is first painted, when each keystroke's
# input event fires, and when each query's results are first painted. "Painted": a requestAnimationFrame
# callback runs just before the next frame's paint, and a task posted from it runs once that frame is
# out. The results of query q are on screen when the list says data-query = q (set in the same update
# as its rows) and that update's frame is painted; the probe watches from the page's start, so a result
# painted before the benchmark asks is still timed when it was painted.
PROBE = """
window.__bench = { box: null, boxInDom: null, inputs: [], shown: {}, inDom: {} };
const painted = (then) => requestAnimationFrame(() => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => then(performance.now());
  channel.port2.postMessage(null);
});
new MutationObserver((records) => {
  const bench = window.__bench;
  if (bench.boxInDom === null && document.querySelector('#search-q')) {
    bench.boxInDom = performance.now();
    painted((at) => { bench.box = at; });
  }
  for (const record of records) {
    if (record.type !== 'attributes') continue;
    const q = record.target.dataset.query;
    if (q !== undefined && !(q in bench.shown)) {
      bench.shown[q] = null;
      bench.inDom[q] = performance.now();
      painted((at) => { bench.shown[q] = at; });
    }
  }
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-query'] });
document.addEventListener('input', (e) => {
  if (e.target && e.target.id === 'search-q') window.__bench.inputs.push(performance.now());
}, true);
"""
# The hits request made for query q after the last keystroke (the first: not the facets', nor a later
# refresh of the list): when it started and ended; and how many search requests were made since.
REQUEST_OF = """
([q, after]) => {
  const found = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/search?')
    && e.name.includes('facets=false') && e.startTime >= after && new URL(e.name).searchParams.get('q') === q);
  const r = found[0];
  const requests = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/search?')).length;
  performance.clearResourceTimings();
  return r ? { start: r.startTime, end: r.responseEnd, requests } : { start: null, end: null, requests };
}
"""


def build() -> None:
    if not (WEB / "dist" / "index.html").exists():
        subprocess.run(["make", "web"], cwd=ROOT, check=True)


def seed(home: Path, count: int) -> dict[str, Any]:
    settings = Settings.from_env({"MAM_HOME": str(home)})
    services = open_services(settings)
    seeded: dict[str, Any] = {"assets": count}
    try:
        with services.session() as session:
            present = int(session.execute(text("SELECT COUNT(*) FROM assets")).scalar_one())
        if present == 0:
            rng = random.Random(5)
            started = time.perf_counter()
            with services.session() as session:
                for start in range(0, count, 1000):
                    session.add_all(make_asset(rng, "default", n) for n in range(start, min(count, start + 1000)))
                    session.commit()
                    print(f"seeded {min(count, start + 1000)}/{count}", end="\r", file=sys.stderr)
                print(f"\n{optimize_index(session)}", file=sys.stderr)
            seeded["seed_seconds"] = round(time.perf_counter() - started, 1)
        elif present != count:
            raise SystemExit(f"{home} holds {present:,} assets, not {count:,}: another --home")
        with services.session() as session:
            if session.execute(text("SELECT COUNT(*) FROM users WHERE name = :n"), {"n": USER}).scalar_one() == 0:
                create_user(session, services.roles, USER, "default", "editor", PASSWORD)
    finally:
        services.close()
    return seeded


def signed_in(browser: Browser, url: str) -> BrowserContext:
    context = browser.new_context(base_url=url, locale="zh-CN", viewport={"width": 1280, "height": 860})
    answer = context.request.post("/api/v1/session", data={"name": USER, "password": PASSWORD})
    assert answer.ok, answer.text()
    context.add_init_script(PROBE)
    return context


def load_times(browser: Browser, url: str, loads: int) -> dict[str, Any]:
    cold: list[dict[str, float]] = []
    warm: list[dict[str, float]] = []
    script_bytes: dict[str, tuple[int, int]] = {}
    for n in range(loads):
        context = signed_in(browser, url)
        page = context.new_page()
        if n == 0:

            def sized(response: Any) -> None:
                if response.request.resource_type == "script":
                    body = response.body()
                    script_bytes[response.url] = (len(gzip.compress(body, 9)), len(body))  # GZipMiddleware's level

            page.on("response", sized)
        for target in (cold, warm):
            if target is warm:
                page.reload()
            else:
                page.goto("/assets")
            page.wait_for_function("() => window.__bench.box !== null")
            page.wait_for_load_state("networkidle")
            marks = page.evaluate(
                "() => ({ fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,"
                " box: window.__bench.box })"
            )
            target.append(marks)
        context.close()

    def median(rows: list[dict[str, float]], key: str) -> float:
        return round(statistics.median(r[key] for r in rows if r[key] is not None), 1)

    return {
        "cold_fcp_ms": median(cold, "fcp"),
        "cold_search_box_ms": median(cold, "box"),
        "warm_fcp_ms": median(warm, "fcp"),
        "warm_search_box_ms": median(warm, "box"),
        "first_load_js_gzip_kb": round(sum(g for g, _ in script_bytes.values()) / 1000, 1),
        "first_load_js_raw_kb": round(sum(r for _, r in script_bytes.values()) / 1000, 1),
        "first_load_js_files": len(script_bytes),
    }


def search_latency(browser: Browser, url: str, queries: list[str]) -> dict[str, Any]:
    """Each query typed twice (the first time the server has not seen it; the second, its caches are
    warm): from the last keystroke's input event to its results painted, and of that, the wait before
    the hits request started (the page's debounce, or a connection busy with an older request), the
    request itself, and from its answer to the paint."""
    context = signed_in(browser, url)
    page = context.new_page()
    page.goto("/assets")
    page.wait_for_function("() => window.__bench.box !== null")
    page.wait_for_load_state("networkidle")
    box = page.locator("#search-q")
    rounds: list[dict[str, dict[str, float | None]]] = [{}, {}]
    for typed in rounds:
        for query in queries:
            box.fill("")
            page.wait_for_function("() => window.__bench.shown[''] != null")
            page.evaluate("() => { window.__bench.inputs = []; window.__bench.shown = {}; window.__bench.inDom = {}; }")
            page.evaluate(REQUEST_OF, ["", 0])  # clears the resource timings
            box.press_sequentially(query, delay=80)
            page.wait_for_function("(q) => window.__bench.shown[q] != null", arg=query)
            shown, in_dom = page.evaluate("(q) => [window.__bench.shown[q], window.__bench.inDom[q]]", query)
            last = page.evaluate("() => window.__bench.inputs.at(-1)")
            request = page.evaluate(REQUEST_OF, [query, last])
            start, end = request["start"], request["end"]
            typed[query] = {
                "ms": round(shown - last, 1),
                "wait_ms": round(start - last, 1) if start is not None else None,
                "request_ms": round(end - start, 1) if start is not None else None,
                "render_ms": round(shown - end, 1) if end is not None else None,
                "to_dom_ms": round(in_dom - end, 1) if end is not None else None,
                "requests": request["requests"],
            }
    context.close()

    def median(typed: dict[str, dict[str, float | None]], key: str) -> float | None:
        values = [float(v[key]) for v in typed.values() if v[key] is not None]  # type: ignore[arg-type]
        return round(statistics.median(values), 1) if values else None

    first, again = rounds
    return {
        "search_to_results_ms": {q: v["ms"] for q, v in again.items()},
        "search_to_results_median_ms": median(again, "ms"),
        "search_to_results_max_ms": max(float(v["ms"] or 0) for v in again.values()),
        "search_first_typing_median_ms": median(first, "ms"),
        "search_wait_median_ms": median(again, "wait_ms"),
        "search_request_median_ms": median(again, "request_ms"),
        "search_render_median_ms": median(again, "render_ms"),
        "search_answer_to_dom_median_ms": median(again, "to_dom_ms"),
        "search_requests_per_query_median": median(again, "requests"),
        "search_detail": {"first": first, "again": again},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--home", type=Path, default=None, help="keep the seeded catalog here for the next run")
    parser.add_argument("--loads", type=int, default=5, help="page loads (cold, then warm) to take the median of")
    parser.add_argument("--only", choices=("loads", "search"), default=None, help="measure only this part")
    args = parser.parse_args()
    build()
    home = args.home or Path(tempfile.mkdtemp(prefix="mam-web-bench-"))
    result: dict[str, Any] = {"catalog": seed(home, args.assets)}
    app = create_app(Settings.from_env({"MAM_HOME": str(home), "MAM_WEB_DIST": str(WEB / "dist")}), run_workers=False)
    result["load_average_before"] = round(os.getloadavg()[0], 1)
    with live_server(app) as url, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        if args.only != "search":
            result.update(load_times(browser, url, args.loads))
        if args.only != "loads":
            result.update(search_latency(browser, url, QUERIES))
        browser.close()
    result["load_average"] = round(os.getloadavg()[0], 1)
    result["cpus"] = os.cpu_count()
    RESULTS.mkdir(exist_ok=True)
    name = f"web-{args.only}" if args.only else "web"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / f"{name}.md").write_text(report(result, args.assets))
    print(json.dumps(result, indent=2, ensure_ascii=False))


def report(result: dict[str, Any], assets: int) -> str:
    lines = [
        f"# Web workspace on localhost, {assets:,} assets (Chromium, Playwright)",
        "",
        "| measure | value | goal |",
        "|---|---|---|",
    ]
    if "cold_fcp_ms" in result:
        lines += [
            f"| first contentful paint, cold / warm | {result['cold_fcp_ms']} / {result['warm_fcp_ms']} ms | |",
            f"| interactive search box (painted), cold / warm | {result['cold_search_box_ms']} / "
            f"{result['warm_search_box_ms']} ms | < 1000 ms |",
            f"| first-load JavaScript, gzipped (raw) | {result['first_load_js_gzip_kb']} kB "
            f"({result['first_load_js_raw_kb']} kB, {result['first_load_js_files']} files) | < 400 kB |",
        ]
    if "search_to_results_median_ms" in result:
        lines += [
            f"| last keystroke to results painted, median / max | {result['search_to_results_median_ms']} / "
            f"{result['search_to_results_max_ms']} ms | < 150 ms |",
            f"| the same, the first time each query is typed, median | "
            f"{result['search_first_typing_median_ms']} ms | |",
            f"| of which: wait before the hits request / the request / answer to paint, medians | "
            f"{result['search_wait_median_ms']} / {result['search_request_median_ms']} / "
            f"{result['search_render_median_ms']} ms | |",
            f"| of answer to paint: answer to the rows in the page, median | "
            f"{result['search_answer_to_dom_median_ms']} ms | |",
            f"| search requests made while typing a query, median | {result['search_requests_per_query_median']} | |",
        ]
    lines += [
        "",
        f"Load average {result['load_average_before']} before, {result['load_average']} after, "
        f"on {result['cpus']} CPUs.",
    ]
    if "search_detail" in result:
        lines += [
            "",
            "| query | ms (first typing) | ms | wait | request | answer to paint (to rows in page) |",
            "|---|---|---|---|---|---|",
        ]
        first, again = result["search_detail"]["first"], result["search_detail"]["again"]
        for q, v in again.items():
            lines.append(
                f"| `{q}` | {first[q]['ms']} | {v['ms']} | {v['wait_ms']} | {v['request_ms']} | {v['render_ms']} "
                f"({v['to_dom_ms']}) |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
