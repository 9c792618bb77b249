from __future__ import annotations

from pathlib import Path

from mam.settings import SETTINGS_HELP

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_documents_every_setting_and_both_commands() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [name for name in SETTINGS_HELP if f"`{name}`" not in text]
    assert missing == []
    assert "make demo" in text and "make test" in text
