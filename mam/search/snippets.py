"""Highlighted snippets: the matched words marked in the original (not normalised) text."""

from __future__ import annotations

import html

from mam.search.normalize import normalise_with_map

__all__ = ["MARK_CLOSE", "MARK_OPEN", "snippet"]

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


def _ranges(normalised: str, words: list[str]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for word in sorted(set(words), key=len, reverse=True):
        start = normalised.find(word)
        while start != -1:
            found.append((start, start + len(word)))
            start = normalised.find(word, start + len(word))
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, words: list[str], width: int = 80) -> str | None:
    """Up to ``width`` characters of ``text`` around the first match, HTML-escaped, matches in <mark>.

    ``None`` when no word occurs literally (e.g. a pinyin-only match).
    """
    if not text or not words:
        return None
    normalised, origin = normalise_with_map(text)
    ranges = [(origin[s], origin[e - 1] + 1) for s, e in _ranges(normalised, words)]
    if not ranges:
        return None
    first = ranges[0][0]
    begin = max(0, min(first - width // 4, len(text) - width))
    end = min(len(text), begin + width)
    out: list[str] = ["…" if begin > 0 else ""]
    cursor = begin
    for start, stop in ranges:
        if start >= end:
            break
        start, stop = max(start, cursor), min(stop, end)
        if stop <= start:
            continue
        out.append(html.escape(text[cursor:start]))
        out.append(MARK_OPEN + html.escape(text[start:stop]) + MARK_CLOSE)
        cursor = stop
    out.append(html.escape(text[cursor:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out)
