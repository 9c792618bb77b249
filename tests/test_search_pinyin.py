"""Pinyin and pinyin initials find Chinese text; English words do not match random initials."""

from __future__ import annotations

import pytest

from mam.jobs import create_asset_with_job
from mam.models import Asset
from mam.search import SearchRequest, search
from mam.search.pinyin import is_initials
from mam.services import Services


@pytest.mark.parametrize(
    ("word", "initials"),
    [("xx", True), ("zs", True), ("xwlb", True), ("news", False), ("app", False), ("cctv", False), ("x", False)],
)
def test_only_vowelless_words_of_two_to_eight_letters_are_read_as_initials(word: str, initials: bool) -> None:
    assert is_initials(word) is initials


def _titles(services: Services, query: str) -> list[str]:
    with services.session() as session:
        return sorted(h.asset.title for h in search(session, "default", SearchRequest(q=query)).hits)


def test_an_english_word_finds_its_own_text_not_chinese_with_the_same_initials(services: Services) -> None:
    with services.session() as session:
        for n, title in enumerate(["南鹅湾社区", "新闻联播", "BBC news 连线"]):
            asset = Asset(
                tenant_id="default",
                title=title,
                media_kind="video",
                original_filename=f"{n}.mxf",
                original_key=str(n),
                size=1,
                sha256=f"{n:064d}",
                xxh3="0" * 16,
            )
            create_asset_with_job(session, asset, [])
    # 南鹅湾社 reads n-e-w-s, but "news" is an English word here.
    assert _titles(services, "news") == ["BBC news 连线"]
    assert _titles(services, "wsq") == ["南鹅湾社区"]  # initials without the zero-initial 鹅
    assert _titles(services, "xwlb") == ["新闻联播"]
    assert _titles(services, "nanewan") == ["南鹅湾社区"]  # full pinyin keeps every character
