"""A complete upload becomes an asset: verified, then ingested like any other file."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping

from mam.audit import Actor
from mam.errors import IngestError, MamError
from mam.hashing import checksum_file
from mam.ingest import ingest_file
from mam.jobs import resolve_profiles
from mam.jobs.lanes import parse_lane
from mam.services import Services
from mam.tus.errors import ChecksumMismatchError
from mam.tus.headers import split_list
from mam.tus.store import UploadInfo, UploadStore

__all__ = ["COMPLETION_ATTEMPTS", "check_creation", "complete_upload", "split_list"]

COMPLETION_ATTEMPTS = 3
"""Tries (the final PATCH, then each HEAD) to make a complete upload an asset before giving up."""

_log = logging.getLogger(__name__)


def check_creation(services: Services, metadata: Mapping[str, str]) -> None:
    """Refuse at creation, before any byte is sent, what needs no bytes to refuse: an unknown name in
    ``profiles`` (:class:`mam.errors.JobRequestError`). Whether a profile applies to the file needs its
    probe and is decided at completion."""
    names = split_list(metadata.get("profiles"))
    if names:
        resolve_profiles(services, names)
    parse_lane(metadata.get("lane"))  # an unknown lane: 422 now


def complete_upload(
    services: Services, store: UploadStore, info: UploadInfo, *, actor: Actor | None = None
) -> UploadInfo:
    """Ingest a complete upload (once: an upload already ingested is returned as it is).

    The metadata may carry ``title``, ``description``, ``tags``, ``profiles`` (comma-separated),
    ``lane`` (urgent, normal or bulk) and ``sha256``: the whole file's hex digest, checked before
    anything is registered. A file
    that fails verification or is not media is removed with its upload and the error is raised.
    Any other failure (the store or catalog unavailable) is raised and tried again by the next
    ``HEAD``, :data:`COMPLETION_ATTEMPTS` times in all; then the bytes are removed and the upload
    answers 410 with the reason. ``actor``: whose request completes it (recorded as the upload).
    """
    with store.completing(info):
        info = store.get(info.tenant_id, info.id)  # another request may have completed it meanwhile
        return _complete(services, store, info, actor)


def _complete(services: Services, store: UploadStore, info: UploadInfo, actor: Actor | None) -> UploadInfo:
    if info.asset_id is not None or not info.complete:
        return info
    path = store.data_path(info)
    meta = info.metadata
    try:
        expected = meta.get("sha256", "").strip().lower()
        if expected and checksum_file(path).sha256 != expected:
            raise ChecksumMismatchError("the uploaded file's SHA-256 differs from the one announced")
        result = ingest_file(
            services,
            path,
            tenant_id=info.tenant_id,
            title=meta.get("title") or None,
            description=meta.get("description", ""),
            tags=split_list(meta.get("tags")),
            profiles=split_list(meta.get("profiles")) or None,
            filename=info.filename,
            lane=meta.get("lane") or None,
            actor=actor,
        )
    except (IngestError, ChecksumMismatchError):
        shutil.rmtree(path.parent, ignore_errors=True)
        raise
    except Exception as exc:
        _log.exception("upload %s could not be made an asset", info.id)
        reason = str(exc) if isinstance(exc, MamError) else "an unexpected server error"
        store.fail_completion(info, reason, give_up=info.completion_failures + 1 >= COMPLETION_ATTEMPTS)
        raise
    info.asset_id = result.asset.id
    info.duplicate = result.duplicate
    store.save(info)
    store.discard_data(info)
    return info
