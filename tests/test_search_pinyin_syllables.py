"""The pinyin syllables a typed Latin word is cut into (mam/search/pinyin.py writes them out rather than
deriving them at a process's first Latin query) are exactly those pypinyin reads the CJK characters as."""

from __future__ import annotations

import pypinyin

from mam.search.pinyin import _syllables, segmentations


def test_the_written_syllables_are_those_pypinyin_reads_every_cjk_character_as() -> None:
    chars = "".join(chr(c) for c in range(0x4E00, 0x9FA6))
    readings = pypinyin.pinyin(chars, style=pypinyin.Style.NORMAL, heteronym=True)
    derived = {p for r in readings for p in r if p.isascii() and p.isalpha() and any(v in p for v in "aeiouv")}
    assert _syllables() == derived


def test_a_typed_word_is_still_cut_into_syllables() -> None:
    assert segmentations("xiangxiang")[0] == ["xiang", "xiang"]
    assert ["xi", "an"] in segmentations("xian")
