"""Where everything is kept: every storage key, the scratch folders, and the media type of each file.

One asset's objects all sit under its prefix, so that deleting an asset is deleting one prefix::

    {tenant}/assets/{asset}/original/{name}                              the file as ingested
    {tenant}/assets/{asset}/renditions/{profile}/{sha16}.{ext}           a one-file rendition
    {tenant}/assets/{asset}/renditions/{profile}/{sha16}/master.m3u8     a folder rendition (HLS) ...
    {tenant}/assets/{asset}/renditions/{profile}/{sha16}/{part}          ... and its playlists and segments
    {tenant}/assets/{asset}/exports/{job}/{profile}.{ext}                a sub-clip export
    {tenant}/assets/{asset}/analysis/{sha16}/shots/{n}.jpg               a keyframe per shot
    {tenant}/assets/{asset}/analysis/{sha16}/poster.jpg                  the analysis poster
    {tenant}/assets/{asset}/analysis/{sha16}/storyboard/{n}.jpg          storyboard sprite sheets
    {tenant}/assets/{asset}/analysis/{sha16}/storyboard.vtt              the WebVTT thumbnails track

``sha16`` is the first 16 hex digits of the original's SHA-256: a new original gets new keys.
Names that come from users (an uploaded file's name, a part asked for in a URL) are checked here.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from pathlib import Path, PurePosixPath

from mam.errors import NotFoundError
from transcode.profiles import CONTENT_TYPES, Profile

__all__ = [
    "analysis_prefix",
    "asset_prefix",
    "content_type",
    "export_key",
    "job_scratch_dir",
    "original_key",
    "poster_key",
    "rendition_key",
    "rendition_part_key",
    "safe_filename",
    "shot_keyframe_key",
    "storyboard_sheet_key",
    "storyboard_vtt_key",
]

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


def safe_filename(filename: str) -> str:
    """A user's file name made safe as the last part of a key (NFC, no separators or control
    characters, not ``.`` or ``..``, at most 200 characters); ``original`` when nothing is left."""
    name = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    name = _UNSAFE.sub("_", name)[:200]
    return "original" if name in ("", ".", "..") else name


def asset_prefix(tenant_id: str, asset_id: str) -> str:
    """The prefix under which every object of the asset is kept (ends with ``/``)."""
    return f"{tenant_id}/assets/{asset_id}/"


def original_key(tenant_id: str, asset_id: str, filename: str) -> str:
    return f"{asset_prefix(tenant_id, asset_id)}original/{safe_filename(filename)}"


def rendition_key(tenant_id: str, asset_id: str, profile: Profile, source_sha256: str) -> str:
    """Key of the rendition (for a folder rendition, its master playlist; its files sit beside it)."""
    base = f"{asset_prefix(tenant_id, asset_id)}renditions/{profile.name}/{source_sha256[:16]}"
    return f"{base}/master.{profile.extension}" if profile.is_directory else f"{base}.{profile.extension}"


def rendition_part_key(master_key: str, part: str) -> str:
    """Key of a file inside a folder rendition, from a path asked for in a URL (``v0/seg_1.m4s``).

    A path that could leave the folder or name nothing (empty parts, ``.``/``..``, backslashes,
    control characters) raises :class:`NotFoundError`: the client asked for a part that is not there."""
    parts = part.split("/")
    if not part or any(p in ("", ".", "..") or _UNSAFE.search(p) for p in parts):
        raise NotFoundError(f"no part {part[:80]!r} in this rendition")
    return f"{master_key.rsplit('/', 1)[0]}/{part}"


def export_key(tenant_id: str, asset_id: str, job_id: str, profile: Profile) -> str:
    """Where a sub-clip export is kept: under its job, not as one of the asset's renditions."""
    name = (
        f"{profile.name}/master.{profile.extension}" if profile.is_directory else f"{profile.name}.{profile.extension}"
    )
    return f"{asset_prefix(tenant_id, asset_id)}exports/{job_id}/{name}"


def analysis_prefix(tenant_id: str, asset_id: str, source_sha256: str) -> str:
    return f"{asset_prefix(tenant_id, asset_id)}analysis/{source_sha256[:16]}"


def shot_keyframe_key(prefix: str, number: int) -> str:
    return f"{prefix}/shots/{number}.jpg"


def poster_key(prefix: str) -> str:
    return f"{prefix}/poster.jpg"


def storyboard_sheet_key(prefix: str, number: int) -> str:
    return f"{prefix}/storyboard/{number}.jpg"


def storyboard_vtt_key(prefix: str) -> str:
    return f"{prefix}/storyboard.vtt"


def job_scratch_dir(work_dir: Path, job_id: str) -> Path:
    """A job's scratch folder: one per job, so a later attempt (or the janitor) finds and clears
    what a killed attempt left."""
    return work_dir / f"job-{job_id}"


def content_type(name: str, default: str = "application/octet-stream") -> str:
    """The media type of a stored file by its name: the engine's own table first, then the system's."""
    suffix = PurePosixPath(name).suffix.lower().lstrip(".")
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or default
