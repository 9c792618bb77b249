"""Event latency: from a job's progress being recorded to a server-sent event client, with many
clients connected.

    .venv/bin/python benchmarks/events.py [--clients 200] [--events 150] [--jobs 10] [--database sqlite|postgres]

A real uvicorn server (its own process, ``create_app(run_workers=False)``: this script stands for the
worker) serves ``GET /api/v1/events``; ``--clients`` streams of one tenant are held open by a second
process (asyncio, httpx). This process then records the progress of ``--jobs`` running jobs in turn
through :func:`mam.jobs.set_job_progress`, as a render does, every ``--interval`` seconds (each job's
progress event is emitted at most once a second, so with the defaults every call makes one), noting
the wall clock just before each call. Each client notes when each ``job.progress`` frame arrives; the
latency of one (event, client) pair is arrival minus the moment the progress was recorded. Every
event goes to every client: 150 events x 200 clients = 30,000 samples with the defaults.

On SQLite the server's bus polls the catalog every 0.1 s (another process wrote the event; the
server's own writes wake it at once); on PostgreSQL NOTIFY wakes it. Writes
benchmarks/results/events_<database>.json and .md. Goal: p95 under 500 ms with 200 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mam.catalog import ensure_tenant  # noqa: E402
from mam.identity import create_key  # noqa: E402
from mam.jobs import JobPolicy, claim_job, create_asset_with_job, set_job_progress  # noqa: E402
from mam.models import Asset  # noqa: E402
from mam.services import Services, open_services  # noqa: E402
from mam.settings import Settings  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
_SERVE = (
    "import sys, uvicorn; from api.app import create_app; "
    "uvicorn.run(create_app(run_workers=False), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')"
)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _client(port: int, path: str, key: str, opened: Any, arrivals: list[tuple[str, float, float]]) -> None:
    """One stream over a bare asyncio connection (an httpx client per stream costs the measuring
    process more than the server's work): HTTP/1.1, chunked, one frame or more per chunk."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\r\n".encode())
    await writer.drain()
    while (await reader.readline()) not in (b"\r\n", b""):  # the answer's head
        pass
    while True:
        size = int((await reader.readline()).strip() or b"0", 16)
        if size == 0:
            break
        chunk = (await reader.readexactly(size + 2))[:-2]
        at = time.time()
        if chunk.startswith(b"retry:"):
            opened()
            continue
        for frame in chunk.split(b"\n\n"):  # a chunk holds one frame or more
            if b"event: job.progress" in frame:
                data = json.loads(frame.split(b"data: ", 1)[1])["data"]
                arrivals.append((data["job_id"], data["progress"], at))
    writer.close()


def _clients(port: int, path: str, key: str, count: int, ready: Any, done: Any, out: Any) -> None:
    """The client process: ``count`` streams; sets ``ready`` once all are open, returns arrivals on ``out``."""
    arrivals: list[tuple[str, float, float]] = []
    opened = 0

    def one_open() -> None:
        nonlocal opened
        opened += 1
        if opened == count:
            ready.set()

    async def main() -> None:
        tasks = [asyncio.create_task(_client(port, path, key, one_open, arrivals)) for _ in range(count)]
        while not done.is_set():
            await asyncio.sleep(0.1)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())
    out.put(arrivals)


def _running_jobs(services: Services, tenant: str, count: int) -> list[str]:
    jobs = []
    policy = JobPolicy(lease=JobPolicy().lease * 1000)  # no one else takes them up while we report progress
    with services.session() as session:
        for n in range(count):
            asset = Asset(
                tenant_id=tenant,
                title=f"bench {n}",
                media_kind="video",
                original_filename=f"{n}.mp4",
                original_key=f"k{n}",
                size=1,
                sha256=uuid.uuid4().hex * 2,
                xxh3="0" * 16,
            )
            job = create_asset_with_job(session, asset, ["proxy"])
            assert job is not None and claim_job(session, job.id, policy) is not None
            jobs.append(job.id)
    return jobs


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="mam-bench-events-"))
    env = {"MAM_HOME": str(home), "MAM_RATE_PER_KEY": "0", "MAM_RATE_PER_ADDRESS": "0"}
    if args.database == "postgres":
        from sqlalchemy import create_engine, text

        name = f"mam_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        env["MAM_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    services = open_services(Settings.from_env(env))
    tenant = "county-bench"
    with services.session() as session:
        ensure_tenant(session, tenant)
        key = create_key(session, services.roles, tenant, "viewer", "bench").key
    jobs = _running_jobs(services, tenant, args.jobs)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(port)], env={**os.environ, **env}, cwd=ROOT, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        ready, done = multiprocessing.Event(), multiprocessing.Event()
        out: multiprocessing.Queue[list[tuple[str, float, float]]] = multiprocessing.Queue()
        path = "/api/v1/events?timeout=3600"
        clients = multiprocessing.Process(target=_clients, args=(port, path, key, args.clients, ready, done, out))
        clients.start()
        if not ready.wait(120):
            raise SystemExit("the clients did not all connect")
        time.sleep(1.0)
        sent: dict[tuple[str, float], float] = {}
        load = os.getloadavg()[0]
        for n in range(args.events):
            job = jobs[n % len(jobs)]
            progress = round((n + 1) / (args.events + 2), 4)
            with services.session() as session:
                sent[(job, progress)] = time.time()
                set_job_progress(session, job, progress, fps=25.0, eta_seconds=60.0)
            time.sleep(args.interval)
        time.sleep(3.0)  # the last frames arrive
        done.set()
        arrivals: list[tuple[str, float, float]] = out.get(timeout=120)
        clients.join(timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=60)
        services.close()
    latencies = [(at - sent[(job, p)]) * 1000 for job, p, at in arrivals if (job, p) in sent]
    expected = len(sent) * args.clients
    return {
        "database": args.database,
        "clients": args.clients,
        "events": len(sent),
        "samples": len(latencies),
        "missing": expected - len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(_percentile(latencies, 0.95), 1),
        "p99_ms": round(_percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
        "load_average_at_start": round(load, 1),
        "goal_p95_ms": 500,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--events", type=int, default=150)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between two progress reports")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    result = run(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"events_{args.database}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"# Event latency, {result['database']}: job progress to {result['clients']} SSE clients",
        "",
        "| events | samples | missing | p50 ms | p95 ms | p99 ms | max ms | load avg |",
        "|---|---|---|---|---|---|---|---|",
        f"| {result['events']} | {result['samples']} | {result['missing']} | {result['p50_ms']} | {result['p95_ms']} "
        f"| {result['p99_ms']} | {result['max_ms']} | {result['load_average_at_start']} |",
        "",
        f"Goal: p95 under {result['goal_p95_ms']} ms.",
    ]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
