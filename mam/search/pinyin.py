"""Pinyin of Chinese runs (for indexing) and of typed Latin words (for queries).

``xiangxiang`` (full syllables) and ``xx`` (initials) both find 湘乡.
"""

from __future__ import annotations

from functools import cache, lru_cache
from types import ModuleType
from typing import Any

__all__ = ["initials_of", "is_initials", "segmentations", "syllables_of"]

_MAX_SEGMENTATIONS = 3


@cache
def _pypinyin() -> ModuleType:
    """pypinyin, loaded at the first use: its phrase dictionary takes about half a second to load,
    which a `mam` command that never indexes nor searches should not pay."""
    import pypinyin

    return pypinyin


def _unknown(chars: str) -> Any:
    """pypinyin's ``errors`` hook: no syllable for each character without pinyin."""
    return ["" for _ in chars]


def syllables_of(run: str) -> list[str]:
    """One toneless syllable per character of a CJK run ("" where a character has no pinyin)."""
    return list(_syllables_of(run))


@lru_cache(maxsize=65_536)
def _syllables_of(run: str) -> tuple[str, ...]:
    # Cached: programmes, places, reporters and tags recur on most assets of a catalog.
    pypinyin = _pypinyin()
    out = pypinyin.lazy_pinyin(run, style=pypinyin.Style.NORMAL, errors=_unknown)
    if len(out) != len(run):  # pypinyin joined something unexpectedly; fall back per character
        out = [(pypinyin.lazy_pinyin(ch, errors=_unknown) or [""])[0] for ch in run]
    return tuple(s if s.isascii() and s.isalpha() else "" for s in out)


def initials_of(syllables: list[str]) -> list[str]:
    return [s[0] if s else "" for s in syllables]


@cache
def _syllables() -> frozenset[str]:
    chars = "".join(chr(c) for c in range(0x4E00, 0x9FA6))
    pypinyin = _pypinyin()
    readings = pypinyin.pinyin(chars, style=pypinyin.Style.NORMAL, heteronym=True)
    # Interjections without a vowel (ng, hm, m…) would only cut words into nonsense.
    return frozenset(p for r in readings for p in r if p.isascii() and p.isalpha() and any(v in p for v in "aeiouv"))


def segmentations(word: str) -> list[list[str]]:
    """Ways to read a Latin word as two or more pinyin syllables, fewest syllables first (at most 3)."""
    if not (word.isascii() and word.isalpha()) or len(word) > 40:
        return []
    known = _syllables()
    found: list[list[str]] = []

    def walk(start: int, path: list[str]) -> None:
        if start == len(word):
            found.append(list(path))
            return
        for end in range(min(len(word), start + 6), start, -1):
            piece = word[start:end]
            if piece in known:
                path.append(piece)
                walk(end, path)
                path.pop()
                if len(found) >= 16:
                    return

    walk(0, [])
    found = [f for f in found if len(f) >= 2]
    found.sort(key=len)
    return found[:_MAX_SEGMENTATIONS]


_VOWELS = frozenset("aeiouv")


def is_initials(word: str) -> bool:
    """Whether a typed word may be pinyin initials (``xx`` for 湘乡, ``xwlb`` for 新闻联播).

    2 to 8 ASCII letters and no vowel. No syllable begins with i, u or v (ü), so a word holding one
    cannot be initials at all; a, e and o begin a few syllables (安, 鹅, 欧), but accepting them would
    let English words (``news``, ``app``, ``top``) match the initials of unrelated Chinese text. So
    initials of text with such a character are not found (``oy`` for 欧阳); its pinyin still is.
    """
    return word.isascii() and word.isalpha() and 2 <= len(word) <= 8 and _VOWELS.isdisjoint(word)
