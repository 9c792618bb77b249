"""Lines of on-screen text (字幕, name straps, captions) the analysis read in the picture (OCR)."""

from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mam.models.base import Base, new_id

__all__ = ["ScreenTextLine"]


class ScreenTextLine(Base):
    """One line of text seen on screen from ``start`` to ``end``, where it stood (``region``:
    ``subtitle``, ``strap`` or ``other``) and how sure the reading is; searchable like a subtitle cue."""

    __tablename__ = "screen_text"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    source_sha256: Mapped[str] = mapped_column(String(64))
    """The original the line was read from (a new original is read again)."""
    position: Mapped[int] = mapped_column(Integer)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    box: Mapped[list[float]] = mapped_column(JSON, default=list)
    """Where the text stood: [left, top, right, bottom] as fractions of the picture's width and height."""
