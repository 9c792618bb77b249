"""Roles are data (roles/roles.toml), validated; what each shipped role may do."""

from __future__ import annotations

from pathlib import Path

import pytest

from mam.errors import ConfigError
from mam.identity import PERMISSIONS, load_roles


def test_the_shipped_roles_load_and_name_only_known_permissions() -> None:
    roles = load_roles()
    assert set(roles) == {"admin", "editor", "playout", "newsroom", "viewer", "platform"}
    assert all(set(r.permissions) <= set(PERMISSIONS) for r in roles.values())


def test_playout_reads_broadcast_renditions_only_and_newsroom_no_originals() -> None:
    roles = load_roles()
    assert roles["playout"].may_read_rendition("broadcast_hd")
    assert not roles["playout"].may_read_rendition("proxy")
    assert not roles["playout"].allows("asset:read")
    assert roles["newsroom"].may_read_rendition("proxy") and not roles["newsroom"].allows("original:read")
    assert not roles["platform"].allows("asset:read") and roles["platform"].platform


@pytest.mark.parametrize(
    "text, says",
    [
        ('[x]\npermissions = ["asset:fly"]\n', "asset:fly"),
        ('[x]\npermissions = []\ncolour = "red"\n', "colour"),
        ("[Bad-Name]\npermissions = []\n", "Bad-Name"),
        ("x = 1\n", "must be a table"),
    ],
)
def test_a_malformed_roles_file_is_refused_saying_what(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "roles.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=says):
        load_roles(path)
