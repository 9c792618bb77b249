"""Ingest one file: checksum, probe, de-duplicate within the tenant, store the original, register.

The requested profiles are checked first (names before the file is read, whether they apply once it
is probed); the asset and its render job are written in one transaction after the original is
completely stored; the job id is then handed to the broker. A file that is not media, or asked for
a profile that is unknown or cannot be made from it, is refused with an :class:`IngestError` and
leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mam.audit import Actor, AuditAction
from mam.catalog import find_asset_by_checksum
from mam.errors import BusyError, IngestError, JobRequestError
from mam.hashing import checksum_file
from mam.jobs import ProfileChoice, create_asset_with_job, queue_renditions, resolve_profiles
from mam.jobs.lanes import parse_lane
from mam.layout import content_type as content_type_of
from mam.layout import original_key
from mam.limits import descriptive_problems
from mam.metadata.fields import apply_descriptive
from mam.models import Asset, Job, new_id
from mam.services import Services
from transcode.errors import (
    ForbiddenInputError,
    MediaCrashError,
    MediaLimitError,
    MediaTimeoutError,
    UnreadableMediaError,
)

__all__ = ["IngestResult", "ingest_file"]


@dataclass(frozen=True)
class IngestResult:
    asset: Asset
    job: Job | None
    duplicate: bool
    skipped_profiles: tuple[str, ...] = ()
    """Default (or watch folder) profiles that do not apply to this kind of media (e.g. web_720p for a WAV)."""
    queued_profiles: tuple[str, ...] = ()
    """The profiles ``job`` makes: for a duplicate, the requested ones the tenant's asset lacked."""


_MEDIA_CODES: tuple[tuple[type[Exception], str], ...] = (
    (ForbiddenInputError, "media-format-refused"),
    (MediaLimitError, "media-too-demanding"),
    (MediaCrashError, "media-crashed"),
    (UnreadableMediaError, "media-unreadable"),
)


def _media_code(exc: Exception) -> str:
    """The refusal code of a way the probe turns a file down (mam.errors.CODES)."""
    return next((code for kind, code in _MEDIA_CODES if isinstance(exc, kind)), "media-unreadable")


def _unlabelled(message: str, path: Path) -> str:
    """``message`` without the leading ``<path's name>: `` that media errors start with (the path may be a
    scratch file named otherwise), so that the file is named once, by the name the user knows."""
    prefix = f"{path.name}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def ingest_file(
    services: Services,
    path: Path,
    *,
    tenant_id: str | None = None,
    title: str | None = None,
    description: str = "",
    tags: Sequence[str] = (),
    profiles: Sequence[str] | None = None,
    filename: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    where_applicable: bool = False,
    actor: Actor | None = None,
    lane: str | None = None,
) -> IngestResult:
    """Register ``path`` as an asset of ``tenant_id`` and queue its renditions.

    ``profiles``: what to render (``None``: MAM_DEFAULT_PROFILES, made where they apply). An unknown
    name is refused before the file is read, one this media cannot feed once it is probed, both
    before anything is stored (:class:`IngestError`), unless ``where_applicable`` (a watch folder's
    list: such profiles are skipped). Content the tenant holds already is not stored again: the
    requested profiles its asset lacks are queued on it (``duplicate`` is then true).
    ``metadata``: descriptive fields (core and ``custom``, mam/metadata) set on the new asset.
    ``actor``: who uploaded it, recorded in the audit trail with the asset (or with the duplicate's request).
    ``lane``: urgent, normal (default) or bulk, the lane of the job (:mod:`mam.jobs.lanes`).
    """
    tenant = tenant_id or services.settings.default_tenant
    filename = filename or path.name
    problems = descriptive_problems(title=title, description=description, tags=tags)  # mam.limits
    if problems:
        raise IngestError(f"{filename[:100]}: " + "; ".join(problems))
    choice = _checked(lambda: resolve_profiles(services, profiles, where_applicable=where_applicable), filename)
    try:
        lane = parse_lane(lane).value
    except JobRequestError as exc:
        raise IngestError(f"{filename[:100]}: {exc}", code=exc.code, params=exc.params) from exc
    if not path.is_file():
        raise IngestError(
            f"{filename[:100]}: there is no file to ingest (it was moved or removed)",
            code="file-missing",
            params={"filename": filename[:100]},
        )
    try:
        info = services.prober.probe(path)
    except MediaTimeoutError as exc:  # overload, not bad media: the same file may probe at once when it is quiet
        raise BusyError(
            f"the server is too busy to look at {filename} now; try again in a minute",
            code="probe-busy",
            params={"filename": filename[:100]},
        ) from exc
    except (UnreadableMediaError, ForbiddenInputError, MediaCrashError, MediaLimitError) as exc:
        raise IngestError(
            f"{filename}: {_unlabelled(str(exc), path)}", code=_media_code(exc), params={"filename": filename[:100]}
        ) from exc
    choice = _checked(lambda: choice.for_source(info), filename)
    sums = checksum_file(path)
    with services.session() as session:
        existing = find_asset_by_checksum(session, tenant, sums.sha256)
        if existing is not None:
            return _duplicate(services, session, existing, choice, actor, lane)
    asset_id = new_id()
    key = original_key(tenant, asset_id, filename)
    content_type = content_type_of(filename)
    services.storage.put_file(key, path, content_type)
    asset = Asset(
        id=asset_id,
        tenant_id=tenant,
        title=(title or Path(filename).stem).strip(),
        description=description,
        tags=list(dict.fromkeys(t.strip() for t in tags if t.strip())),
        media_kind=info.kind,
        original_filename=filename,
        original_key=key,
        content_type=content_type,
        size=sums.size,
        sha256=sums.sha256,
        xxh3=sums.xxh3,
        duration=info.duration,
        mediainfo=info.model_dump(mode="json"),
    )
    with services.session() as session:
        try:
            if metadata:
                apply_descriptive(session, asset, metadata)
            job = create_asset_with_job(session, asset, choice.names, actor=actor, lane=lane)
        except IntegrityError:
            session.rollback()
            services.storage.delete(key)
            existing = find_asset_by_checksum(session, tenant, sums.sha256)
            if existing is None:
                raise
            return _duplicate(services, session, existing, choice, actor, lane)
        except BaseException:
            services.storage.delete(key)
            raise
    if job is not None:
        services.enqueue(job.id)
    return IngestResult(
        asset, job, duplicate=False, skipped_profiles=choice.skipped, queued_profiles=tuple(choice.names)
    )


def _checked(resolve: Callable[[], ProfileChoice], filename: str) -> ProfileChoice:
    try:
        return resolve()
    except JobRequestError as exc:
        raise IngestError(f"{filename[:100]}: {exc}", code=exc.code, params=exc.params) from exc


def _duplicate(
    services: Services, session: Session, asset: Asset, choice: ProfileChoice, actor: Actor | None, lane: str | None
) -> IngestResult:
    """The tenant holds this content already: queue the requested profiles its asset lacks."""
    upload = {"filename": asset.original_filename, "size": asset.size, "sha256": asset.sha256, "duplicate": True}
    audit = (actor, AuditAction.ASSET_UPLOAD, {**upload, "profiles": list(choice.names)}) if actor else None
    asked = queue_renditions(services, session, asset, choice.names, choice.skipped, audit=audit, lane=lane)
    return IngestResult(asset, asked.job, duplicate=True, skipped_profiles=choice.skipped, queued_profiles=asked.queued)
