"""How much a client may send: the one place for the size limits of requests and descriptive fields.

The API models (``mam/public``), the multipart upload form, tus ``Upload-Metadata`` and
:func:`mam.ingest.ingest_file` all check against these numbers, so that a value refused by one
entry is refused by every other. A refusal says how long the value was and quotes at most a short
excerpt of it: a 20 MiB description is never echoed back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "FORM_OVERHEAD_BYTES",
    "MAX_CUSTOM_TEXT_CHARS",
    "MAX_DESCRIPTION_CHARS",
    "MAX_FILENAME_CHARS",
    "MAX_METADATA_KEYS",
    "MAX_REQUEST_BODY_BYTES",
    "MAX_REQUEST_HEAD_BYTES",
    "MAX_SHORT_FIELD_CHARS",
    "MAX_TAGS",
    "MAX_TAG_CHARS",
    "MAX_TITLE_CHARS",
    "MAX_UPLOAD_METADATA_BYTES",
    "SERVER_OPTIONS",
    "descriptive_problems",
    "excerpt",
]

MAX_TITLE_CHARS = 500
MAX_DESCRIPTION_CHARS = 100_000
MAX_SHORT_FIELD_CHARS = 200
"""Programme (栏目), reporter, place and the like."""
MAX_CUSTOM_TEXT_CHARS = 10_000
"""A value of a custom text field (a keyword field is a short field)."""
MAX_TAGS = 100
MAX_TAG_CHARS = 100
MAX_FILENAME_CHARS = 255

MAX_UPLOAD_METADATA_BYTES = 64 * 1024
"""The whole tus ``Upload-Metadata`` header (base64 makes values a third longer)."""
MAX_METADATA_KEYS = 32
"""Keys in one ``Upload-Metadata`` header."""

MAX_REQUEST_HEAD_BYTES = 1024 * 1024
"""Request line and headers the HTTP server reads (uvicorn's h11 default is 16 KiB): large enough
that an oversized ``Upload-Metadata`` reaches the application and is refused with 431 saying why.
A longer head gets 431 from the server itself (``cli/server.py``), not a reset connection."""
SERVER_OPTIONS: dict[str, Any] = {"h11_max_incomplete_event_size": MAX_REQUEST_HEAD_BYTES}
"""uvicorn options that go with these limits: ``uvicorn.run(app, **SERVER_OPTIONS)``."""
MAX_REQUEST_BODY_BYTES = 8 * 1024 * 1024
"""Body of any request that is not an upload (JSON, a subtitle file)."""
FORM_OVERHEAD_BYTES = 1024 * 1024
"""What a multipart upload may carry beyond its file: the other fields and the part headers."""


def excerpt(value: object, chars: int = 30) -> str:
    """How a refusal quotes a value it refuses: its start, and its length when it is longer."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text) if len(text) <= chars else f"{text[:chars]!r}… ({len(text)} characters)"


def descriptive_problems(
    *, title: str | None = None, description: str | None = None, tags: Sequence[str] | None = None
) -> list[str]:
    """What is wrong with these descriptive fields, one sentence each (empty when all is well)."""
    problems: list[str] = []
    if title is not None and len(title) > MAX_TITLE_CHARS:
        problems.append(f"the title has {len(title)} characters; at most {MAX_TITLE_CHARS} are allowed")
    if description is not None and len(description) > MAX_DESCRIPTION_CHARS:
        problems.append(
            f"the description has {len(description)} characters; at most {MAX_DESCRIPTION_CHARS} are allowed"
        )
    if tags is not None:
        if len(tags) > MAX_TAGS:
            problems.append(f"{len(tags)} tags were given; at most {MAX_TAGS} are allowed")
        long = next((tag for tag in tags if len(tag) > MAX_TAG_CHARS), None)
        if long is not None:
            problems.append(
                f"the tag starting {long[:30]!r} has {len(long)} characters; at most {MAX_TAG_CHARS} are allowed"
            )
    return problems
