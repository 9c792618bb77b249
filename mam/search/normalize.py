"""One normal form for Chinese newsroom text, used for indexing and for queries alike.

Full-width and half-width forms are folded (NFKC), traditional characters become simplified
(OpenCC ``t2s``), and letters are lower-cased. Simplified and traditional text therefore match each
other in both directions, and ``ＣＣＴＶ１３`` matches ``cctv13``.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import opencc

__all__ = ["normalise", "normalise_with_map"]


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """The normal form of ``text`` (may differ in length from ``text``)."""
    converted: str = _t2s().convert(unicodedata.normalize("NFKC", text))
    return converted.lower()


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """The normal form, and for each of its characters the index of the original character.

    Used to put highlights back on the original text.
    """
    pieces = [unicodedata.normalize("NFKC", ch).lower() for ch in text]
    joined = "".join(pieces)
    converted = _t2s().convert(joined)
    if len(converted) != len(joined):  # a phrase conversion changed the length: convert per character
        pieces = [str(_t2s().convert(p)) for p in pieces]
    else:
        offset = 0
        for i, piece in enumerate(pieces):
            pieces[i] = converted[offset : offset + len(piece)]
            offset += len(piece)
    origin = [i for i, piece in enumerate(pieces) for _ in piece]
    return "".join(pieces), origin
