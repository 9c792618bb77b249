"""Parse an untrusted XML sidecar: no DTD, so no entity expansion (billion laughs) and no external entities."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.parsers import expat

from mam.errors import SidecarError

__all__ = ["MAX_SIDECAR_BYTES", "parse_untrusted"]

MAX_SIDECAR_BYTES = 1 << 20
"""A sidecar larger than this (1 MiB) is refused: real ones are a few KiB."""


def _refuse(*_: object) -> None:
    raise SidecarError("it declares a DTD (<!DOCTYPE>); DTDs and entities are refused in sidecars")


def parse_untrusted(data: bytes, name: str) -> ET.Element:
    """The root element of ``data``; SidecarError if it is too big, malformed, or has a DTD or entities.

    A first pass with expat stops at any ``<!DOCTYPE``: without a DTD no entity can be declared, so the
    second pass (ElementTree) cannot expand or fetch any.
    """
    if len(data) > MAX_SIDECAR_BYTES:
        raise SidecarError(f"{name} is {len(data)} bytes; a sidecar is at most {MAX_SIDECAR_BYTES}")
    checker = expat.ParserCreate()
    checker.StartDoctypeDeclHandler = _refuse
    checker.EntityDeclHandler = _refuse
    checker.ExternalEntityRefHandler = _refuse  # type: ignore[assignment]
    try:
        checker.Parse(data, True)
        return ET.fromstring(data)
    except SidecarError as exc:
        raise SidecarError(f"{name} was refused: {exc}") from exc
    except (expat.ExpatError, ET.ParseError) as exc:
        raise SidecarError(f"{name} is not well-formed XML: {exc}") from exc
