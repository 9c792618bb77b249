"""Helpers of the fault tests: a Redis server of the test's own (to restart it), the PostgreSQL
connections of one database (to drop them), and `mam worker` clusters on them (tests/cluster_support.py)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from cluster_support import Cluster, cluster_on, stop_clusters, wait_for
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from mam.models import Job, Rendition

__all__ = [
    "RedisServer",
    "cluster_on",
    "drop_connections",
    "poll",
    "refusing_connections",
    "renditions_per_asset",
    "stop_clusters",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """``redis-server`` on a free port, keeping nothing on disk: a restart comes back empty."""

    def __init__(self, log: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        self.binary, self.log, self.port = binary, log, _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as sink:
            self.proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=sink,
                stderr=sink,
            )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        try:
            wait_for(lambda: _pings(client), 20, f"redis-server on port {self.port} to answer")
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # with no save points, nothing is written: it comes back empty
            self.proc.wait(timeout=20)
        self.proc = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def drop_connections(database_url: str) -> int:
    """``pg_terminate_backend`` every other connection to the database ``database_url`` names; how many."""
    name = make_url(database_url).database
    admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            dropped = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            ).scalar_one()
        return int(dropped)
    finally:
        admin.dispose()


@contextmanager
def refusing_connections(database_url: str) -> Iterator[None]:
    """The database takes no connection (``ALLOW_CONNECTIONS false``) and every open one is dropped,
    until the block ends."""
    name = make_url(database_url).database
    admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        drop_connections(database_url)
        yield
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


def renditions_per_asset(cluster: Cluster, job_ids: list[str]) -> list[int]:
    """How many renditions each asset of ``job_ids`` has, sorted."""
    with cluster.services.session() as session:
        counts = session.execute(
            select(Rendition.asset_id, func.count())
            .join(Job, Job.asset_id == Rendition.asset_id)
            .where(Job.id.in_(job_ids))
            .group_by(Rendition.asset_id)
        ).all()
    return sorted(int(n) for _, n in counts)


def poll(probe: Callable[[], bool], timeout: float, what: str, cluster: Cluster) -> float:
    """Wait for ``probe`` like :meth:`Cluster.wait`; the seconds it took."""
    started = time.monotonic()
    cluster.wait(probe, timeout, what)
    return time.monotonic() - started
