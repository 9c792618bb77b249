"""Descriptive metadata (编目): core and custom fields, segments/shots/markers, subtitles."""

from __future__ import annotations

from mam.metadata.fields import (
    CORE_FIELDS,
    apply_descriptive,
    define_field,
    delete_field,
    list_fields,
    validate_custom,
)
from mam.metadata.spans import add_span, delete_span, list_spans
from mam.metadata.subtitles import Cue, import_subtitles, list_cues, parse_subtitles

__all__ = [
    "CORE_FIELDS",
    "Cue",
    "add_span",
    "apply_descriptive",
    "define_field",
    "delete_field",
    "delete_span",
    "import_subtitles",
    "list_cues",
    "list_fields",
    "list_spans",
    "parse_subtitles",
    "validate_custom",
]
