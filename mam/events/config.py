"""Settings of the event stream and of webhooks (``MAM_EVENT_*``, ``MAM_WEBHOOK_*``), read at the edges
through :meth:`mam.settings.Settings.from_env`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mam.errors import ConfigError

__all__ = ["EVENT_SETTINGS_HELP", "EventSettings"]

EVENT_SETTINGS_HELP: dict[str, str] = {
    "MAM_EVENT_RETENTION_DAYS": "events are kept this long for resuming streams and redelivering webhooks (default 7)",
    "MAM_EVENT_STREAM_SECONDS": "an event stream (GET /api/v1/events) is closed after this long; clients resume "
    "with Last-Event-ID (default 3600)",
    "MAM_EVENT_HEARTBEAT_SECONDS": "a comment line is sent on an idle event stream this often (default 15)",
    "MAM_WEBHOOK_MAX_ATTEMPTS": "tries of one webhook delivery before it is dead-lettered (default 8)",
    "MAM_WEBHOOK_BACKOFF_SECONDS": "wait after a webhook delivery's first failed try, doubled after each further one, "
    "at most an hour (default 5)",
    "MAM_WEBHOOK_TIMEOUT_SECONDS": "how long a webhook endpoint may take to answer (default 10)",
    "MAM_WEBHOOK_ALLOW_PRIVATE": "1 (default): webhook URLs may name private, loopback and link-local addresses "
    "(county networks are private); 0: only public addresses",
}


def _number(env: Mapping[str, str], name: str, default: float, least: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        return max(least, float(raw))
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a number") from exc


@dataclass(frozen=True)
class EventSettings:
    retention_days: float = 7.0
    stream_seconds: float = 3600.0
    heartbeat_seconds: float = 15.0
    webhook_max_attempts: int = 8
    webhook_backoff_seconds: float = 5.0
    webhook_timeout_seconds: float = 10.0
    webhook_allow_private: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EventSettings:
        private = (env.get("MAM_WEBHOOK_ALLOW_PRIVATE") or "1").strip().lower()
        if private not in ("1", "0", "true", "false", "yes", "no"):
            raise ConfigError(f"MAM_WEBHOOK_ALLOW_PRIVATE={private!r}: use 1 or 0")
        return cls(
            retention_days=_number(env, "MAM_EVENT_RETENTION_DAYS", 7.0, 0.01),
            stream_seconds=_number(env, "MAM_EVENT_STREAM_SECONDS", 3600.0, 0.1),
            heartbeat_seconds=_number(env, "MAM_EVENT_HEARTBEAT_SECONDS", 15.0, 0.1),
            webhook_max_attempts=int(_number(env, "MAM_WEBHOOK_MAX_ATTEMPTS", 8, 1)),
            webhook_backoff_seconds=_number(env, "MAM_WEBHOOK_BACKOFF_SECONDS", 5.0, 0.0),
            webhook_timeout_seconds=_number(env, "MAM_WEBHOOK_TIMEOUT_SECONDS", 10.0, 0.5),
            webhook_allow_private=private in ("1", "true", "yes"),
        )
