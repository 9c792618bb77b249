"""What every entry point (CLI, API, worker) assembles once from Settings and passes around."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import Event

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mam.catalog import ensure_tenant
from mam.db import make_engine, migrate
from mam.errors import ConfigError
from mam.identity.roles import Role, load_roles
from mam.search.index import install_index_hook
from mam.settings import Settings
from mam.storage import S3Retries, Storage, open_storage
from transcode.analysis.qc import QCProfile, load_qc_profiles
from transcode.profiles import Profile, load_profiles
from transcode.sandbox import Prober

__all__ = ["Enqueue", "Services", "open_services"]

Enqueue = Callable[[str], None]
"""Send a job id to the broker."""


def _no_broker(job_id: str) -> None:
    """Default until a broker is attached: the job stays queued in the catalog and is resent later."""


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    storage: Storage
    profiles: Mapping[str, Profile]
    enqueue: Enqueue = field(default=_no_broker)
    qc_profiles: Mapping[str, QCProfile] = field(default_factory=load_qc_profiles)
    prober: Prober = field(default_factory=Prober)
    """Probes untrusted files in a sandboxed child process (ingest's first look at the bytes)."""
    roles: Mapping[str, Role] = field(default_factory=load_roles)
    """The roles a principal may have (``MAM_ROLES_FILE``, default roles/roles.toml)."""
    handing_back: Event = field(default_factory=Event)
    """Set when this process stops and its grace period ran out: running jobs stop and are given back."""

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    def close(self) -> None:
        self.prober.close()
        self.engine.dispose()


def open_services(settings: Settings, *, run_migrations: bool = True) -> Services:
    """Connect to the catalog (migrating it), the store and the profiles named by ``settings``."""
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    if run_migrations:
        migrate(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    install_index_hook(sessions)  # every write through these sessions keeps the search index in step
    storage = open_storage(
        settings.storage_url,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        create_bucket=settings.s3_create_bucket,
        retries=S3Retries(
            settings.s3_max_attempts, settings.s3_retry_mode, settings.s3_connect_timeout, settings.s3_read_timeout
        ),
    )
    prober = Prober(timeout=settings.probe_timeout, limits=settings.probe_limits)
    services = Services(
        settings,
        engine,
        sessions,
        storage,
        load_profiles(settings.profiles_dir),
        prober=prober,
        roles=load_roles(settings.roles_file),
    )
    if settings.qc_profile not in services.qc_profiles:
        known = ", ".join(sorted(services.qc_profiles))
        raise ConfigError(f"MAM_QC_PROFILE={settings.qc_profile!r} is not a QC profile; choose one of {known}")
    with services.session() as session:
        ensure_tenant(session, settings.default_tenant, "Default media centre")
    return services
