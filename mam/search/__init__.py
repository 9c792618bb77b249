"""Chinese newsroom search over the catalog, identical on SQLite FTS5 and PostgreSQL.

Text is normalised (width, script, case; mam/search/normalize.py), cut into CJK bigrams, words and
pinyin (mam/search/tokens.py), stored in ``search_entries`` by a flush hook on the catalog's sessions
(mam/search/index.py, installed by mam/services.py), and queried with the same tokeniser
(mam/search/query.py, engine.py).

A search (engine.py) makes a plan of its match expressions (plan.py), then finds its page by walking
the index newest first (walk.py) or in a column's order (columns.py), and its total and facets from
a sample of the newest matches (sample.py). What differs between SQLite FTS5 and PostgreSQL is each
backend's class (backend.py; sqlite_backend.py, postgres_backend.py); PostgreSQL's choices between
reading entries in order and its GIN indexes follow a cost model (cost.py) and the recent-entries
indexes (recent.py).
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
