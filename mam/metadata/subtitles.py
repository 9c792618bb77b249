"""Subtitles and transcripts: SRT and WebVTT imported as timed lines that search finds."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mam.errors import MetadataError
from mam.events import EventType, emit_asset
from mam.metadata.spans import owned_asset
from mam.models import SubtitleCue

__all__ = ["Cue", "import_subtitles", "list_cues", "parse_subtitles"]

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
_TAGS = re.compile(r"<[^>]+>|\{\\[^}]*\}")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def parse_subtitles(text: str) -> list[Cue]:
    """Cues of an SRT or WebVTT document (format told by its timing lines; styling tags dropped)."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cues: list[Cue] = []
    i = 0
    while i < len(lines):
        match = _TIMING.match(lines[i])
        if match is None:
            i += 1
            continue
        g = match.groups()
        start, end = _seconds(*g[:4]), _seconds(*g[4:])
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip():
            body.append(_TAGS.sub("", lines[i]).strip())
            i += 1
        if end < start:
            raise MetadataError(f"cue at {start:.3f} s ends before it starts ({end:.3f} s)")
        cue_text = " ".join(b for b in body if b)
        if cue_text:
            cues.append(Cue(start, end, cue_text))
    if not cues:
        raise MetadataError(
            "no cues found: expected SRT or WebVTT (lines like 00:00:01,000 --> 00:00:02,000)", code="subtitle-empty"
        )
    return cues


def import_subtitles(session: Session, tenant_id: str, asset_id: str, text: str, track: str = "") -> int:
    """Replace the cues of ``track`` on the asset with those of ``text``; returns how many. The owner and
    the tenants the asset is shared with hear of it (``asset.updated``, ``changed``: ``subtitles``)."""
    asset = owned_asset(session, tenant_id, asset_id)
    cues = parse_subtitles(text)
    old = list(session.scalars(select(SubtitleCue).where(SubtitleCue.asset_id == asset.id, SubtitleCue.track == track)))
    for cue in old:
        session.delete(cue)
    session.flush()
    session.add_all(
        SubtitleCue(asset_id=asset.id, track=track, position=n, start=c.start, end=c.end, text=c.text)
        for n, c in enumerate(cues, start=1)
    )
    emit_asset(session, EventType.ASSET_UPDATED, asset, changed="subtitles")
    session.commit()
    return len(cues)


def list_cues(session: Session, tenant_id: str, asset_id: str, track: str | None = None) -> list[SubtitleCue]:
    owned_asset(session, tenant_id, asset_id, shared=True)
    query = select(SubtitleCue).where(SubtitleCue.asset_id == asset_id)
    if track is not None:
        query = query.where(SubtitleCue.track == track)
    return list(session.scalars(query.order_by(SubtitleCue.track, SubtitleCue.position)))
