"""Match expressions over tokens, and their two renderings: SQLite FTS5 and PostgreSQL tsquery.

Both backends evaluate the same tree on the same token streams, so they match the same documents.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "All",
    "Any_",
    "Expr",
    "Phrase",
    "Tok",
    "all_of",
    "has_phrase",
    "holds",
    "to_fts5",
    "to_tsquery",
    "without",
]


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


def all_of(*items: Expr | None) -> Expr | None:
    """Every one of ``items`` that is not None: None for none, the item itself for one."""
    kept = [i for i in items if i is not None]
    return None if not kept else kept[0] if len(kept) == 1 else All(tuple(kept))


def holds(expr: Expr, tok: Tok) -> bool:
    """Whether ``tok`` is one of the terms ``expr`` requires (at the top or in nested All)."""
    return expr == tok or (isinstance(expr, All) and any(holds(i, tok) for i in expr.items))


def without(expr: Expr, toks: set[Tok]) -> Expr | None:
    """``expr`` without the required terms ``toks``."""
    if isinstance(expr, Tok) and expr in toks:
        return None
    if isinstance(expr, All):
        return all_of(*(without(i, toks) for i in expr.items))
    return expr


def has_phrase(expr: Expr) -> bool:
    """Whether ``expr`` holds a phrase anywhere."""
    if isinstance(expr, Phrase):
        return True
    return isinstance(expr, All | Any_) and any(has_phrase(i) for i in expr.items)
