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


# Every toneless syllable pypinyin reads a CJK character (U+4E00-U+9FA5) as, with a vowel (interjections
# without one, ng, hm, m..., would only cut words into nonsense). Written out, not derived at the first
# Latin word a search process meets: deriving it ran pypinyin over 20,902 characters, 2-4 s on a loaded
# machine for whoever typed first (tests/test_search_pinyin_syllables.py derives it and compares).
_WRITTEN = """
    a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang cao ce cen
    ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun chuo ci cong
    cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di dia dian diao die ding diu dong dou du duan dui
    dun duo e ei en eng er fa fan fang fei fen feng fiao fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu
    gua guai guan guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun
    huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou
    ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei len leng li lia lian liang liao lie lin ling liu
    lo long lou lu luan lun luo lv lve ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu
    na nai nan nang nao ne nei nen neng ni nian niang niao nie nin ning niu nong nou nu nuan nun nuo nv nve o ou
    pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong
    qiu qu quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai san sang sao se sen
    seng sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si song
    sou su suan sui sun suo ta tai tan tang tao te tei teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa
    wai wan wang wei wen weng wo wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao
    ye yi yin ying yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe
    zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
"""
_SYLLABLES = frozenset(_WRITTEN.split())


def _syllables() -> frozenset[str]:
    return _SYLLABLES


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
