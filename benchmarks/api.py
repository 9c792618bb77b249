"""API benchmark: what authentication adds to a request through the whole HTTP stack.

    .venv/bin/python benchmarks/api.py [--assets 2000] [--requests 3000] [--rounds 6]

Two real uvicorn servers (each in its own process, on a free port) over one generated catalog: the app
as it is served (an API key checked on every request: looked up by its digest), and the same app with
the principal's dependency overridden (no credential read). Both keep every middleware (rate limits
set high enough never to refuse, CORS, security headers, body limit). One httpx client (keep-alive)
sends a search (``/api/v1/search?q=...``, first page of 20) and an asset GET (``/api/v1/assets/{id}``)
to each server in turn, in rounds (so drift of the machine falls on both alike), after a warm-up.
Writes benchmarks/results/api.json and api.md: p50/p95 per request and mode, the difference and ratio,
the median of the paired differences, and authentication alone timed in process (wall and CPU: what
the server does for a key, without HTTP or the machine's other work). ``--control`` makes both servers
authenticate (api_control.json): the difference two identical server processes show, the noise floor
the with/without comparison must be read against. Goal: authentication adds under 1 ms at p95.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before this script's folder: ``api`` is the project's package, not this file
sys.path.append(str(ROOT / "benchmarks"))

from news import make_asset  # noqa: E402

from mam.catalog import ensure_tenant  # noqa: E402
from mam.identity import create_key  # noqa: E402
from mam.services import open_services  # noqa: E402
from mam.settings import Settings  # noqa: E402

MODES = ("with_auth", "without_auth")
QUERIES = ["防汛", "新闻", "会议", "农业", "天气", "交通", "学校", "医院"]
_RATE = "1000000"  # the limiter runs on every request, and never refuses


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(home: Path) -> dict[str, str]:
    return {"MAM_HOME": str(home), "MAM_RATE_PER_KEY": _RATE, "MAM_RATE_PER_ADDRESS": _RATE}


def serve(home: Path, port: int, key: str, authenticated: bool) -> None:
    """Run one server until killed (the child process's whole life)."""
    import uvicorn

    from api.app import create_app
    from api.auth import Credential, get_credential
    from mam.identity.keys import authenticate_key

    settings = Settings.from_env(_env(home))
    app = create_app(settings, run_workers=False)
    if not authenticated:
        services = open_services(settings)
        with services.session() as session:
            principal = authenticate_key(session, services.roles, key)
        services.close()
        app.dependency_overrides[get_credential] = lambda: Credential(principal)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def seed(home: Path, count: int) -> tuple[str, list[str]]:
    """``count`` generated news assets of the default tenant, and an editor's key; returns (key, asset ids)."""
    services = open_services(Settings.from_env(_env(home)))
    rng = random.Random(7)
    ids = []
    with services.session() as session:
        ensure_tenant(session, "default")
        for start in range(0, count, 500):
            batch = [make_asset(rng, "default", n) for n in range(start, min(count, start + 500))]
            session.add_all(batch)
            session.commit()
            ids += [a.id for a in batch]
        key = create_key(session, services.roles, "default", "editor", "api benchmark").key
    services.close()
    return key, ids


def _start(home: Path, key: str, authenticated: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = [sys.executable, __file__, "--serve", str(home), str(port), "1" if authenticated else "0"]
    process = subprocess.Popen(args, cwd=ROOT, env={**os.environ, "MAM_BENCH_KEY": key})  # not on a command line
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def _time(client: httpx.Client, url: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    answer = client.get(url, headers=headers)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:200]}")
    return elapsed * 1000.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _authentication_alone(home: Path, calls: int = 5000) -> dict[str, Any]:
    """What the server does per request to authenticate a key, timed without HTTP or other processes'
    noise: open a catalog session, look the key up by its digest, build the principal."""
    from mam.identity.keys import authenticate_key

    key, _ = seed(home, 1)
    services = open_services(Settings.from_env(_env(home)))
    spent, cpu = [], []
    try:
        for _ in range(calls):
            started, started_cpu = time.perf_counter(), time.thread_time()
            with services.session() as session:
                authenticate_key(session, services.roles, key)
            spent.append((time.perf_counter() - started) * 1e6)
            cpu.append((time.thread_time() - started_cpu) * 1e6)
    finally:
        services.close()
    return {
        "calls": calls,
        "p50_us": round(statistics.median(spent), 1),
        "p95_us": round(_percentile(spent, 0.95), 1),
        "cpu_p50_us": round(statistics.median(cpu), 1),
        "cpu_p95_us": round(_percentile(cpu, 0.95), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=2000, help="generated assets in the catalog")
    parser.add_argument("--requests", type=int, default=3000, help="timed requests per kind and mode")
    parser.add_argument("--rounds", type=int, default=6, help="the requests are sent in this many alternating rounds")
    parser.add_argument("--warmup", type=int, default=300, help="untimed requests per kind and mode first")
    parser.add_argument(
        "--control",
        action="store_true",
        help="both servers authenticate (an A/A run: the difference two identical server processes show)",
    )
    parser.add_argument("--serve", nargs=3, metavar=("HOME", "PORT", "AUTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:  # a server process of the run
        home_, port, auth = args.serve
        serve(Path(home_), int(port), os.environ["MAM_BENCH_KEY"], auth == "1")
        return
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    rng = random.Random(11)
    with tempfile.TemporaryDirectory(prefix="mam-bench-api-") as tmp:
        home = Path(tmp) / "home"
        key, ids = seed(home, args.assets)
        servers = {mode: _start(home, key, mode == "with_auth" or args.control) for mode in MODES}
        bearer = {"Authorization": f"Bearer {key}"}
        headers = {"with_auth": bearer, "without_auth": bearer if args.control else {}}
        kinds: dict[str, Callable[[], str]] = {
            "search": lambda: f"/api/v1/search?q={rng.choice(QUERIES)}&limit=20",
            "asset_get": lambda: f"/api/v1/assets/{rng.choice(ids)}",
        }
        times: dict[str, dict[str, list[float]]] = {kind: {mode: [] for mode in MODES} for kind in kinds}
        try:
            with httpx.Client(timeout=30) as client:
                for path in kinds.values():
                    for mode in MODES:
                        for _ in range(args.warmup):
                            _time(client, servers[mode][1] + path(), headers[mode])
                per_round = max(1, args.requests // args.rounds)
                for number in range(args.rounds):
                    for kind, path in kinds.items():
                        for i in range(per_round):  # the same request to both, in turn: a load burst hits both
                            asked = path()
                            for mode in MODES if (number + i) % 2 == 0 else MODES[::-1]:
                                times[kind][mode].append(_time(client, servers[mode][1] + asked, headers[mode]))
                    print(f"round {number + 1}/{args.rounds}", file=sys.stderr)
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(timeout=30)
    results: dict[str, Any] = {}
    for kind, by_mode in times.items():
        row: dict[str, Any] = {}
        for mode, values in by_mode.items():
            row[mode] = {
                "requests": len(values),
                "p50_ms": round(statistics.median(values), 3),
                "p95_ms": round(_percentile(values, 0.95), 3),
                "mean_ms": round(statistics.fmean(values), 3),
            }
        on, off = row["with_auth"], row["without_auth"]
        paired = [a - b for a, b in zip(by_mode["with_auth"], by_mode["without_auth"], strict=True)]
        row["paired_difference_median_ms"] = round(statistics.median(paired), 3)
        row["p50_added_ms"] = round(on["p50_ms"] - off["p50_ms"], 3)
        row["p95_added_ms"] = round(on["p95_ms"] - off["p95_ms"], 3)
        row["p50_ratio"] = round(on["p50_ms"] / off["p50_ms"], 3)
        row["p95_ratio"] = round(on["p95_ms"] / off["p95_ms"], 3)
        row["goal_p95_added_under_1ms"] = row["p95_added_ms"] < 1.0
        results[kind] = row
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mam-bench-auth-") as tmp:
        checks = _authentication_alone(Path(tmp) / "home")
    document = {
        "control": args.control,
        "load_average_at_start": load,
        "load_average_at_end": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "assets": args.assets,
        "rounds": args.rounds,
        "results": results,
        "authentication_alone": checks,
    }
    name = "api_control" if args.control else "api"
    (out / f"{name}.json").write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"API through uvicorn + httpx, {args.assets} assets, load average at start {load}",
        "",
        "| request | mode | n | p50 ms | p95 ms | mean ms |",
        "|---|---|---|---|---|---|",
    ]
    for kind, row in results.items():
        for mode in MODES:
            m = row[mode]
            lines.append(f"| {kind} | {mode} | {m['requests']} | {m['p50_ms']} | {m['p95_ms']} | {m['mean_ms']} |")
    lines.append("")
    for kind, row in results.items():
        lines.append(
            f"{kind}: authentication adds {row['p50_added_ms']} ms at p50 (x{row['p50_ratio']}), "
            f"{row['p95_added_ms']} ms at p95 (x{row['p95_ratio']}); goal < 1 ms at p95: "
            f"{'met' if row['goal_p95_added_under_1ms'] else 'NOT met'}; median paired difference "
            f"{row['paired_difference_median_ms']} ms"
        )
    lines.append(
        f"authentication alone (key looked up by its digest, {checks['calls']} calls in process): "
        f"p50 {checks['p50_us']} us, p95 {checks['p95_us']} us wall; CPU p50 {checks['cpu_p50_us']} us, "
        f"p95 {checks['cpu_p95_us']} us"
    )
    (out / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
