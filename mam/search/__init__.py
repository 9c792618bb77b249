"""Chinese newsroom search over the catalog, identical on SQLite FTS5 and PostgreSQL.

Text is normalised (width, script, case; mam/search/normalize.py), cut into CJK bigrams, words and
pinyin (mam/search/tokens.py), stored in ``search_entries`` by a flush hook (mam/search/index.py), and
queried with the same tokeniser (mam/search/query.py, engine.py).
"""

from __future__ import annotations

from mam.search.engine import SORTS, InnerHit, SearchHit, SearchRequest, SearchResult, search
from mam.search.facets import Facets, FacetValue
from mam.search.index import optimize_index, reindex_all
from mam.search.normalize import normalise
from mam.search.query import ParsedQuery, parse_query

__all__ = [
    "SORTS",
    "FacetValue",
    "Facets",
    "InnerHit",
    "ParsedQuery",
    "SearchHit",
    "SearchRequest",
    "SearchResult",
    "normalise",
    "optimize_index",
    "parse_query",
    "reindex_all",
    "search",
]
