"""Ingest a media item with its sidecar: read it, check each field against the tenant, ingest.

A sidecar never stops its media: a refused sidecar (malformed, a DTD or entities, too big) or an
invalid field (a bad date, an unknown custom field) is left out and reported in ``problems``, and
the media is ingested with what remains. Sidecar values win over the defaults given for the ingest
(``title`` and ``description`` of a watch folder or the CLI); tags are merged.

A sidecar that lands after its media became an asset is merged into that asset with
:func:`merge_sidecar`, by the same rules.

A P2 clip's video and audio files are rewrapped into one QuickTime file (the essence copied, not
re-encoded; transcode/rewrap.py) and that file is the asset's original. If the rewrap fails, the video
is ingested alone and ``problems`` says why.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from mam.audit import Actor
from mam.catalog import AssetChanges, get_asset, update_asset
from mam.errors import MetadataError, SidecarError
from mam.ingest import IngestResult, ingest_file
from mam.limits import excerpt
from mam.metadata.fields import apply_descriptive, list_fields
from mam.models import Asset
from mam.services import Services
from mam.sidecar.formats import SidecarMetadata, read_sidecar
from mam.sidecar.pairing import MediaItem
from transcode.errors import TranscodeError
from transcode.rewrap import rewrap_isolated

__all__ = ["SidecarIngest", "checked_fields", "ingest_item", "merge_sidecar"]


@dataclass(frozen=True)
class SidecarIngest:
    result: IngestResult
    sidecar: SidecarMetadata | None
    problems: tuple[str, ...] = ()
    refused: str | None = None
    """Why the sidecar was refused as a whole (the media was still ingested)."""
    rewrapped: bool = False
    """The original is the media rewrapped with its companions (a P2 clip's audio), not the media file."""


def checked_fields(session: Session, tenant_id: str, meta: SidecarMetadata) -> tuple[dict[str, Any], list[str]]:
    """The descriptive fields of ``meta`` the tenant accepts, and a reason for each one left out."""
    probe = Asset(tenant_id=tenant_id, custom={})
    accepted: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in meta.descriptive.items():
        if name == "custom":
            continue
        try:
            apply_descriptive(session, probe, {name: value})
            accepted[name] = value
        except MetadataError as exc:
            problems.append(f"{name} left out: {exc}")
    defined = {d.name for d in list_fields(session, tenant_id)}
    custom = {k: v for k, v in meta.facts.items() if k in defined}
    custom.update(meta.descriptive.get("custom") or {})
    for name, value in custom.items():
        try:
            apply_descriptive(session, probe, {"custom": {name: value}})
            accepted.setdefault("custom", {})[name] = value
        except MetadataError as exc:
            problems.append(f"custom field {excerpt(name)} left out: {exc}")
    return accepted, problems


def ingest_item(
    services: Services,
    item: MediaItem,
    *,
    tenant_id: str,
    title: str | None = None,
    description: str = "",
    tags: Sequence[str] = (),
    profiles: Sequence[str] | None = None,
    where_applicable: bool = False,
    actor: Actor | None = None,
    lane: str | None = None,
) -> SidecarIngest:
    """Ingest ``item.media`` with the metadata of ``item.sidecar`` (if any). Raises IngestError.

    ``profiles``, ``where_applicable`` and ``actor`` (the audit trail's uploader) as for
    :func:`mam.ingest.ingest_file`."""
    meta: SidecarMetadata | None = None
    refused: str | None = None
    fields: dict[str, Any] = {}
    problems: list[str] = []
    if item.sidecar is not None:
        try:
            meta = read_sidecar(item.sidecar)
        except SidecarError as exc:
            refused = str(exc)
    if meta is not None:
        with services.session() as session:
            fields, problems = checked_fields(session, tenant_id, meta)
        problems[:0] = meta.problems
        title = meta.title or title
        description = meta.description if meta.description is not None else description
        tags = [*tags, *meta.tags]
    with ExitStack() as stack:
        source, filename = item.media, None
        if item.companions:
            work = services.settings.work_dir
            work.mkdir(parents=True, exist_ok=True)
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=work, prefix="rewrap-")))
            try:
                source = rewrap_isolated(item.media, item.companions, scratch / f"{item.media.stem}.mov")
                filename = source.name
            except (TranscodeError, OSError) as exc:
                names = ", ".join(c.name for c in item.companions)
                problems.append(f"its audio ({names}) could not be joined to the video, ingested alone: {exc}")
        result = ingest_file(
            services,
            source,
            tenant_id=tenant_id,
            title=title or item.media.stem,
            description=description,
            tags=tags,
            profiles=profiles,
            filename=filename,
            metadata=fields or None,
            where_applicable=where_applicable,
            actor=actor,
            lane=lane,
        )
    return SidecarIngest(result, meta, tuple(problems), refused, rewrapped=source != item.media)


def merge_sidecar(services: Services, sidecar: Path, *, tenant_id: str, asset_id: str) -> tuple[str, ...]:
    """Merge ``sidecar`` into an existing asset of ``tenant_id``: its title and description replace the
    asset's, its tags join the asset's, and the fields the tenant accepts are set. Returns the problems
    (fields left out); raises SidecarError if the sidecar is refused, NotFoundError if the asset is gone."""
    meta = read_sidecar(sidecar)
    with services.session() as session:
        fields, problems = checked_fields(session, tenant_id, meta)
        asset = get_asset(session, tenant_id, asset_id)
        changes = AssetChanges(
            title=meta.title,
            description=meta.description,
            tags=[*asset.tags, *meta.tags] if meta.tags else None,
            descriptive=fields or None,
        )
        update_asset(session, tenant_id, asset_id, changes)
    return (*meta.problems, *problems)
