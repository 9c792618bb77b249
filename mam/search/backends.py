"""The search backends by dialect name: SQLite FTS5 (the embedded default) and PostgreSQL."""

from __future__ import annotations

from mam.search.backend import Backend
from mam.search.postgres_backend import PostgresBackend
from mam.search.sqlite_backend import SQLiteBackend

__all__ = ["BACKENDS", "Backend", "backend_for"]

BACKENDS: dict[str, type[Backend]] = {"postgresql": PostgresBackend, "sqlite": SQLiteBackend}
"""Backend classes by SQLAlchemy dialect name."""


_INSTANCES: dict[type[Backend], Backend] = {}


def backend_for(dialect: str) -> Backend:
    """The backend of the dialect named ``dialect`` (SQLite's for any other: the embedded default).
    Backends hold no state: one instance of each serves every search and write."""
    kind = BACKENDS.get(dialect, SQLiteBackend)
    backend = _INSTANCES.get(kind)
    if backend is None:
        backend = _INSTANCES[kind] = kind()
    return backend
