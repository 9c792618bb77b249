"""The SQL that differs between SQLite FTS5 and PostgreSQL: matching.

Everything else in a search is the same SQL on both.
"""

from __future__ import annotations

from dataclasses import dataclass

from mam.search.expr import Expr, to_fts5, to_tsquery

__all__ = ["Backend", "backend_for"]


@dataclass(frozen=True)
class Backend:
    name: str

    def render(self, expr: Expr) -> str:
        return to_tsquery(expr) if self.name == "postgresql" else to_fts5(expr)

    def matches(self, alias: str, param: str) -> str:
        """A predicate: the entry ``alias`` matches the expression bound to ``:param``."""
        if self.name == "postgresql":
            return f"{alias}.tokens @@ CAST(:{param} AS tsquery)"
        return f"{alias}.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :{param})"


def backend_for(dialect: str) -> Backend:
    return Backend("postgresql" if dialect == "postgresql" else "sqlite")
