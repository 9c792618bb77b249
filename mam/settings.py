"""Settings, read from ``MAM_*`` environment variables at the edges (CLI, app factory, worker).

Nothing in the project reads the environment at import time: call :meth:`Settings.from_env` where
a process starts and pass the result in.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mam.errors import ConfigError
from mam.events.config import EVENT_SETTINGS_HELP, EventSettings
from mam.worker_settings import WORKER_SETTINGS_HELP, threads_per_job_from_env
from transcode.limits import ProbeLimits, RenderCeilings

__all__ = ["MAX_LINK_SECONDS", "MAX_PRESIGN_SECONDS", "SETTINGS_HELP", "Settings"]

DEFAULT_PROFILES = ("proxy", "web_720p", "poster")
WORKER_LANES = ("urgent", "normal", "bulk")

SETTINGS_HELP: dict[str, str] = {
    "MAM_HOME": "where the embedded catalog, storage and scratch files live (default ./mam-data)",
    "MAM_DATABASE_URL": "SQLAlchemy URL of the catalog (default sqlite:///$MAM_HOME/catalog.db; "
    "e.g. postgresql+psycopg://user@host/db)",
    "MAM_STORAGE_URL": "where files are stored: a directory (default $MAM_HOME/storage) or s3://bucket/prefix",
    "MAM_S3_ENDPOINT_URL": "endpoint of an S3-compatible store (MinIO, Ceph, OSS...); unset for AWS",
    "MAM_S3_REGION": "S3 region name (optional)",
    "MAM_S3_CREATE_BUCKET": "1 to create the bucket when it does not exist (default 0)",
    "MAM_S3_MAX_ATTEMPTS": "tries of one S3 request after a 500/503, a timeout..., with backoff (default 5)",
    "MAM_S3_RETRY_MODE": "botocore's retry mode: standard (default) or adaptive (slows down when throttled)",
    "MAM_S3_CONNECT_TIMEOUT_SECONDS": "seconds to connect to the S3 endpoint before the try is retried (default 10)",
    "MAM_S3_READ_TIMEOUT_SECONDS": "seconds the S3 endpoint may stay silent before the try is retried (default 60)",
    "MAM_BROKER_URL": "redis://host:port/db for a Redis broker, or amqp://user:password@host:5672/vhost for "
    "RabbitMQ, shared by `mam worker` processes; unset (or 'embedded') to run jobs in-process",
    "MAM_BROKER_NAMESPACE": "prefix of the broker's queues (<namespace>-urgent, -normal, -bulk, -light) and, on "
    "Redis, of its keys (default mam)",
    **WORKER_SETTINGS_HELP,
    "MAM_LOG_FORMAT": "text (readable key=value lines, the default) or json (one JSON object a line)",
    "MAM_LOG_LEVEL": "least severe log level written: debug, info (default), warning, error",
    "MAM_METRICS_PORT": "`mam worker` serves its job metrics (Prometheus) on this port; 0 or unset: none",
    "MAM_METRICS_HOST": "the address `mam worker` serves its metrics on (default 127.0.0.1; 0.0.0.0: every one)",
    "MAM_METRICS_STORAGE_SECONDS": "GET /metrics sums stored bytes at most this often (default 300; 0: each scrape)",
    "MAM_PROFILES_DIR": "directory of *.toml output profiles (default: the shipped profiles/)",
    "MAM_DEFAULT_PROFILES": "profiles rendered when none are asked for (default proxy,web_720p,poster)",
    "MAM_DEFAULT_TENANT": "tenant of the embedded default (default: default)",
    "MAM_MAX_UPLOAD_MB": "largest accepted upload in MiB (default 20480)",
    "MAM_UPLOAD_EXPIRY_HOURS": "a resumable (tus) upload with no new bytes for this long expires and its "
    "bytes are removed (Upload-Expires; default 24)",
    "MAM_JANITOR_INTERVAL_MINUTES": "how often `mam serve` removes leftovers no live upload or job owns "
    "(stale upload bytes, expired uploads, scratch folders of jobs not running); 0: only at startup (default 60)",
    "MAM_PRESIGN_SECONDS": "lifetime of presigned S3 download URLs, at most 3600 (default 3600; larger values "
    "are cut to 3600)",
    "MAM_CORS_ORIGINS": "comma-separated origins (scheme://host[:port]) whose pages may call the API, play "
    "renditions and HLS, and upload with tus from the browser, credentials included; empty (the default): no "
    "cross-origin access. '*' is refused: list the origins",
    "MAM_URL_SECRET": "the secret signed links are signed with (HMAC-SHA256), at least 32 characters; the same "
    "on every server process behind one address (default: generated once into $MAM_HOME/url-secret)",
    "MAM_LINK_SECONDS": "lifetime of a signed link to a rendition or an HLS folder (POST .../link), at most "
    "86400 (default 3600)",
    "MAM_RATE_PER_KEY": "requests a minute one credential (API key, session, token) may send before 429 with "
    "Retry-After, counted in each server process; 0: no limit (default 1200)",
    "MAM_RATE_PER_ADDRESS": "requests a minute one client address may send before 429 with Retry-After, counted "
    "in each server process; 0: no limit (default 3000)",
    "MAM_JOB_MAX_ATTEMPTS": "attempts before a job is left failed; an attempt whose worker died counts (default 3)",
    "MAM_JOB_BACKOFF_SECONDS": "wait before a job that failed a passing fault is tried again, doubled at each "
    "further attempt, at most 10 min (default 10)",
    "MAM_JOB_LEASE_SECONDS": "a running job's worker renews its lease every third of this; a job whose lease ran "
    "out (worker killed, machine lost) is taken up again by the running workers (default 30)",
    "MAM_JOB_SWEEP_SECONDS": "how often every worker looks in the catalog for jobs to send again: leases run out, "
    "messages the broker lost, backoffs over (default 10)",
    "MAM_RENDER_TIMEOUT_FACTOR": "a render may take this many times the duration its streams show (times the "
    "picture's size in HD pictures), at least 5 min (default 10)",
    "MAM_RENDER_TIMEOUT_MAX_HOURS": "no render may take longer than this, whatever the file declares (default 24)",
    "MAM_MAX_PICTURE_SIDE": "files whose picture is larger than this many pixels on its long side are refused at "
    "ingest (default 8192)",
    "MAM_MAX_DURATION_HOURS": "files declaring, or whose streams show, a longer duration are refused at ingest "
    "(default 24)",
    "MAM_PROBE_TIMEOUT_SECONDS": "how long ingest's probe of one file may take before the server answers "
    "'busy, try again' (default 30)",
    "MAM_QC_PROFILE": "threshold profile QC reports are judged against (default gy_t_282_2014; or ebu_r128)",
    "MAM_OCR_TENANTS": "comma-separated tenants whose render jobs read on-screen text (OCR), whatever their "
    "profiles; * for every tenant (default: none; a profile's [analysis] ocr = true turns it on per job)",
    "MAM_RENDER_MEMORY_MB": "address-space ceiling of a render's child process in MiB; each render gets what its "
    "picture size and outputs need, up to this (default 8192)",
    "MAM_WATCH_CONFIG": "TOML file of watch folders run by `mam watch` and `mam serve` "
    "(default $MAM_HOME/watch.toml; no file, no watching)",
    "MAM_ROLES_FILE": "TOML file of the roles and their permissions (default: the shipped roles/roles.toml)",
    "MAM_WEB_DIST": "the built web workspace that mam serve serves at / (default: web/dist of the source tree)",
    "MAM_SESSION_HOURS": "a signed-in browser's session lasts this long (default 12)",
    "MAM_SIGNIN_MAX_FAILURES": "failed sign-ins of one account within the window before it is refused with 429 "
    "(default 5); an address may fail four times as often",
    "MAM_SIGNIN_WINDOW_MINUTES": "the sliding window failed sign-ins are counted in (default 15)",
    "MAM_OIDC_ISSUER": "single sign-on: the OIDC provider's issuer URL; its /.well-known/openid-configuration "
    "names its keys (jwks_uri). Unset: no single sign-on",
    "MAM_OIDC_AUDIENCE": "single sign-on: the audience (client id) a token must be issued for; required with "
    "MAM_OIDC_ISSUER",
    "MAM_OIDC_JWKS_URL": "single sign-on: the provider's key set (JWKS) URL, for a provider without discovery "
    "(default: the discovery document's jwks_uri)",
    "MAM_OIDC_TENANT_CLAIM": "single sign-on: the claim naming the tenant (default tenant; a dotted path reads a "
    "nested claim)",
    "MAM_OIDC_ROLE_CLAIM": "single sign-on: the claim naming the role, a string or a list (default role; a dotted "
    "path reads a nested claim, e.g. realm_access.roles)",
    "MAM_OIDC_TENANT_MAP": "single sign-on: a JSON object, or the path of a JSON file, from tenant claim values "
    "to tenant ids; when set, only the values it names are accepted (default: the claim is the tenant id)",
    "MAM_OIDC_ROLE_MAP": "single sign-on: a JSON object, or the path of a JSON file, from role claim values to "
    'roles, e.g. \'{"county-editor": "editor"}\'; when set, only the values it names are accepted '
    "(default: the claim is the role)",
    "MAM_OIDC_ALGORITHMS": "single sign-on: the signature algorithms accepted (default RS256,ES256); only "
    "public-key ones (RS*, PS*, ES*, EdDSA): none and HS* are refused",
    "MAM_OIDC_JWKS_CACHE_SECONDS": "single sign-on: the provider's keys are fetched again after this long "
    "(default 600); a token signed by a key not yet known fetches them once at once (at most every 30 s)",
    "MAM_OIDC_TIMEOUT_SECONDS": "single sign-on: how long fetching the provider's discovery document or keys may "
    "take (default 5)",
    **EVENT_SETTINGS_HELP,
}

MAX_PRESIGN_SECONDS = 3600
"""Presigned S3 URLs live at most this long (``MAM_PRESIGN_SECONDS`` is cut to it)."""
MAX_LINK_SECONDS = 86400
"""Signed links live at most this long (``MAM_LINK_SECONDS`` is cut to it)."""


def _origins(env: Mapping[str, str]) -> tuple[str, ...]:
    """``MAM_CORS_ORIGINS``: exact origins (``https://cms.example.cn``), never ``*``."""
    origins = []
    for raw in (env.get("MAM_CORS_ORIGINS") or "").split(","):
        origin = raw.strip().rstrip("/").lower()
        if not origin:
            continue
        scheme, _, rest = origin.partition("://")
        if origin == "*" or scheme not in ("http", "https") or not rest or "/" in rest or "*" in rest:
            raise ConfigError(
                f"MAM_CORS_ORIGINS: {raw.strip()[:80]!r} is not an origin; list them as scheme://host[:port], "
                "e.g. https://cms.example.cn ('*' is refused)"
            )
        origins.append(origin)
    return tuple(dict.fromkeys(origins))


def _url_secret(env: Mapping[str, str]) -> str | None:
    secret = env.get("MAM_URL_SECRET") or None
    if secret is not None and len(secret) < 32:
        raise ConfigError("MAM_URL_SECRET must be at least 32 characters (or unset it: one is generated)")
    return secret


OIDC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})
"""The signature algorithms single sign-on may accept: public-key ones only (never none, never HS*)."""


def _lanes(raw: str, name: str) -> tuple[str, ...]:
    """Lanes named in ``raw`` (comma-separated), most urgent first, each once."""
    names = {n.strip().lower() for n in raw.split(",") if n.strip()}
    unknown = sorted(names - set(WORKER_LANES))
    if unknown or not names:
        raise ConfigError(f"{name}={raw!r}: name lanes among urgent, normal and bulk, comma-separated")
    return tuple(lane for lane in WORKER_LANES if lane in names)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from exc


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` (the first is the default), case aside."""
    value = (env.get(name) or allowed[0]).strip().lower()
    if value not in allowed:
        raise ConfigError(f"{name}={value!r}: use one of {', '.join(allowed)}")
    return value


def _oidc_map(env: Mapping[str, str], name: str) -> tuple[tuple[str, str], ...]:
    """A JSON object of strings to strings, given inline or as the path of a JSON file."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return ()
    text = raw
    if not raw.startswith("{"):
        try:
            text = Path(raw).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{name}: not a JSON object, and no file {raw!r} can be read ({exc.strerror})") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{name}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ConfigError(f'{name}: must be a JSON object of strings to strings, e.g. {{"county-editor": "editor"}}')
    return tuple(sorted(data.items()))


def _oidc_algorithms(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("MAM_OIDC_ALGORITHMS") or "RS256,ES256"
    algorithms = tuple(a.strip() for a in raw.split(",") if a.strip())
    refused = [a for a in algorithms if a not in OIDC_ALGORITHMS]
    if refused or not algorithms:
        raise ConfigError(
            f"MAM_OIDC_ALGORITHMS: {', '.join(refused) or 'empty'} refused; "
            f"choose among {', '.join(sorted(OIDC_ALGORITHMS))} (public-key algorithms only)"
        )
    return algorithms


def _oidc_url(env: Mapping[str, str], name: str) -> str | None:
    url = (env.get(name) or "").strip() or None
    if url is not None and not url.startswith(("https://", "http://")):
        raise ConfigError(f"{name}={url!r}: use an https:// URL")
    return url


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    storage_url: str
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_create_bucket: bool = False
    s3_max_attempts: int = 5
    s3_retry_mode: str = "standard"
    s3_connect_timeout: float = 10.0
    s3_read_timeout: float = 60.0
    broker_url: str | None = None
    broker_namespace: str = "mam"
    worker_threads: int = 1
    worker_lanes: tuple[str, ...] = WORKER_LANES
    worker_light_threads: int = 2
    worker_grace_seconds: float = 60.0
    threads_per_job: int = 0
    """Threads of each decoder, encoder and filter graph of a job (0: the libraries' choice; a worker
    sets its share of the machine, :func:`mam.worker_settings.threads_per_job`)."""
    log_format: str = "text"
    log_level: str = "INFO"
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    metrics_storage_seconds: float = 300.0
    profiles_dir: Path | None = None
    default_profiles: tuple[str, ...] = DEFAULT_PROFILES
    default_tenant: str = "default"
    max_upload_bytes: int = 20 * 1024**3
    upload_expiry_hours: float = 24.0
    janitor_interval_minutes: float = 60.0
    presign_seconds: int = 3600
    job_max_attempts: int = 3
    job_backoff_seconds: float = 10.0
    job_lease_seconds: float = 30.0
    job_sweep_seconds: float = 10.0
    render_timeout_factor: float = 10.0
    render_timeout_max_seconds: float = 24 * 3600.0
    max_picture_side: int = 8192
    max_duration_seconds: float = 24 * 3600.0
    probe_timeout: float = 30.0
    qc_profile: str = "gy_t_282_2014"
    ocr_tenants: frozenset[str] = frozenset()
    """Tenants whose render jobs read on-screen text (``*``: every tenant)."""
    render_memory_bytes: int = 8192 * 1024 * 1024
    watch_config: Path | None = None
    roles_file: Path | None = None
    web_dist: Path | None = None
    """The built web workspace (``MAM_WEB_DIST``); None: ``web/dist`` of the source tree."""
    session_hours: float = 12.0
    signin_max_failures: int = 5
    signin_window_seconds: float = 900.0
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_tenant_claim: str = "tenant"
    oidc_role_claim: str = "role"
    oidc_tenant_map: tuple[tuple[str, str], ...] = ()
    oidc_role_map: tuple[tuple[str, str], ...] = ()
    oidc_algorithms: tuple[str, ...] = ("RS256", "ES256")
    oidc_jwks_cache_seconds: float = 600.0
    oidc_timeout_seconds: float = 5.0
    cors_origins: tuple[str, ...] = ()
    url_secret: str | None = field(default=None, repr=False)
    link_seconds: int = 3600
    rate_per_key: int = 1200
    rate_per_address: int = 3000
    events: EventSettings = field(default_factory=EventSettings)
    """The event stream's and webhooks' settings (``MAM_EVENT_*``, ``MAM_WEBHOOK_*``)."""

    @property
    def probe_limits(self) -> ProbeLimits:
        """The largest picture and the longest duration ingest accepts."""
        return ProbeLimits(max_picture_side=self.max_picture_side, max_duration=self.max_duration_seconds)

    @property
    def render_ceilings(self) -> RenderCeilings:
        """The most time and memory any render may use (each render's own budget is derived from its facts)."""
        return RenderCeilings(self.render_timeout_factor, self.render_timeout_max_seconds, self.render_memory_bytes)

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url is None

    @property
    def work_dir(self) -> Path:
        """Scratch space for renders and uploads in progress."""
        return self.home / "work"

    @property
    def watch_config_file(self) -> Path:
        """The watch folder configuration (``MAM_WATCH_CONFIG``, default ``$MAM_HOME/watch.toml``)."""
        return self.watch_config or self.home / "watch.toml"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("MAM_HOME") or "mam-data").expanduser().resolve()
        broker = env.get("MAM_BROKER_URL") or None
        if broker in ("embedded", "memory"):
            broker = None
        if broker is not None and not broker.startswith(("redis://", "rediss://", "unix://", "amqp://", "amqps://")):
            raise ConfigError(
                f"MAM_BROKER_URL={broker!r}: use redis://host:port/db or amqp://user:password@host:5672/vhost, "
                "or unset it for in-process jobs"
            )
        profiles_dir = env.get("MAM_PROFILES_DIR")
        defaults = tuple(p.strip() for p in (env.get("MAM_DEFAULT_PROFILES") or "").split(",") if p.strip())
        oidc_issuer = _oidc_url(env, "MAM_OIDC_ISSUER")
        oidc_audience = (env.get("MAM_OIDC_AUDIENCE") or "").strip() or None
        if oidc_issuer is not None and oidc_audience is None:
            raise ConfigError("MAM_OIDC_ISSUER is set without MAM_OIDC_AUDIENCE (the client id tokens are issued for)")
        return cls(
            home=home,
            database_url=env.get("MAM_DATABASE_URL") or f"sqlite:///{home / 'catalog.db'}",
            storage_url=env.get("MAM_STORAGE_URL") or str(home / "storage"),
            s3_endpoint_url=env.get("MAM_S3_ENDPOINT_URL") or None,
            s3_region=env.get("MAM_S3_REGION") or None,
            s3_create_bucket=env.get("MAM_S3_CREATE_BUCKET", "0") in ("1", "true", "yes"),
            s3_max_attempts=max(1, _int(env, "MAM_S3_MAX_ATTEMPTS", 5)),
            s3_retry_mode=_choice(env, "MAM_S3_RETRY_MODE", ("standard", "adaptive")),
            s3_connect_timeout=float(max(1, _int(env, "MAM_S3_CONNECT_TIMEOUT_SECONDS", 10))),
            s3_read_timeout=float(max(1, _int(env, "MAM_S3_READ_TIMEOUT_SECONDS", 60))),
            broker_url=broker,
            broker_namespace=env.get("MAM_BROKER_NAMESPACE") or "mam",
            worker_threads=max(1, _int(env, "MAM_WORKER_THREADS", 1)),
            worker_lanes=_lanes(env.get("MAM_WORKER_LANES") or ",".join(WORKER_LANES), "MAM_WORKER_LANES"),
            worker_light_threads=max(1, _int(env, "MAM_WORKER_LIGHT_THREADS", 2)),
            worker_grace_seconds=float(max(0, _int(env, "MAM_WORKER_GRACE_SECONDS", 60))),
            threads_per_job=threads_per_job_from_env(env),
            log_format=_choice(env, "MAM_LOG_FORMAT", ("text", "json")),
            log_level=_choice(env, "MAM_LOG_LEVEL", ("info", "debug", "warning", "error")).upper(),
            metrics_port=max(0, _int(env, "MAM_METRICS_PORT", 0)),
            metrics_host=(env.get("MAM_METRICS_HOST") or "").strip() or "127.0.0.1",
            metrics_storage_seconds=float(max(0, _int(env, "MAM_METRICS_STORAGE_SECONDS", 300))),
            profiles_dir=Path(profiles_dir).expanduser() if profiles_dir else None,
            default_profiles=defaults or DEFAULT_PROFILES,
            default_tenant=env.get("MAM_DEFAULT_TENANT") or "default",
            max_upload_bytes=_int(env, "MAM_MAX_UPLOAD_MB", 20480) * 1024 * 1024,
            upload_expiry_hours=float(max(1, _int(env, "MAM_UPLOAD_EXPIRY_HOURS", 24))),
            janitor_interval_minutes=float(max(0, _int(env, "MAM_JANITOR_INTERVAL_MINUTES", 60))),
            presign_seconds=min(MAX_PRESIGN_SECONDS, max(1, _int(env, "MAM_PRESIGN_SECONDS", 3600))),
            job_max_attempts=max(1, _int(env, "MAM_JOB_MAX_ATTEMPTS", 3)),
            job_backoff_seconds=float(max(0, _int(env, "MAM_JOB_BACKOFF_SECONDS", 10))),
            job_lease_seconds=float(max(3, _int(env, "MAM_JOB_LEASE_SECONDS", 30))),
            job_sweep_seconds=float(max(1, _int(env, "MAM_JOB_SWEEP_SECONDS", 10))),
            qc_profile=env.get("MAM_QC_PROFILE") or "gy_t_282_2014",
            ocr_tenants=frozenset(t.strip() for t in (env.get("MAM_OCR_TENANTS") or "").split(",") if t.strip()),
            render_timeout_factor=float(max(1, _int(env, "MAM_RENDER_TIMEOUT_FACTOR", 10))),
            render_memory_bytes=max(1024, _int(env, "MAM_RENDER_MEMORY_MB", 8192)) * 1024 * 1024,
            render_timeout_max_seconds=max(1, _int(env, "MAM_RENDER_TIMEOUT_MAX_HOURS", 24)) * 3600.0,
            max_picture_side=max(16, _int(env, "MAM_MAX_PICTURE_SIDE", 8192)),
            max_duration_seconds=max(1, _int(env, "MAM_MAX_DURATION_HOURS", 24)) * 3600.0,
            probe_timeout=float(max(1, _int(env, "MAM_PROBE_TIMEOUT_SECONDS", 30))),
            watch_config=Path(watch).expanduser() if (watch := env.get("MAM_WATCH_CONFIG")) else None,
            roles_file=Path(roles).expanduser() if (roles := env.get("MAM_ROLES_FILE")) else None,
            web_dist=Path(dist).expanduser() if (dist := env.get("MAM_WEB_DIST")) else None,
            session_hours=float(max(1, _int(env, "MAM_SESSION_HOURS", 12))),
            signin_max_failures=max(1, _int(env, "MAM_SIGNIN_MAX_FAILURES", 5)),
            signin_window_seconds=max(1, _int(env, "MAM_SIGNIN_WINDOW_MINUTES", 15)) * 60.0,
            oidc_issuer=oidc_issuer,
            oidc_audience=oidc_audience,
            oidc_jwks_url=_oidc_url(env, "MAM_OIDC_JWKS_URL"),
            oidc_tenant_claim=(env.get("MAM_OIDC_TENANT_CLAIM") or "").strip() or "tenant",
            oidc_role_claim=(env.get("MAM_OIDC_ROLE_CLAIM") or "").strip() or "role",
            oidc_tenant_map=_oidc_map(env, "MAM_OIDC_TENANT_MAP"),
            oidc_role_map=_oidc_map(env, "MAM_OIDC_ROLE_MAP"),
            oidc_algorithms=_oidc_algorithms(env),
            oidc_jwks_cache_seconds=float(max(10, _int(env, "MAM_OIDC_JWKS_CACHE_SECONDS", 600))),
            oidc_timeout_seconds=float(max(1, _int(env, "MAM_OIDC_TIMEOUT_SECONDS", 5))),
            cors_origins=_origins(env),
            url_secret=_url_secret(env),
            link_seconds=min(MAX_LINK_SECONDS, max(10, _int(env, "MAM_LINK_SECONDS", 3600))),
            rate_per_key=max(0, _int(env, "MAM_RATE_PER_KEY", 1200)),
            rate_per_address=max(0, _int(env, "MAM_RATE_PER_ADDRESS", 3000)),
            events=EventSettings.from_env(env),
        )
