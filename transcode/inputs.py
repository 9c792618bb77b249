"""Open untrusted media for reading: local files only, media demuxers only.

A playlist, concat list, image sequence or device description could make a demuxer open other
files or URLs; those formats are refused before their demuxer reads a header.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

import av
from av.container import InputContainer

from transcode.errors import ForbiddenInputError, UnreadableMediaError

__all__ = ["DEFAULT_ALLOWED_FORMATS", "label", "open_input"]

DEFAULT_ALLOWED_FORMATS: frozenset[str] = frozenset(
    {
        # containers (ffmpeg demuxer names; "mov,mp4,m4a,3gp,3g2,mj2" is one demuxer)
        "mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "mxf", "mpegts", "mpeg",
        "avi", "asf", "flv", "gxf", "dv", "ogg",
        # audio
        "wav", "w64", "mp3", "aac", "adts", "flac", "aiff", "caf",
    }
)  # fmt: skip
"""Demuxers accepted by default. Never add playlist, list, sequence, device or protocol demuxers
(``hls``, ``dash``, ``concat``, ``image2``, ``lavfi``, ``tee``, ``data``...)."""


def open_input(path: Path, allowed: frozenset[str] = DEFAULT_ALLOWED_FORMATS) -> InputContainer:
    """Open ``path`` for demuxing, or raise FileNotFoundError, ForbiddenInputError or UnreadableMediaError."""
    if not path.exists():
        raise FileNotFoundError(errno.ENOENT, "no such media file", str(path))
    if not path.is_file():
        raise UnreadableMediaError(f"{label(path)}: not a regular file, so not media we can read")
    if not allowed:
        raise ForbiddenInputError(f"{label(path)}: no container formats are allowed")
    options = {"protocol_whitelist": "file", "format_whitelist": ",".join(sorted(allowed))}
    try:
        container = av.open(f"file:{path.resolve()}", mode="r", options=options, metadata_errors="replace")
    except FileNotFoundError:  # removed while we looked
        raise FileNotFoundError(errno.ENOENT, "no such media file", str(path)) from None
    except av.error.FFmpegError as exc:
        if exc.errno == errno.EINVAL:  # what avformat_open_input returns for "Format not on whitelist"
            found = re.search(r"\[(\w+)\] Format not on whitelist", str(exc))
            kind = f"{found.group(1)} files are" if found else "its container format is"
            raise ForbiddenInputError(
                f"{label(path)}: {kind} not accepted (playlists, concat lists, image sequences and raw "
                "streams are refused)"
            ) from exc
        reason = (exc.strerror or "unknown error").lower()
        raise UnreadableMediaError(f"{label(path)}: not a media file we can read ({reason})") from exc
    except OSError as exc:
        raise UnreadableMediaError(f"{label(path)}: cannot be opened ({exc.strerror or exc})") from exc
    if not set(container.format.name.split(",")) & allowed:
        container.close()
        raise ForbiddenInputError(f"{label(path)}: {container.format.name} files are not accepted")
    return container


def label(path: Path) -> str:
    """How messages name a file: its name (the path may be a scratch location)."""
    return path.name or str(path)
