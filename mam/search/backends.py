"""The SQL that differs between SQLite FTS5 and PostgreSQL: matching, dates and JSON arrays.

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

    def month(self, column: str) -> str:
        """The ``YYYY-MM`` text of a date column."""
        if self.name == "postgresql":
            return f"to_char({column}, 'YYYY-MM')"
        return f"substr({column}, 1, 7)"

    def elements(self, column: str, alias: str) -> str:
        """A table function over the strings of the JSON array ``column``, one per row as ``alias.value``."""
        if self.name == "postgresql":
            return f"json_array_elements_text({column}) AS {alias}(value)"
        return f"json_each({column}) AS {alias}"


def backend_for(dialect: str) -> Backend:
    return Backend("postgresql" if dialect == "postgresql" else "sqlite")
