"""The workspace names every kind of inner search hit the API can answer with, in both languages (a
kind without a label would show its message key on screen)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mam.public.search import InnerHitKind

LOCALES = Path(__file__).resolve().parent.parent / "web" / "src" / "i18n"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_inner_hit_kind_has_a_label(locale: str) -> None:
    text = (LOCALES / f"{locale}.ts").read_text(encoding="utf-8")
    found = re.search(r"innerKind: \{([^}]*)\}", text)
    assert found, "no innerKind labels"
    labels = dict(re.findall(r'(\w+): "([^"]+)"', found.group(1)))
    assert set(labels) == {kind.value for kind in InnerHitKind}
    if locale == "zh-CN":
        assert all(re.search(r"[\u4e00-\u9fff]", label) for label in labels.values()), labels
