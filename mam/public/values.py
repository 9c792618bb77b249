"""Value types for what clients send, read as the OpenAPI document says and no more loosely.

Pydantic's lax mode would read ``0`` as the date 1970-01-01 (a Unix time), ``false`` as the number 0 and
``1`` as ``true``: a request the document calls invalid would be accepted. These types refuse that:
a date is a ``YYYY-MM-DD`` string, a number is a JSON number (not a boolean), a whole number is not a
fraction or a boolean, a flag is ``true`` or ``false``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BeforeValidator, Strict

__all__ = ["CalendarDate", "Flag", "Number", "WholeNumber"]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _calendar_date(value: object) -> object:
    if not isinstance(value, str):
        return value  # a date passes; anything else fails the strict date check
    if not _ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"no such date: {exc}") from exc


CalendarDate = Annotated[date, BeforeValidator(_calendar_date), Strict()]
"""A calendar date, ``YYYY-MM-DD`` (in a JSON body or a query string)."""
Number = Annotated[float, Strict()]
"""A number in a JSON body (an integer is fine, a boolean or a string is not)."""
WholeNumber = Annotated[int, Strict()]
"""A whole number in a JSON body."""
Flag = Annotated[bool, Strict()]
"""``true`` or ``false`` in a JSON body."""
