"""Shared fixtures: generated media, and the real servers (PostgreSQL, Redis, moto S3).

A test that needs a server which cannot be reached fails when CI is set and is skipped, saying
why, elsewhere.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from s3server import s3_endpoint  # noqa: F401  (fixture)

from mam.catalog import ensure_tenant
from mam.identity import create_key
from mam.models import Asset
from mam.services import Services, open_services
from mam.settings import Settings
from transcode import generate

PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def need_server(name: str, host: str, port: int) -> None:
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as exc:
        reason = f"{name} is not reachable on {host}:{port} ({exc}); run `make services`"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    need_server("PostgreSQL", PG_HOST, PG_PORT)
    return f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/postgres"


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"mam_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_url() -> str:
    need_server("Redis", REDIS_HOST, REDIS_PORT)
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@dataclass(frozen=True)
class Media:
    broadcast: Path
    phone: Path
    silent: Path
    wav: Path
    garbage: Path
    truncated: Path


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    """Small generated clips shared by the session (never committed binaries)."""
    root = tmp_path_factory.mktemp("media")
    broadcast = generate.broadcast_clip(root / "news_1080i50.mxf", seconds=2.0)
    phone = generate.phone_clip(root / "phone_portrait.mp4", seconds=2.0)
    silent = generate.silent_clip(root / "silent.mp4", seconds=2.0, width=640, height=360)
    wav = generate.audio_clip(root / "radio.wav", seconds=2.0)
    long_clip = generate.silent_clip(root / "long.mp4", seconds=6.0, width=320, height=240)
    garbage = generate.corrupt_file(root / "garbage.mp4", kind="garbage")
    truncated = generate.corrupt_file(root / "truncated.mp4", kind="truncated", source=long_clip)
    return Media(broadcast, phone, silent, wav, garbage, truncated)


def catalog_asset(tenant_id: str, n: int, title: str) -> Asset:
    """A catalogued video asset numbered ``n`` (its file never stored): for search and catalog tests."""
    return Asset(
        tenant_id=tenant_id,
        title=title,
        media_kind="video",
        original_filename=f"{n}.mxf",
        original_key=f"k{n}",
        size=1,
        sha256=f"{n:064d}",
        xxh3="0" * 16,
    )


def make_settings(home: Path, **env: str) -> Settings:
    base = {"MAM_HOME": str(home)}
    base.update(env)
    return Settings.from_env(base)


@pytest.fixture(params=["sqlite", "postgres"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each catalog test runs on the embedded SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def services(tmp_path: Path, catalog_url: str) -> Iterator[Services]:
    svc = open_services(make_settings(tmp_path / "home", MAM_DATABASE_URL=catalog_url))
    try:
        yield svc
    finally:
        svc.close()


@pytest.fixture
def sqlite_services(tmp_path: Path) -> Iterator[Services]:
    """Services on the embedded default only: a SQLite catalog and local storage under ``tmp_path``."""
    svc = open_services(make_settings(tmp_path / "home"))
    try:
        yield svc
    finally:
        svc.close()


def auth_headers(services: Services, tenant: str = "default", role: str = "admin") -> dict[str, str]:
    """``Authorization`` of a new API key of ``tenant`` (made if it does not exist) with ``role``."""
    with services.session() as session:
        ensure_tenant(session, tenant)
        made = create_key(session, services.roles, tenant, role, f"tests ({role})")
    return {"Authorization": f"Bearer {made.key}"}


def client_headers(client: TestClient, tenant: str = "default", role: str = "admin") -> dict[str, str]:
    """:func:`auth_headers` for the services of a started ``client``'s app."""
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return auth_headers(services, tenant, role)


@contextmanager
def signed_in(client: TestClient, tenant: str = "default", role: str = "admin") -> Iterator[TestClient]:
    """Start ``client`` (``with``) and send an API key of ``tenant`` with ``role`` on every request."""
    with client as started:
        started.headers.update(client_headers(started, tenant, role))
        yield started
