"""On-screen text: the lines the analysis read in the picture (OCR), kept, listed and exported.

A render job that read text replaces the asset's lines with what it read from the current original
(a job that did not read text leaves them as they are). Lines are indexed for search like subtitle
cues (mam/search/index.py: kind ``screen_text``), so a word of a caption finds the asset and the
second it stood on screen. Exports are SRT and WebVTT, one cue per line, in time order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mam.metadata.spans import owned_asset
from mam.models import Asset, ScreenTextLine

__all__ = ["REGIONS", "list_text", "replace_text", "to_srt", "to_vtt"]

REGIONS = ("subtitle", "strap", "other")


def replace_text(session: Session, asset: Asset, lines: Sequence[dict[str, Any]]) -> int:
    """Replace the asset's lines with ``lines`` (as the analysis gives them); commits; returns how many."""
    for old in session.scalars(select(ScreenTextLine).where(ScreenTextLine.asset_id == asset.id)):
        session.delete(old)  # one by one: the index hook removes each line's search entry
    session.flush()
    session.add_all(
        ScreenTextLine(
            asset_id=asset.id,
            source_sha256=asset.sha256,
            position=n,
            start=float(line["start"]),
            end=float(line["end"]),
            text=str(line["text"]),
            region=str(line["region"]) if line.get("region") in REGIONS else "other",
            confidence=float(line.get("confidence", 0.0)),
            box=[float(v) for v in line.get("box", [])],
        )
        for n, line in enumerate(lines, start=1)
    )
    session.commit()
    return len(lines)


def list_text(session: Session, tenant_id: str, asset_id: str, region: str | None = None) -> list[ScreenTextLine]:
    """The lines of an asset the tenant may read (its own or shared with it), in time order."""
    asset = owned_asset(session, tenant_id, asset_id, shared=True)
    query = select(ScreenTextLine).where(
        ScreenTextLine.asset_id == asset.id, ScreenTextLine.source_sha256 == asset.sha256
    )
    if region is not None:
        query = query.where(ScreenTextLine.region == region)
    return list(session.scalars(query.order_by(ScreenTextLine.start, ScreenTextLine.position)))


def _stamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}{separator}{rest % 1000:03d}"


def to_srt(lines: Sequence[ScreenTextLine]) -> str:
    cues = [
        f"{n}\n{_stamp(line.start, ',')} --> {_stamp(line.end, ',')}\n{line.text}\n"
        for n, line in enumerate(lines, start=1)
    ]
    return "\n".join(cues)


def to_vtt(lines: Sequence[ScreenTextLine]) -> str:
    cues = [
        f"{line.region}-{n}\n{_stamp(line.start, '.')} --> {_stamp(line.end, '.')}\n{line.text}\n"
        for n, line in enumerate(lines, start=1)
    ]
    return "WEBVTT\n\n" + "\n".join(cues)
