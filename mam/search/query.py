"""Parse a newsroom search string and compile it to match expressions.

Syntax: words and ``"quoted phrases"`` (all must match); ``programme:`` (``栏目:``), ``tag:``
(``标签:``), ``reporter:`` (``记者:``), ``place:`` (``地点:``) and ``title:`` filters; ``status:``,
``type:``, ``date:2024-01-01..2024-03-31``, ``duration:30..120`` (seconds) and ``speech:yes`` /
``speech:no`` (``语音:有`` / ``语音:无``: what the analysis heard). A run of Chinese
characters is matched as written (contiguous); a Latin word also matches pinyin (``xiangxiang``) and
pinyin initials (``xx``).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from mam.errors import SearchError
from mam.search.expr import All, Any_, Expr, Phrase, Tok
from mam.search.normalize import normalise
from mam.search.pinyin import is_initials, segmentations
from mam.search.tokens import Unit, speech_token, units_of

__all__ = ["FILTER_PREFIXES", "MAX_QUERY_CHARS", "ParsedQuery", "parse_query"]

MAX_QUERY_CHARS = 500
"""The longest search string understood (the list of assets and the search alike): a newsroom query
is a few words, and a longer one only costs the matcher (a 60,000-character ``q`` overflowed SQLite's
LIKE pattern limit)."""
_EXCERPT_CHARS = 30
FILTER_PREFIXES = {"programme": "pg_", "tag": "tg_", "reporter": "rp_", "place": "pl_", "title": "t_"}
_ALIASES = {
    "栏目": "programme",
    "program": "programme",
    "标签": "tag",
    "tags": "tag",
    "记者": "reporter",
    "地点": "place",
    "标题": "title",
    "media": "type",
    "状态": "status",
    "日期": "date",
    "时长": "duration",
    "语音": "speech",
}
_SPEECH = {
    **dict.fromkeys(("yes", "true", "1", "有", "是"), True),
    **dict.fromkeys(("no", "false", "0", "无", "否"), False),
}
_TERM = re.compile(r'(?:(?P<field>[^\s:"]+):)?(?:"(?P<quoted>[^"]*)"?|“(?P<cn>[^”]*)”?|(?P<bare>\S+))')


@dataclass
class ParsedQuery:
    terms: list[list[Unit]] = field(default_factory=list)
    filters: list[tuple[str, list[Unit]]] = field(default_factory=list)
    status: str | None = None
    media_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    duration_min: float | None = None
    duration_max: float | None = None
    speech: bool | None = None
    """``speech:yes`` / ``speech:no``: assets the analysis heard speech in, or listened to and heard none."""

    @property
    def words(self) -> list[str]:
        """Normalised texts to highlight."""
        return [u.text for units in self.terms for u in units] + [u.text for _, units in self.filters for u in units]

    def text_expr(self) -> Expr | None:
        return _all([_term(units) for units in self.terms])

    def title_expr(self) -> Expr | None:
        return _all([_term(units, "t_") for units in self.terms])

    def phrase_expr(self) -> Expr | None:
        """The whole query as one exact phrase (only meaningful with two or more terms)."""
        if len(self.terms) < 2:
            return None
        joined = [u for units in self.terms for u in units]
        merged: list[Unit] = []
        for unit in joined:
            if merged and unit.kind == "cjk" and merged[-1].kind == "cjk":
                last = merged.pop()
                unit = Unit("cjk", last.text + unit.text, last.start, unit.end)
            merged.append(unit)
        return _any([_phrase(joined, ""), _phrase(merged, "")])

    def filter_expr(self) -> Expr | None:
        heard = [Tok(speech_token(self.speech))] if self.speech is not None else []
        return _all([*(_term(units, FILTER_PREFIXES[name]) for name, units in self.filters), *heard])


def _all(items: list[Expr | None]) -> Expr | None:
    kept = [i for i in items if i is not None]
    return None if not kept else kept[0] if len(kept) == 1 else All(tuple(kept))


def _any(items: list[Expr | None]) -> Expr | None:
    kept = list(dict.fromkeys(i for i in items if i is not None))
    return None if not kept else kept[0] if len(kept) == 1 else Any_(tuple(kept))


def _phrase(units: list[Unit], prefix: str) -> Expr | None:
    """Units at consecutive positions, laid out as mam/search/tokens.py indexes them."""
    toks: list[Tok] = []
    for i, unit in enumerate(units):
        last = i == len(units) - 1
        if unit.kind != "cjk":
            toks.append(Tok(prefix + unit.text))
        elif len(unit.text) == 1:
            toks.append(Tok(prefix + unit.text, prefix=last))
        else:
            run = unit.text
            toks.extend(Tok(prefix + run[j : j + 2]) for j in range(len(run) - 1))
            if not last:
                toks.append(Tok(prefix + run[-1]))
    if not toks:
        return None
    return toks[0] if len(toks) == 1 else Phrase(tuple(toks))


def _term(units: list[Unit], prefix: str = "") -> Expr | None:
    """A typed term: as written, or (a Latin word) as pinyin syllables or initials."""
    literal = _phrase(units, prefix)
    if len(units) != 1 or units[0].kind != "alpha":
        return literal
    word = units[0].text
    options: list[Expr | None] = [literal]
    for syllables in segmentations(word):
        toks = [Tok(f"{prefix}py_{a}_{b}") for a, b in itertools.pairwise(syllables)]
        options.append(toks[0] if len(toks) == 1 else Phrase(tuple(toks)))
    if is_initials(word):
        toks = [Tok(f"{prefix}pi_{word[i]}{word[i + 1]}") for i in range(len(word) - 1)]
        options.append(toks[0] if len(toks) == 1 else Phrase(tuple(toks)))
    return _any(options)


def _date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise SearchError(f"{text!r} is not a date; write YYYY-MM-DD") from exc


def _number(text: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise SearchError(f"{text!r} is not a number of seconds") from exc


def parse_query(text: str) -> ParsedQuery:
    """Parse ``text``; raises SearchError for a malformed date or duration range, or a query longer
    than MAX_QUERY_CHARS (the message quotes only its first few characters)."""
    if len(text) > MAX_QUERY_CHARS:
        raise SearchError(
            f"the query starting {text[:_EXCERPT_CHARS]!r} has {len(text):,} characters; "
            f"at most {MAX_QUERY_CHARS} are searched"
        )
    parsed = ParsedQuery()
    for match in _TERM.finditer(unicodedata.normalize("NFKC", text)):
        name = (match.group("field") or "").lower()
        name = _ALIASES.get(name, name)
        value = match.group("quoted") or match.group("cn") or match.group("bare") or ""
        if match.group("field") and name not in (*FILTER_PREFIXES, "status", "type", "date", "duration", "speech"):
            value = f"{match.group('field')}:{value}"  # not a field: search the text as written
            name = ""
        if name in ("date", "duration"):
            low, _, high = value.partition("..")
            if name == "date":
                parsed.date_from, parsed.date_to = _date(low), _date(high if _ else low)
            else:
                parsed.duration_min, parsed.duration_max = _number(low), _number(high)
            continue
        if name == "status":
            parsed.status = value.lower()
            continue
        if name == "type":
            parsed.media_type = value.lower()
            continue
        if name == "speech":
            if value.lower() not in _SPEECH:
                raise SearchError(f"speech:{value[:_EXCERPT_CHARS]!r}: write speech:yes or speech:no")
            parsed.speech = _SPEECH[value.lower()]
            continue
        units = units_of(normalise(value))
        if not units:
            continue
        if name:
            parsed.filters.append((name, units))
        else:
            parsed.terms.append(units)
    return parsed
