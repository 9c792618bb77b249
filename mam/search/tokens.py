"""Tokens: CJK runs as overlapping bigrams, Latin words and numbers, pinyin, field-prefixed copies.

A CJK run ``c1 c2 … cn`` becomes ``c1c2, c2c3, …, c(n-1)cn, cn`` at consecutive positions, so that:

- a two-character word is one token (``湘乡``);
- a longer word is a phrase of bigrams (``湘乡市`` = ``湘乡`` then ``乡市``);
- a single character is the prefix of the token at its position (``乡*``), since every character
  starts exactly one token.

Latin letters and digits form separate words (``cctv13`` = ``cctv`` ``13``). Short fields also get
their pinyin as ``py_<s1>_<s2>`` syllable pairs and ``pi_<i1><i2>`` initial pairs, laid out the same
way. Filterable fields are repeated with a prefix (``t_`` title, ``pg_`` programme, ``tg_`` tag,
``rp_`` reporter, ``pl_`` place), their pinyin too, so that ``programme:新闻`` and "the title
holds every word" are plain token queries. The same functions build the query side (mam/search/query.py).

Every entry also ends with its tenant as a token (``tn_<hex>``; asset metadata entries also ``ta_<hex>``),
so that visibility is part of the index match rather than a filter over every match. Typed queries
cannot produce these tokens: ``_`` never occurs inside a typed word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mam.search.normalize import normalise
from mam.search.pinyin import initials_of, syllables_of

__all__ = [
    "CJK_CLASS",
    "Field",
    "Unit",
    "document_tokens",
    "plain_tokens",
    "speech_token",
    "tenant_token",
    "units_of",
]

CJK_CLASS = (
    "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_UNITS = re.compile(rf"(?P<cjk>[{CJK_CLASS}]+)|(?P<alpha>[^\W\d_{CJK_CLASS}]+)|(?P<num>\d+)")


@dataclass(frozen=True)
class Unit:
    """A CJK run, a word of letters, or a number, in normalised text."""

    kind: str  # "cjk" | "alpha" | "num"
    text: str
    start: int
    end: int


def units_of(normalised: str) -> list[Unit]:
    return [Unit(m.lastgroup or "alpha", m.group(), m.start(), m.end()) for m in _UNITS.finditer(normalised)]


def _run_tokens(items: list[str], join: str = "") -> list[str]:
    """Overlapping pairs then the last item: the layout shared by characters, syllables and initials."""
    return [items[i] + join + items[i + 1] for i in range(len(items) - 1)] + items[-1:]


def plain_tokens(units: list[Unit]) -> list[str]:
    tokens: list[str] = []
    for unit in units:
        tokens.extend(_run_tokens(list(unit.text)) if unit.kind == "cjk" else [unit.text])
    return tokens


def _pinyin_tokens(units: list[Unit]) -> list[str]:
    full: list[str] = []
    initials: list[str] = []
    for unit in units:
        if unit.kind != "cjk":
            continue
        syllables = syllables_of(unit.text)
        group: list[str] = []
        for syllable in [*syllables, ""]:
            if syllable:
                group.append(syllable)
                continue
            if group:
                full.extend("py_" + t for t in _run_tokens(group, "_"))
                initials.extend("pi_" + t for t in _run_tokens(initials_of(group)))
            group = []
    return full + initials


@dataclass(frozen=True)
class Field:
    """A piece of text to index, with an optional token prefix and whether to add its pinyin.

    ``plain=False`` indexes only the prefixed copies: an entry that carries its asset's filterable
    fields (mam/search/index.py) must not match the asset's words as if they were its own.
    """

    text: str
    prefix: str = ""
    pinyin: bool = False
    plain: bool = True


def document_tokens(fields: list[Field]) -> list[str]:
    """The token stream of one searchable document, positions being list indexes."""
    stream: list[str] = []
    for field in fields:
        if not field.text:
            continue
        units = units_of(normalise(field.text))
        plain = plain_tokens(units)
        if field.plain:
            stream.extend(plain)
        if field.prefix:
            stream.extend(field.prefix + t for t in plain)
        if field.pinyin:
            pinyin = _pinyin_tokens(units)
            if field.plain:
                stream.extend(pinyin)
            if field.prefix:
                stream.extend(field.prefix + t for t in pinyin)
    return stream


def tenant_token(tenant_id: str, assets_only: bool = False) -> str:
    """The token every entry of ``tenant_id`` carries (``ta_``: only its asset metadata entries)."""
    return ("ta_" if assets_only else "tn_") + tenant_id.encode().hex()


def speech_token(has_speech: bool) -> str:
    """``sp_yes`` or ``sp_no``: what the analysis heard, carried by every entry of an asset it listened
    to (an asset never heard carries neither), for ``speech:yes`` and ``speech:no``."""
    return "sp_yes" if has_speech else "sp_no"
