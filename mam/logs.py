"""Logging of every mam process: one line per record, JSON (``MAM_LOG_FORMAT=json``) or readable
``key=value`` text, and never a secret.

:func:`configure_logging` is called where a process starts (``mam serve``, ``mam worker``, ``mam
watch``). It puts one handler on the root logger; uvicorn's own loggers (its errors and access lines)
are left unconfigured by ``mam serve`` so they come through the same handler.

A record's structured fields travel in ``extra={"fields": {...}}`` (:func:`fields`): the JSON format
writes them as keys of the line, the text format as ``key=value`` after the message.

**Secrets**: whatever a record holds (its message, its fields, an exception's text), the formatter
blanks before writing: API keys (``mam_<prefix>_<secret>``), ``Authorization`` values and bearer
tokens, session cookies, CSRF tokens, passwords, signed links' tokens (``/play/<token>/``), S3
presigned URL signatures and credentials, and passwords in URLs (``postgresql://user:pw@``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from mam.settings import Settings

__all__ = [
    "LOG_FORMATS",
    "JsonFormatter",
    "TextFormatter",
    "configure_logging",
    "fields",
    "redact",
    "safe_url",
    "settings_summary",
]

LOG_FORMATS = ("text", "json")

_HIDDEN = "[redacted]"
_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"mam_[0-9a-f]{8}_[A-Za-z0-9_-]+"), f"mam_{_HIDDEN}"),
    (re.compile(r"(?i)\b(bearer|basic)(\s+|%20|\+)[^\s\"',;&]+"), rf"\1\2{_HIDDEN}"),
    (re.compile(r"(/play/)[^/\s\"'?]+"), rf"\1{_HIDDEN}"),
    (
        re.compile(
            r"(?i)((?:authorization|cookie|set-cookie|x-csrf-token|password|passwd|secret|token|api[_-]?key|"
            r"access[_-]?key|x-amz-signature|x-amz-credential|x-amz-security-token|signature)"
            r"[\"']?\s*[:=]\s*[\"']?)(?!\[redacted\])[^\s\"',;&]+"
        ),
        rf"\1{_HIDDEN}",
    ),
    (re.compile(r"(?i)(mam_session=)[^;\s\"',&]+"), rf"\1{_HIDDEN}"),
    (re.compile(r"(://[^/\s:@]+:)[^@/\s]+@"), rf"\1{_HIDDEN}@"),
)


def redact(text: str) -> str:
    """``text`` with every secret it holds blanked."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def safe_url(url: str | None) -> str | None:
    """A URL fit for a log: without a password (``postgresql://mam:***@db/mam``) or a query."""
    if not url:
        return url
    return _USER_PASSWORD.sub(r"\1:***@", url.split("?", 1)[0])


_USER_PASSWORD = re.compile(r"^([a-z][a-z0-9+.-]*://[^/@:]*):[^@/]*@", re.IGNORECASE)


_SECRET_NAME = re.compile(r"(?i)authorization|cookie|csrf|password|passwd|secret|token|api[_-]?key|signature")


def _redacted(value: Any) -> Any:
    """``value`` (a record's fields) with every secret blanked, and any field named like a secret."""
    if isinstance(value, Mapping):
        return {str(k): _HIDDEN if _SECRET_NAME.search(str(k)) else _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


def fields(**values: Any) -> dict[str, Any]:
    """``extra=`` for a structured record: ``log.info("job done", extra=fields(job=..., asset=...))``."""
    return {"fields": values}


_ACCESS = "uvicorn.access"


def _access_fields(record: logging.LogRecord) -> dict[str, Any]:
    """uvicorn's access line (``client - "METHOD path HTTP/x" status``) as fields."""
    args = record.args
    if record.name != _ACCESS or not isinstance(args, tuple) or len(args) != 5:
        return {}
    client, method, path, version, status = args
    return {"client": client, "method": method, "path": path, "http": version, "status": status}


def _record_fields(record: logging.LogRecord) -> dict[str, Any]:
    found = getattr(record, "fields", None)
    return {**_access_fields(record), **(found if isinstance(found, Mapping) else {})}


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time``, ``level``, ``logger``, ``message``, the record's fields, and
    ``exception`` (its traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _record_fields(record).items():
            line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(_redacted(line), ensure_ascii=False, default=str)


def _text_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    text = "" if value is None else str(value)
    return json.dumps(text, ensure_ascii=False) if not text or re.search(r"[\s\"=]", text) else text


class TextFormatter(logging.Formatter):
    """``2026-12-07T15:04:05.123Z INFO mam.jobs job ended job=… asset=… duration_s=12.3``: readable,
    and still one record a line (a message's line breaks are written ``\\n``; a traceback follows on the
    next lines). Fields without a value are left out."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [_timestamp(record), record.levelname, record.name, record.getMessage().replace("\n", "\\n")]
        found = _redacted(_record_fields(record)) if record.name != _ACCESS else {}
        parts += [f"{k}={_text_value(v)}" for k, v in found.items() if v is not None]
        text = " ".join(parts)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return redact(text)


def configure_logging(log_format: str = "text", level: str = "INFO", stream: TextIO | None = None) -> None:
    """One handler on the root logger, writing ``log_format`` lines to ``stream`` (stderr); the
    handlers of uvicorn's loggers are removed so that their records come through it too."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def settings_summary(settings: Settings) -> dict[str, Any]:
    """What a process starts with, fit for its first log line: where the catalog, store and broker are
    (URLs without passwords), the job policy, the limits; never a secret (only whether one is set)."""
    return {
        "home": str(settings.home),
        "catalog": safe_url(settings.database_url),
        "storage": safe_url(settings.storage_url),
        "s3_endpoint": safe_url(settings.s3_endpoint_url),
        "broker": safe_url(settings.broker_url) or "embedded",
        "worker_threads": settings.worker_threads,
        "default_tenant": settings.default_tenant,
        "default_profiles": list(settings.default_profiles),
        "max_upload_mb": settings.max_upload_bytes // (1024 * 1024),
        "job_max_attempts": settings.job_max_attempts,
        "job_lease_s": settings.job_lease_seconds,
        "job_sweep_s": settings.job_sweep_seconds,
        "cors_origins": list(settings.cors_origins),
        "oidc_issuer": settings.oidc_issuer,
        "link_signing": "MAM_URL_SECRET" if settings.url_secret else "generated in MAM_HOME",
        "rate_per_key": settings.rate_per_key,
        "rate_per_address": settings.rate_per_address,
        "log_format": settings.log_format,
        "log_level": settings.log_level,
    }
