"""Workers benchmark: throughput with 1 and 2 `mam worker` processes, an urgent job's wait behind a bulk
backlog, and the time a SIGKILLed worker's job takes to run again.

    .venv/bin/python benchmarks/workers.py [--broker redis://127.0.0.1:6379/0] [--lease 10 --sweep 2]
        [--phases throughput,urgent,recovery] [--threads-per-job 0]

Real `mam worker` processes (one thread each) on a Redis (or ``amqp://``) broker and a fresh PostgreSQL
catalog per phase, renders of generated clips:

- **throughput**: a fixed mix (4 × ``proxy`` of 3 s 320×240, 2 × ``proxy`` + ``poster`` of 2 s 640×360,
  2 × ``poster`` of 2 s 320×240) queued at once, then 1 worker, then (fresh catalog) 2 workers; jobs/hour
  from the first start to the last end in the catalog. Goal: 2 workers ≥ 1.8× one on 2 cores.
  What it compares: one worker with the whole machine against two workers with half of it each. Each
  job's decoder, encoders and filters get ``--threads-per-job`` threads (default 0: the phase's share,
  cores / workers, i.e. 2 for one worker and 1 for each of two on 2 cores; left to choose, each of two
  workers would start one thread per core). The workers' CPU time (their media children included) is
  recorded beside the wall time: ``cores_busy`` is how much of the machine the workers kept busy.
  Each worker runs in a session of its own: Linux shares the cores between sessions (autogroups) before
  threads, so two workers in the benchmark's session got together the share one worker gets whenever
  other sessions kept the machine busy (0.62× to 1.95× in one afternoon; a systemd service or a
  container is a group of its own the same way). Other work on the machine skews the ratio still
  (with G other busy sessions one worker gets 2/(G+1) of the 2 cores and two get 4/(G+2): at G=2,
  1.5× at best); the load average at the start and the end of the phase is recorded with it.
- **urgent wait**: 2 workers busy with bulk ``proxy`` jobs and 20 more queued; then an urgent job. Its
  wait (queued → started) against the remaining time of the jobs running when it came (goal: no more
  than that), and how many queued bulk jobs started before it (goal: none).
- **recovery**: 2 workers, a render running; SIGKILL its worker; the time until the job runs again on
  the other, against the bound ``lease + sweep`` (``--lease``, ``--sweep``: MAM_JOB_LEASE_SECONDS and
  MAM_JOB_SWEEP_SECONDS for this phase).

Writes benchmarks/results/workers.json and workers.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402

from mam.ingest import ingest_file  # noqa: E402
from mam.models import Job, JobState  # noqa: E402
from mam.services import Services, open_services  # noqa: E402
from mam.settings import Settings  # noqa: E402
from transcode import generate  # noqa: E402

MAM = Path(sys.executable).parent / "mam"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RESULTS = ROOT / "benchmarks" / "results"


@dataclass
class Phase:
    env: dict[str, str]
    services: Services
    logs: Path
    workers: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    def cpu_seconds(self) -> float:
        """User and system time of the workers so far, their reaped media children included."""
        total = 0
        for pid in self.workers:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        return total / os.sysconf("SC_CLK_TCK")

    def start(self, n: int = 1) -> None:
        """Start ``n`` workers at once and wait until every one is ready (one after another, the first
        ran the queued mix alone while the next was still starting: seconds counted as two workers')."""
        logs = []
        for _ in range(n):
            log = self.logs / f"worker-{len(self.workers)}-{uuid.uuid4().hex[:4]}.log"
            with log.open("wb") as sink:
                proc = subprocess.Popen(
                    [str(MAM), "worker"],
                    env={**os.environ, **self.env},
                    stdout=sink,
                    stderr=sink,
                    start_new_session=True,  # its own share of a busy machine, as a service of its own has
                )
            self.workers[proc.pid] = proc
            logs.append(log)
        _wait(lambda: all("mam worker:" in log.read_text(errors="replace") for log in logs), 120)

    def ingest(self, clip: Path, profiles: list[str], lane: str = "normal") -> str:
        job = ingest_file(self.services, clip, profiles=profiles, lane=lane).job
        assert job is not None
        return job.id

    def jobs(self, ids: list[str]) -> dict[str, Job]:
        with self.services.session() as session:
            rows = session.scalars(select(Job).where(Job.id.in_(ids)).execution_options(populate_existing=True))
            return {j.id: j for j in rows}

    def wait_done(self, ids: list[str], timeout: float = 900, every: float = 0.1) -> dict[str, Job]:
        done = (JobState.DONE, JobState.FAILED)
        _wait(lambda: all(j.state in done for j in self.jobs(ids).values()), timeout, every)
        jobs = self.jobs(ids)
        failed = [j.error for j in jobs.values() if j.state != JobState.DONE]
        assert not failed, failed
        return jobs


def _wait(probe: Any, timeout: float, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(every)
    raise TimeoutError(f"gave up after {timeout:g} s")


@contextmanager
def phase(root: Path, broker: str, **settings: str) -> Iterator[Phase]:
    """A fresh catalog (PostgreSQL database), home and broker namespace; its workers killed at the end."""
    name = f"mam_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    home = root / name
    env = {
        "MAM_HOME": str(home),
        "MAM_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
        "MAM_BROKER_URL": broker,
        "MAM_BROKER_NAMESPACE": f"bench-{uuid.uuid4().hex[:8]}",
        "MAM_WORKER_THREADS": "1",
        "MAM_PROBE_TIMEOUT_SECONDS": "300",  # a loaded machine is slow, not the files damaged
        **settings,
    }
    services = open_services(Settings.from_env(env))
    home.mkdir(parents=True, exist_ok=True)
    bench = Phase(env, services, home)
    try:
        yield bench
    finally:
        for proc in bench.workers.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        services.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _clips(root: Path) -> dict[str, list[Path]]:
    """Every clip distinct (the catalog dedupes by content): the mix, the backlog, the urgent one, a long one."""
    folder = root / "clips"
    folder.mkdir(exist_ok=True)

    def clip(name: str, seconds: float, w: int, h: int) -> Path:
        return generate.silent_clip(folder / f"{name}.mp4", seconds=seconds, width=w, height=h)

    return {
        "proxy": [clip(f"mix-proxy-{i}", 3.0 + i * 0.04, 320, 240) for i in range(4)],
        "both": [clip(f"mix-both-{i}", 2.0 + i * 0.04, 640, 360) for i in range(2)],
        "poster": [clip(f"mix-poster-{i}", 2.0 + i * 0.04, 320, 240) for i in range(2)],
        "bulk": [clip(f"bulk-{i}", 2.0 + i * 0.04, 320, 240) for i in range(22)],  # 2 running, 20 queued
        "urgent": [clip("urgent", 1.0, 320, 240)],
        "long": [clip("long", 12.0, 320, 240)],
    }


def _mix(bench: Phase, clips: dict[str, list[Path]]) -> list[str]:
    ids = [bench.ingest(c, ["proxy"]) for c in clips["proxy"]]
    ids += [bench.ingest(c, ["proxy", "poster"]) for c in clips["both"]]
    return ids + [bench.ingest(c, ["poster"]) for c in clips["poster"]]


def throughput(root: Path, broker: str, clips: dict[str, list[Path]], workers: int, threads: int = 0) -> dict[str, Any]:
    """The mix on ``workers`` workers; each job's codecs get ``threads`` threads (0: cores / workers)."""
    cores = len(os.sched_getaffinity(0))
    per_job = threads or max(1, cores // workers)
    load_before = os.getloadavg()[0]
    with phase(root, broker, MAM_THREADS_PER_JOB=str(per_job)) as bench:
        ids = _mix(bench, clips)
        bench.start(workers)
        cpu_before, wall_before = bench.cpu_seconds(), time.monotonic()
        jobs = bench.wait_done(ids, every=1.0)  # the figures come from the catalog: a slow look costs nothing
        cpu, wall = bench.cpu_seconds() - cpu_before, time.monotonic() - wall_before
    first = min(j.started_at for j in jobs.values() if j.started_at)
    last = max(j.finished_at for j in jobs.values() if j.finished_at)
    seconds = (last - first).total_seconds()
    return {
        "workers": workers,
        "threads_per_job": per_job,
        "jobs": len(ids),
        "seconds": round(seconds, 2),
        "jobs_per_hour": round(len(ids) / seconds * 3600),
        "cpu_seconds_per_job": round(cpu / len(ids), 2),
        "cores_busy": round(cpu / wall, 2),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def urgent_wait(root: Path, broker: str, clips: dict[str, list[Path]]) -> dict[str, Any]:
    with phase(root, broker) as bench:
        bench.start(2)
        bulk = [bench.ingest(c, ["proxy"], "bulk") for c in clips["bulk"]]
        _wait(lambda: sum(j.state == JobState.RUNNING for j in bench.jobs(bulk).values()) == 2, 300)
        running = [i for i, j in bench.jobs(bulk).items() if j.state == JobState.RUNNING]
        urgent = bench.ingest(clips["urgent"][0], ["proxy"], "urgent")
        jobs = bench.wait_done([*bulk, urgent])
    u = jobs[urgent]
    assert u.started_at is not None
    came = u.created_at
    remaining = sorted((jobs[i].finished_at - came).total_seconds() for i in running)  # type: ignore[operator]
    before = [i for i in bulk if i not in running and jobs[i].started_at < u.started_at]  # type: ignore[operator]
    last_bulk = max(j.finished_at for i, j in jobs.items() if i != urgent)  # type: ignore[type-var]
    return {
        "queued_bulk": len(bulk) - len(running),
        "urgent_wait_seconds": round((u.started_at - came).total_seconds(), 2),
        "running_jobs_remaining_seconds": [round(r, 2) for r in remaining],
        "queued_bulk_started_before_urgent": len(before),
        "fifo_wait_would_be_seconds": round((last_bulk - came).total_seconds(), 2),  # type: ignore[operator]
    }


def recovery(root: Path, broker: str, clips: dict[str, list[Path]], lease: int, sweep: int) -> dict[str, Any]:
    settings = {"MAM_JOB_LEASE_SECONDS": str(lease), "MAM_JOB_SWEEP_SECONDS": str(sweep)}
    with phase(root, broker, **settings) as bench:
        bench.start(2)
        job_id = bench.ingest(clips["long"][0], ["proxy"])
        _wait(lambda: (j := bench.jobs([job_id])[job_id]).state == JobState.RUNNING and j.progress > 0.05, 300)
        job = bench.jobs([job_id])[job_id]
        assert job.worker is not None
        victim = bench.workers[int(job.worker.rsplit(":", 1)[1])]
        victim.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        victim.wait()
        _wait(lambda: bench.jobs([job_id])[job_id].attempts == 2, 300)
        again = time.monotonic() - killed
        done = bench.wait_done([job_id])[job_id]
    return {
        "lease_seconds": lease,
        "sweep_seconds": sweep,
        "bound_seconds": lease + sweep,
        "running_again_after_seconds": round(again, 2),
        "attempts": done.attempts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--lease", type=int, default=10)
    parser.add_argument("--sweep", type=int, default=2)
    parser.add_argument(
        "--phases", default="throughput,urgent,recovery", help="which to run; the others keep their last results"
    )
    parser.add_argument(
        "--threads-per-job",
        type=int,
        default=0,
        help="threads of each job's decoder, encoders and filters in the throughput phase (MAM_THREADS_PER_JOB); "
        "0: the phase's share of the machine, cores / workers",
    )
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    saved = RESULTS / "workers.json"
    results: dict[str, Any] = json.loads(saved.read_text()) if saved.exists() else {}
    results.update(date=time.strftime("%Y-%m-%d"), broker=args.broker.split(":")[0], cpus=os.cpu_count())
    results.setdefault("load_average", {})
    RESULTS.mkdir(exist_ok=True)

    def record(name: str, value: Any, load: float) -> None:
        results[name] = value
        results["load_average"][name] = round(load, 2)  # the machine's, at the phase's start
        saved.write_text(json.dumps(results, indent=2) + "\n")
        print(name, value, flush=True)

    with tempfile.TemporaryDirectory(prefix="mam-bench-workers-") as tmp:
        root = Path(tmp)
        clips = _clips(root)
        if "throughput" in phases:
            load = os.getloadavg()[0]
            one = throughput(root, args.broker, clips, 1, args.threads_per_job)
            two = throughput(root, args.broker, clips, 2, args.threads_per_job)
            record("throughput", [one, two], load)
            results["two_over_one"] = round(two["jobs_per_hour"] / one["jobs_per_hour"], 2)
        if "urgent" in phases:
            load = os.getloadavg()[0]
            record("urgent", urgent_wait(root, args.broker, clips), load)
        if "recovery" in phases:
            load = os.getloadavg()[0]
            record("recovery", recovery(root, args.broker, clips, args.lease, args.sweep), load)
    saved.write_text(json.dumps(results, indent=2) + "\n")
    if {"throughput", "urgent", "recovery"} <= set(results):
        (RESULTS / "workers.md").write_text(_markdown(results))
        print(_markdown(results))


def _markdown(r: dict[str, Any]) -> str:
    one, two = r["throughput"]
    u, k = r["urgent"], r["recovery"]
    load = r["load_average"]
    return "\n".join(
        [
            f"# workers ({r['date']}, {r['broker']}, {r['cpus']} cores; load average at the start of each phase: "
            f"throughput {load.get('throughput')}, urgent {load.get('urgent')}, recovery {load.get('recovery')})",
            "",
            "| workers | threads a job | jobs | seconds | jobs/hour | CPU s a job | cores busy | load start, end |",
            "|---|---|---|---|---|---|---|---|",
            *(
                f"| {t['workers']} | {t.get('threads_per_job', '')} | {t['jobs']} | {t['seconds']} | "
                f"{t['jobs_per_hour']} | {t.get('cpu_seconds_per_job', '')} | {t.get('cores_busy', '')} | "
                f"{t.get('load_average', '')} |"
                for t in (one, two)
            ),
            "",
            f"2 workers / 1: **{r['two_over_one']}** (goal ≥ 1.8)",
            "",
            f"Urgent job behind {u['queued_bulk']} queued bulk jobs (2 workers busy): waited "
            f"**{u['urgent_wait_seconds']} s**; the running jobs had {u['running_jobs_remaining_seconds']} s left; "
            f"queued bulk jobs started before it: {u['queued_bulk_started_before_urgent']}; in FIFO order it would "
            f"have waited {u['fifo_wait_would_be_seconds']} s.",
            "",
            f"SIGKILL → running again on the other worker: **{k['running_again_after_seconds']} s** "
            f"(bound lease + sweep = {k['bound_seconds']} s: lease {k['lease_seconds']} s, "
            f"sweep {k['sweep_seconds']} s).",
            "",
        ]
    )


if __name__ == "__main__":
    main()
