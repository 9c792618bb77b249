"""Keep ``search_entries`` in step with assets, spans and subtitle cues, in the writing transaction.

A SQLAlchemy ``after_flush`` hook re-tokenises each asset, span or cue whose searchable text
changed, and every entry of an asset whose shares changed, so a search sees an asset as soon as the
transaction that wrote it commits (ingest, PATCH, marker and subtitle imports alike). The hook is
installed on the catalog's own session factory when services open (:func:`install_index_hook`,
mam/services.py), never on every SQLAlchemy session of the process.

Entry ids are not a counter: an entry's id is ``(its asset's created_at in ms since 2000) << 21 | n``
(mam/search/ids.py), so the index's own row order is the assets' recency order and a search can
walk the matches newest first and stop once a page is full (mam/search/walk.py). Ids within one
millisecond block are handed out under a per-block lock (the backend's; SQLite has one writer).

Who may find an entry is part of its tokens: every entry carries the tenant token of its asset's
owner and of each tenant the asset is shared with (mam/sharing.py), so a search for one tenant is a
single match expression on either backend, and sharing or revoking re-tokenises that asset only.

The filterable fields of an asset (title, tags, programme, reporter, place) are carried the same way:
every span and subtitle entry holds the asset's field-prefixed tokens (only those: never its plain
words), so ``programme:新闻联播 采茶`` still finds a marker or subtitle line inside a 新闻联播 asset
in one match, and changing one of those fields re-tokenises the asset's spans and cues.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, event, func, insert, inspect, select, update
from sqlalchemy.orm import Session, sessionmaker

from mam.errors import SearchError
from mam.models import Asset, ScreenTextLine, SearchEntry, Share, Span, SubtitleCue
from mam.search.backends import backend_for
from mam.search.counts import forget
from mam.search.ids import BLOCK_BITS, block_of
from mam.search.tokens import Field, document_tokens, speech_token, tenant_token

__all__ = [
    "ENTRY_COLUMNS",
    "asset_tokens",
    "cue_tokens",
    "inherited_tokens",
    "install_index_hook",
    "optimize_index",
    "reindex_all",
    "span_tokens",
]

MAX_TOKENS = 16_000
"""PostgreSQL keeps positions up to 16,383; both backends index the same first tokens."""
_ASSET_FIELDS = (
    "title",
    "description",
    "tags",
    "programme",
    "reporter",
    "place",
    "original_filename",
    "custom",
    "tenant_id",
    "created_at",
    "has_speech",
)


_WATCHED: dict[type, tuple[str, ...]] = {
    Asset: _ASSET_FIELDS,
    Span: ("title", "note", "tags", "start", "end", "kind"),
    SubtitleCue: ("text", "start", "end"),
    ScreenTextLine: ("text", "start", "end"),
}


_Indexed = Asset | Span | SubtitleCue | ScreenTextLine
"""What has search entries: an asset, its spans, subtitle cues and lines of on-screen text (mam/screen_text.py)."""

_FILTERED = ("title", "tags", "programme", "reporter", "place", "tenant_id", "has_speech")
"""Asset columns whose change re-tokenises the asset's spans and cues too."""
ENTRY_COLUMNS = ("status", "media_kind", "shoot_date", "duration", "programme", "tags")
"""Asset columns copied to each of its entries: those a search filters on (migration 0009) and the
facets it counts (0010)."""


def _filter_fields(title: str, tags: list[str], programme: str, reporter: str, place: str, plain: bool) -> list[Field]:
    """The filterable fields (mam/search/query.py FILTER_PREFIXES), with their prefixes and pinyin."""
    return [
        Field(title or "", "t_", pinyin=True, plain=plain),
        *(Field(tag, "tg_", pinyin=True, plain=plain) for tag in tags or []),
        Field(programme or "", "pg_", pinyin=True, plain=plain),
        Field(reporter or "", "rp_", pinyin=True, plain=plain),
        Field(place or "", "pl_", pinyin=True, plain=plain),
    ]


def asset_tokens(asset: Asset) -> list[str]:
    title, *rest = _filter_fields(asset.title, asset.tags, asset.programme, asset.reporter, asset.place, True)
    fields = [
        title,
        Field(asset.description or ""),
        *rest,
        Field(asset.original_filename or ""),
        *(Field(str(v)) for v in (asset.custom or {}).values() if isinstance(v, str)),
    ]
    return [*_heard(asset.has_speech), *document_tokens(fields)][:MAX_TOKENS]


def _heard(has_speech: bool | None) -> list[str]:
    """``speech:yes`` / ``speech:no`` (the analysis heard speech, or listened and heard none)."""
    return [] if has_speech is None else [speech_token(has_speech)]


def inherited_tokens(
    title: str, tags: list[str], programme: str, reporter: str, place: str, has_speech: bool | None = None
) -> list[str]:
    """The asset's field-prefixed tokens that each of its spans and cues carries (no plain words)."""
    return [*_heard(has_speech), *document_tokens(_filter_fields(title, tags, programme, reporter, place, False))]


def span_tokens(span: Span) -> list[str]:
    fields = [
        Field(span.title or "", "t_", pinyin=True),
        Field(span.note or ""),
        *(Field(tag, pinyin=True) for tag in span.tags or []),
    ]
    return document_tokens(fields)[:MAX_TOKENS]


def cue_tokens(cue: SubtitleCue | ScreenTextLine) -> list[str]:
    return document_tokens([Field(cue.text or "")])[:MAX_TOKENS]


def _row(session: Session, obj: _Indexed, owner: _Owner, viewers: list[str]) -> dict[str, Any]:
    """The entry of ``obj``, owned by ``owner`` and found by it and every tenant in ``viewers``."""
    tenant_id = owner.tenant_id
    if isinstance(obj, Asset):
        kind, asset_id, start, end, tokens = "asset", obj.id, None, None, asset_tokens(obj)
        for viewer in viewers:
            tokens += [tenant_token(viewer), tenant_token(viewer, assets_only=True)]
    else:
        if isinstance(obj, Span):
            kind, asset_id, start, end, tokens = obj.kind, obj.asset_id, obj.start, obj.end, span_tokens(obj)
        else:
            kind = "subtitle" if isinstance(obj, SubtitleCue) else "screen_text"
            asset_id, start, end, tokens = obj.asset_id, obj.start, obj.end, cue_tokens(obj)
        tokens += owner.inherited()
        tokens += [tenant_token(viewer) for viewer in viewers]
    return dict(
        tenant_id=tenant_id,
        asset_id=asset_id,
        kind=kind,
        ref_id=obj.id,
        start=start,
        end=end,
        tokens=backend_for(session.get_bind().dialect.name).serialise(tokens),
        **owner.columns,
    )


def _changed(obj: Any, names: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _write(session: Session, objects: list[_Indexed], removed: list[str]) -> None:
    ids = [o.id for o in objects] + removed
    if not ids:
        return
    forget()
    connection = session.connection()
    for i in range(0, len(ids), 500):
        connection.execute(delete(SearchEntry).where(SearchEntry.ref_id.in_(ids[i : i + 500])))
    if not objects:
        return
    owners = _owners_of(session, objects)
    shares = _shares_of(session, list(owners))
    rows = []
    for obj in objects:
        asset_id = obj.id if isinstance(obj, Asset) else obj.asset_id
        owner = owners[asset_id]
        viewers = [owner.tenant_id, *shares.get(asset_id, [])]
        rows.append((block_of(owner.created_at), _row(session, obj, owner, viewers)))
    next_id = _next_ids(session, {block for block, _ in rows})
    for block, row in rows:
        row["id"] = next_id[block]
        next_id[block] += 1
        if next_id[block] > (block + 1) << BLOCK_BITS:
            raise SearchError(f"more than {1 << BLOCK_BITS} search entries created in one millisecond")
    connection.execute(insert(SearchEntry), [row for _, row in rows])


def _next_ids(session: Session, blocks: set[int]) -> dict[int, int]:
    """The first free id of each block (locked until commit on PostgreSQL)."""
    connection = session.connection()
    backend = backend_for(connection.dialect.name)
    out: dict[int, int] = {}
    for block in sorted(blocks):
        backend.lock_block(connection, block)
        low, high = block << BLOCK_BITS, (block + 1) << BLOCK_BITS
        top = connection.execute(
            select(func.max(SearchEntry.id)).where(SearchEntry.id >= low, SearchEntry.id < high)
        ).scalar()
        out[block] = low if top is None else int(top) + 1
    return out


class _Owner:
    """What an entry needs of its asset: tenant, creation time, the columns copied to every entry of
    the asset (ENTRY_COLUMNS) and (for spans and cues) its fields."""

    def __init__(
        self, tenant_id: str, created_at: datetime | None, columns: tuple[Any, ...], fields: tuple[Any, ...]
    ) -> None:
        self.tenant_id, self.created_at, self._fields = tenant_id, created_at, fields
        self.columns = dict(zip(ENTRY_COLUMNS, columns, strict=True))
        self._inherited: list[str] | None = None

    def inherited(self) -> list[str]:
        if self._inherited is None:
            self._inherited = inherited_tokens(*self._fields)
        return list(self._inherited)


_OWNER_COLUMNS = (Asset.title, Asset.tags, Asset.programme, Asset.reporter, Asset.place, Asset.has_speech)
_COPIED = len(ENTRY_COLUMNS)


def _owners_of(session: Session, objects: list[_Indexed]) -> dict[str, _Owner]:
    """asset id -> its owner and fields, for the assets of ``objects``."""
    known = {
        o.id: _Owner(
            o.tenant_id,
            o.created_at,
            tuple(getattr(o, c) for c in ENTRY_COLUMNS),
            tuple(getattr(o, c.key) for c in _OWNER_COLUMNS),
        )
        for o in objects
        if isinstance(o, Asset)
    }
    missing = sorted({o.asset_id for o in objects if not isinstance(o, Asset)} - set(known))
    copied = [getattr(Asset, c) for c in ENTRY_COLUMNS]
    for i in range(0, len(missing), 500):
        rows = session.connection().execute(
            select(Asset.id, Asset.tenant_id, Asset.created_at, *copied, *_OWNER_COLUMNS).where(
                Asset.id.in_(missing[i : i + 500])
            )
        )
        known.update(
            {row[0]: _Owner(row[1], row[2], tuple(row[3 : 3 + _COPIED]), tuple(row[3 + _COPIED :])) for row in rows}
        )
    return known


def _copy_columns(session: Session, assets: list[Asset]) -> None:
    """Copy the changed ENTRY_COLUMNS of ``assets`` to every entry of theirs."""
    for asset in assets:
        values = {c: getattr(asset, c) for c in ENTRY_COLUMNS}
        session.connection().execute(update(SearchEntry).where(SearchEntry.asset_id == asset.id).values(**values))


def _shares_of(session: Session, asset_ids: list[str]) -> dict[str, list[str]]:
    """asset id -> the tenants it is shared with (as flushed so far in this transaction)."""
    out: dict[str, list[str]] = {}
    for i in range(0, len(asset_ids), 500):
        rows = session.connection().execute(
            select(Share.asset_id, Share.tenant_id)
            .where(Share.asset_id.in_(asset_ids[i : i + 500]))
            .order_by(Share.asset_id, Share.tenant_id)
        )
        for asset_id, tenant_id in rows:
            out.setdefault(asset_id, []).append(tenant_id)
    return out


def _after_flush(session: Session, _context: Any) -> None:
    changed: list[_Indexed] = []
    removed: list[str] = []
    rewrite: set[str] = set()
    for obj in session.new:
        if isinstance(obj, Asset | Span | SubtitleCue | ScreenTextLine):
            changed.append(obj)
        elif isinstance(obj, Share):
            rewrite.add(obj.asset_id)
    copied: list[Asset] = []
    for obj in session.dirty:
        watched = _WATCHED.get(type(obj))
        if watched and _changed(obj, watched):
            changed.append(obj)
            if isinstance(obj, Asset) and _changed(obj, _FILTERED):
                rewrite.add(obj.id)  # its spans and cues carry these fields
        if isinstance(obj, Asset) and _changed(obj, ENTRY_COLUMNS):
            copied.append(obj)
    for obj in session.deleted:
        if isinstance(obj, Span | SubtitleCue | ScreenTextLine):
            removed.append(obj.id)
        elif isinstance(obj, Share):
            rewrite.add(obj.asset_id)
    _write(session, changed, removed)
    if rewrite:
        _rewrite_assets(session, sorted(rewrite), skip={o.id for o in changed} | set(removed))
    _copy_columns(session, [a for a in copied if a.id not in rewrite])  # rewritten entries have them


def _rewrite_assets(session: Session, asset_ids: list[str], skip: set[str]) -> None:
    """Re-tokenise every entry of ``asset_ids`` (who may see them, or the fields their spans and cues
    inherit, changed) but those in ``skip``."""
    for asset_id in asset_ids:
        asset = session.get(Asset, asset_id)
        if asset is None:
            continue
        spans = list(session.scalars(select(Span).where(Span.asset_id == asset_id)))
        cues = list(session.scalars(select(SubtitleCue).where(SubtitleCue.asset_id == asset_id)))
        lines = list(session.scalars(select(ScreenTextLine).where(ScreenTextLine.asset_id == asset_id)))
        everything: list[_Indexed] = [asset, *spans, *cues, *lines]
        _write(session, [o for o in everything if o.id not in skip], [])


_HOOKED: weakref.WeakSet[sessionmaker[Session]] = weakref.WeakSet()
"""The session factories the hook is installed on. (Not ``event.contains``: SQLAlchemy keys its
registry by ``id()``, so a new factory at a collected one's address reads as hooked already.)"""


def install_index_hook(sessions: sessionmaker[Session]) -> None:
    """Keep the search index in step with every flush of the sessions ``sessions`` makes (once)."""
    if sessions not in _HOOKED:
        event.listen(sessions, "after_flush", _after_flush)
        _HOOKED.add(sessions)


def reindex_all(session: Session, tenant_id: str | None = None) -> int:
    """Rebuild every entry (of one tenant); returns how many documents were indexed."""
    assets = select(Asset) if tenant_id is None else select(Asset).where(Asset.tenant_id == tenant_id)
    count = 0
    for asset in session.scalars(assets):
        spans = list(session.scalars(select(Span).where(Span.asset_id == asset.id)))
        cues = list(session.scalars(select(SubtitleCue).where(SubtitleCue.asset_id == asset.id)))
        lines = list(session.scalars(select(ScreenTextLine).where(ScreenTextLine.asset_id == asset.id)))
        session.connection().execute(delete(SearchEntry).where(SearchEntry.asset_id == asset.id))
        objects: list[_Indexed] = [asset, *spans, *cues, *lines]
        _write(session, objects, [])
        count += len(objects)
    session.commit()
    optimize_index(session)
    return count


def optimize_index(session: Session) -> str:
    """Compact the index after a bulk import; returns what was done (the backend's own way:
    mam/search/sqlite_backend.py, postgres_backend.py)."""
    return backend_for(session.get_bind().dialect.name).optimize(session)
