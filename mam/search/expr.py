"""Match expressions over tokens, and their two renderings: SQLite FTS5 and PostgreSQL tsquery.

Both backends evaluate the same tree on the same token streams, so they match the same documents.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["All", "Any_", "Expr", "Phrase", "Tok", "to_fts5", "to_tsquery"]


@dataclass(frozen=True)
class Tok:
    text: str
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    """Tokens at consecutive positions; only the last may be a prefix."""

    tokens: tuple[Tok, ...]


@dataclass(frozen=True)
class All:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Any_:
    items: tuple[Expr, ...]


Expr = Tok | Phrase | All | Any_


def _fts_quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def to_fts5(expr: Expr) -> str:
    if isinstance(expr, Tok):
        return _fts_quote(expr.text) + (" *" if expr.prefix else "")
    if isinstance(expr, Phrase):
        return " + ".join(to_fts5(t) for t in expr.tokens)
    joiner = " AND " if isinstance(expr, All) else " OR "
    return "(" + joiner.join(to_fts5(i) for i in expr.items) + ")"


def _ts_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def to_tsquery(expr: Expr) -> str:
    if isinstance(expr, Tok):
        return _ts_quote(expr.text) + (":*" if expr.prefix else "")
    if isinstance(expr, Phrase):
        return "(" + " <-> ".join(to_tsquery(t) for t in expr.tokens) + ")"
    joiner = " & " if isinstance(expr, All) else " | "
    return "(" + joiner.join(to_tsquery(i) for i in expr.items) + ")"
