"""Custom field values (through the API and from a sidecar file) are held to the limits of mam/limits.py,
and a refusal quotes the start of a value, never the whole of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings

from mam import limits
from mam.errors import MetadataError
from mam.metadata import define_field
from mam.metadata.fields import validate_custom
from mam.models import FieldDefinition
from mam.services import Services, open_services
from mam.sidecar.apply import checked_fields
from mam.sidecar.formats import SidecarMetadata


@pytest.fixture
def fields(tmp_path: Path) -> Iterator[tuple[Services, list[FieldDefinition]]]:
    services = open_services(make_settings(tmp_path / "home"))
    try:
        with services.session() as session:
            made = [
                define_field(session, "default", "note", "text"),
                define_field(session, "default", "camera", "keyword"),
                define_field(session, "default", "rating", "number"),
            ]
            yield services, made
    finally:
        services.close()


@pytest.mark.parametrize(
    ("name", "limit"), [("note", limits.MAX_CUSTOM_TEXT_CHARS), ("camera", limits.MAX_SHORT_FIELD_CHARS)]
)
def test_a_text_value_over_its_limit_is_refused_quoting_only_its_start(
    fields: tuple[Services, list[FieldDefinition]], name: str, limit: int
) -> None:
    _, made = fields
    assert validate_custom(made, {}, {name: "湘" * limit}) == {name: "湘" * limit}
    with pytest.raises(MetadataError) as refused:
        validate_custom(made, {}, {name: "湘" * (limit + 1)})
    message = str(refused.value)
    assert f"at most {limit} characters" in message and f"({limit + 1} characters)" in message
    assert len(message) < 300


def test_a_huge_number_or_field_name_is_not_echoed(fields: tuple[Services, list[FieldDefinition]]) -> None:
    _, made = fields
    for changes in ({"rating": "9" * 50 + "x" * 1_000_000}, {"x" * 1_000_000: "a"}):
        with pytest.raises(MetadataError) as refused:
            validate_custom(made, {}, changes)
        assert len(str(refused.value)) < 300


def test_a_sidecar_custom_value_over_the_limit_is_left_out_and_reported_briefly(
    fields: tuple[Services, list[FieldDefinition]],
) -> None:
    services, _ = fields
    custom = {"note": "长" * (limits.MAX_CUSTOM_TEXT_CHARS + 5), "camera": "A"}
    meta = SidecarMetadata(Path("clip.json"), "json", descriptive={"programme": "县新闻", "custom": custom})
    with services.session() as session:
        accepted, problems = checked_fields(session, "default", meta)
    assert accepted == {"programme": "县新闻", "custom": {"camera": "A"}}
    assert len(problems) == 1 and problems[0].startswith("custom field 'note' left out") and len(problems[0]) < 300
