"""The deployment recipe in deploy/, tested: the compose file's mam services and the systemd units
run the same commands with the same settings, and those commands, run here as separate processes
(`mam serve`, a worker of every lane, an urgent-only worker, `mam watch`) with the recipe's
environment pointed at real PostgreSQL, Redis and S3 (moto) servers, take 20 files dropped in the
watch folders, one of them breaking news, and make what they should in the order they should.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3
import httpx
import pytest
import yaml  # type: ignore[import-untyped]
from cluster_support import wait_for as wait_until
from conftest import auth_headers
from live_server import free_port
from sqlalchemy import select

from mam.models import Job, JobState
from mam.services import Services, open_services
from mam.settings import SETTINGS_HELP, Settings
from mam.watch.config import WatchConfig
from transcode import generate

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
MAM = Path(sys.executable).parent / "mam"
T = TypeVar("T")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def compose_commands() -> dict[str, list[str]]:
    """The compose file's mam services and their commands."""
    services = compose()["services"]
    return {name: s["command"] for name, s in services.items() if s.get("command", [""])[0] == "mam"}


def compose_environment() -> dict[str, str]:
    return {k: str(v) for k, v in compose()["x-mam"]["environment"].items()}


def unit_commands() -> dict[str, list[str]]:
    """Each systemd unit's ExecStart, the program named ``mam``."""
    commands = {}
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        for line in unit.read_text(encoding="utf-8").splitlines():
            if line.startswith("ExecStart="):
                argv = shlex.split(line.removeprefix("ExecStart="))
                commands[unit.stem] = ["mam", *argv[1:]] if Path(argv[0]).name == "mam" else argv
    return commands


def env_file_names(path: Path) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.split("=", 1)[0] for line in lines if line.strip() and not line.lstrip().startswith("#")}


def test_the_compose_file_and_the_systemd_units_run_the_same_commands_with_the_same_known_settings() -> None:
    commands = compose_commands()
    assert sorted(map(tuple, commands.values())) == sorted(map(tuple, unit_commands().values()))
    assert sorted(c[1] for c in commands.values()) == ["serve", "watch", "worker", "worker"]
    lanes = sorted(c[c.index("--lanes") + 1] for c in commands.values() if "--lanes" in c)
    assert lanes == ["urgent", "urgent,normal,bulk"]  # one worker kept for breaking news
    environment = compose_environment()
    assert set(environment) == env_file_names(DEPLOY / "systemd" / "mam.env")
    assert set(environment) <= set(SETTINGS_HELP), set(environment) - set(SETTINGS_HELP)
    secrets = env_file_names(DEPLOY / "mam.env.example")
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "MAM_URL_SECRET"} <= secrets
    assert not secrets & set(environment)  # secrets stay out of the compose file
    watch = WatchConfig.model_validate(tomllib.loads((DEPLOY / "watch.toml").read_text(encoding="utf-8")))
    assert sorted(f.lane for f in watch.folder) == ["normal", "urgent"]


def wait_for(probe: Callable[[], T], timeout: float, what: str, logs: Callable[[], str] = str) -> T:
    """:func:`cluster_support.wait_for`, with the processes' logs when it gives up."""
    try:
        return wait_until(probe, timeout, what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{logs()}") from None


@dataclass
class Layout:
    """The recipe's processes, started here; ``env`` is the recipe's environment pointed at this
    machine's servers."""

    env: dict[str, str]
    root: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    api: str = ""

    def start(self, name: str, command: list[str]) -> None:
        argv = [str(MAM), *command[1:]]
        if "--port" in argv:  # the API on a free port of this machine
            self.api = f"http://127.0.0.1:{free_port()}"
            argv[argv.index("--port") + 1] = self.api.rsplit(":", 1)[1]
            argv[argv.index("--host") + 1] = "127.0.0.1"
        home = self.root / name  # each process its own MAM_HOME (its own machine)
        env = {**os.environ, **self.env, "MAM_HOME": str(home)}
        with (self.root / f"{name}.log").open("wb") as sink:
            self.procs[name] = subprocess.Popen(argv, env=env, stdout=sink, stderr=sink, cwd=self.root)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}" for p in sorted(self.root.glob("*.log"))
        )

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def layout(tmp_path: Path, postgres_url: str, redis_url: str, s3_endpoint: str) -> Iterator[Layout]:
    drop = tmp_path / "drop"
    watch = tomllib.loads((DEPLOY / "watch.toml").read_text(encoding="utf-8"))
    lines = [f"poll_seconds = {0.2}"]
    for folder in watch["folder"]:
        path = drop / Path(folder["path"]).name
        path.mkdir(parents=True)
        lines += [
            "[[folder]]",
            f'path = "{path}"',
            f'lane = "{folder["lane"]}"',
            'profiles = ["proxy"]',  # the smallest useful output, for time's sake
            "quiet_seconds = 0.5",
            f'after = "{folder["after"]}"',
        ]
    (tmp_path / "watch.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    here = {
        "MAM_DATABASE_URL": postgres_url,
        "MAM_BROKER_URL": redis_url,
        "MAM_BROKER_NAMESPACE": f"mam-deploy-{uuid.uuid4().hex[:10]}",
        "MAM_STORAGE_URL": f"s3://mam-{uuid.uuid4().hex[:12]}/county-a",
        "MAM_S3_ENDPOINT_URL": s3_endpoint,
        "MAM_WATCH_CONFIG": str(tmp_path / "watch.toml"),
        "MAM_PROBE_TIMEOUT_SECONDS": "120",  # a test machine shared with other work can be slow to probe
    }
    recipe = compose_environment()
    kept = set(recipe) - set(here) - {"MAM_HOME"}
    env = {**{k: recipe[k] for k in kept}, **here}  # the recipe's settings, its servers' addresses ours
    running = Layout(env, tmp_path)
    try:
        yield running
    finally:
        running.stop()


def _services(layout: Layout) -> Services:
    return open_services(Settings.from_env({**layout.env, "MAM_HOME": str(layout.root / "test")}))


def _jobs(services: Services) -> list[Job]:
    with services.session() as session:
        return list(session.scalars(select(Job).execution_options(populate_existing=True)))


def test_the_recipe_takes_twenty_dropped_files_and_breaking_news_jumps_the_queue(
    layout: Layout, tmp_path: Path
) -> None:
    commands = compose_commands()
    layout.start("api", commands["api"])  # first: it migrates the empty catalog and makes the bucket
    wait_for(lambda: _answers(layout.api), 90, "mam serve to answer", layout.logs)
    for name in ("worker", "worker-urgent", "watch"):
        layout.start(name, commands[name])
    services = _services(layout)
    try:
        clips = tmp_path / "clips"
        clips.mkdir()
        news = [
            generate.silent_clip(clips / f"news-{i:02}.mp4", seconds=1 + i / 20, width=160, height=90)
            for i in range(19)
        ]
        breaking = generate.silent_clip(clips / "breaking.mp4", seconds=2.5, width=160, height=90)
        for clip in news:
            clip.rename(tmp_path / "drop" / "news" / clip.name)
        wait_for(lambda: len(_jobs(services)) >= 19, 300, "the 19 news files to be queued", layout.logs)
        breaking.rename(tmp_path / "drop" / "breaking" / breaking.name)  # behind a backlog of normal work
        wait_for(lambda: len(_jobs(services)) == 20, 120, "the breaking news file to be queued", layout.logs)

        def all_ended() -> bool:
            return all(j.state in (JobState.DONE, JobState.FAILED) for j in _jobs(services))

        wait_for(all_ended, 900, "every job to end", layout.logs)
        jobs = _jobs(services)
        assert [j.error for j in jobs if j.state != JobState.DONE] == []
        urgent = [j for j in jobs if j.lane == "urgent"]
        normal = [j for j in jobs if j.lane == "normal"]
        assert len(urgent) == 1 and len(normal) == 19
        worker_pid = {name: proc.pid for name, proc in layout.procs.items()}
        assert {int((j.worker or ":0").rsplit(":", 1)[1]) for j in normal} == {worker_pid["worker"]}  # urgent-only
        assert urgent[0].started_at is not None and all(j.started_at is not None for j in normal)
        later = [j for j in normal if j.started_at > urgent[0].started_at]  # type: ignore[operator]
        assert later, "the breaking news waited behind the whole backlog"
        taken_by = int((urgent[0].worker or ":0").rsplit(":", 1)[1])
        print(
            f"\nbreaking news started before {len(later)} of the 19 normal jobs, "
            f"on {'the urgent-only worker' if taken_by == worker_pid['worker-urgent'] else 'the worker of every lane'}"
        )
        _check_results(layout, services, jobs)
    finally:
        services.close()


def _answers(api: str) -> bool:
    try:
        return httpx.get(f"{api}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _check_results(layout: Layout, services: Services, jobs: list[Job]) -> None:
    """Through the API, as a client sees them: 20 assets, each with its proxy in the S3 store."""
    headers = auth_headers(services)
    with httpx.Client(base_url=layout.api, headers=headers, timeout=30) as client:
        for job in jobs:
            asset = client.get(f"/api/v1/assets/{job.asset_id}")
            assert asset.status_code == 200, asset.text
            assert asset.json()["status"] == "ready"
            download = client.get(f"/api/v1/assets/{job.asset_id}/renditions/proxy")
            assert download.status_code in (302, 307), download.text
            assert download.headers["location"].startswith(layout.env["MAM_S3_ENDPOINT_URL"])
    bucket = layout.env["MAM_STORAGE_URL"].removeprefix("s3://").split("/", 1)[0]
    s3 = boto3.client("s3", endpoint_url=layout.env["MAM_S3_ENDPOINT_URL"], region_name="us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert sum("/renditions/" in k and k.endswith(".mp4") for k in keys) == 20
    done = sorted((layout.root / "drop").rglob("done/*.mp4"))
    assert len(done) == 20  # after = "move": every file moved out of the way once stored
