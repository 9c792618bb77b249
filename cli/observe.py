"""What a long-running command does first: its log (``MAM_LOG_FORMAT``, ``MAM_LOG_LEVEL``; secrets
blanked, :mod:`mam.logs`), a first line saying what it runs with (no secret), and for ``mam worker``
its metrics port (``--metrics-port``, ``MAM_METRICS_PORT``; :func:`mam.metrics.serve_metrics`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from mam.logs import configure_logging, fields, settings_summary
from mam.metrics import serve_metrics
from mam.settings import Settings

__all__ = ["start_observing"]


def start_observing(
    process: str, settings: Settings, metrics_port: int | None = None, **facts: Any
) -> Callable[[], None]:
    """Configure the log, log ``mam <process> starting`` with the settings' summary and ``facts``, and
    serve the metrics on ``metrics_port`` (default ``MAM_METRICS_PORT``; 0: none). Returns what stops them."""
    configure_logging(settings.log_format, settings.log_level)
    port = settings.metrics_port if metrics_port is None else metrics_port
    stop = serve_metrics(settings.metrics_host, port) if port else (lambda: None)
    summary = settings_summary(settings) | facts | ({"metrics": f"{settings.metrics_host}:{port}"} if port else {})
    logging.getLogger(f"mam.{process}").info(
        f"mam {process} starting", extra=fields(event=f"{process}.start", **summary)
    )
    return stop
