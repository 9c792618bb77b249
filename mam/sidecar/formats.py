"""Read a sidecar file into :class:`SidecarMetadata`: JSON, our generic XML, XDCAM NonRealTimeMeta, P2 clip XML.

JSON (``clip.json``)::

    {"title": "...", "description": "...", "tags": ["民生"] or "民生,街采", "programme": "...",
     "reporter": "...", "place": "...", "shoot_date": "2024-05-01", "language": "zh", "rights": "...",
     "rights_expiry": "2025-12-31", "custom": {"story_id": "A-17"}}

Generic XML (``clip.xml``), the same fields as elements of ``<mam>``::

    <mam><title>…</title><description>…</description><tags><tag>民生</tag></tags>
         <programme>…</programme><shoot_date>2024-05-01</shoot_date>…
         <custom name="story_id">A-17</custom></mam>

XDCAM (``C0001M01.XML``, ``<NonRealTimeMeta>``) and P2 (``CONTENTS/CLIP/0001AB.XML``, ``<P2Main>``) card
XML give the title, shoot date, place, shooter and memo, and as ``facts`` the camera, clip name and start
timecode (kept only where the tenant defines custom fields of those names).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mam.errors import SidecarError
from mam.sidecar.safexml import MAX_SIDECAR_BYTES, parse_untrusted

__all__ = ["FIELDS", "SidecarMetadata", "read_sidecar"]

FIELDS = ("programme", "reporter", "place", "shoot_date", "language", "rights", "rights_expiry")
"""Descriptive fields a sidecar may set besides title, description, tags and custom."""


@dataclass(frozen=True)
class SidecarMetadata:
    source: Path
    format: str  # json | xml | xdcam | p2
    title: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    descriptive: Mapping[str, Any] = field(default_factory=dict)
    """Core descriptive fields (mam.metadata.CORE_FIELDS) and ``custom``."""
    facts: Mapping[str, str] = field(default_factory=dict)
    """Card facts (camera, clip, start_timecode...), kept as custom values where the tenant defines them."""
    problems: tuple[str, ...] = ()


def read_sidecar(path: Path) -> SidecarMetadata:
    """Read ``path`` (.json or .xml); SidecarError says why a file is refused."""
    try:
        data = path.read_bytes()[: MAX_SIDECAR_BYTES + 1]
    except OSError as exc:
        raise SidecarError(f"cannot read {path.name}: {exc}") from exc
    if path.suffix.lower() == ".json":
        return _from_json(path, data)
    root = parse_untrusted(data, path.name)
    kind = _local(root.tag)
    if kind == "NonRealTimeMeta":
        return _from_xdcam(path, root)
    if kind == "P2Main":
        return _from_p2(path, root)
    if kind == "mam":
        return _from_generic(path, root)
    raise SidecarError(f"{path.name}: unknown XML sidecar <{kind}>; expected <mam>, <NonRealTimeMeta> or <P2Main>")


def _tags(value: Any) -> tuple[str, ...]:
    items = value.replace("，", ",").split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise SidecarError("tags must be a list or comma-separated text")
    return tuple(str(t).strip() for t in items if str(t).strip())


def _from_json(path: Path, data: bytes) -> SidecarMetadata:
    if len(data) > MAX_SIDECAR_BYTES:
        raise SidecarError(f"{path.name} is larger than {MAX_SIDECAR_BYTES} bytes")
    try:
        body = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SidecarError(f"{path.name} is not valid UTF-8 JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise SidecarError(f"{path.name}: the JSON must be an object of field names to values")
    return _from_mapping(path, "json", body)


def _from_mapping(path: Path, fmt: str, body: Mapping[str, Any]) -> SidecarMetadata:
    problems = [
        f"unknown field {k!r} ignored" for k in body if k not in {"title", "description", "tags", "custom", *FIELDS}
    ]
    descriptive: dict[str, Any] = {k: body[k] for k in FIELDS if body.get(k) not in (None, "")}
    if isinstance(body.get("custom"), Mapping) and body["custom"]:
        descriptive["custom"] = dict(body["custom"])
    elif body.get("custom"):
        problems.append("custom must be an object of field names to values; ignored")
    text = {k: str(body[k]).strip() for k in ("title", "description") if body.get(k) not in (None, "")}
    return SidecarMetadata(
        path,
        fmt,
        title=text.get("title") or None,
        description=text.get("description"),
        tags=_tags(body.get("tags") or []),
        descriptive=descriptive,
        problems=tuple(problems),
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (c for c in element if _local(c.tag) == name)


def _find(element: ET.Element | None, path: str) -> ET.Element | None:
    """Namespace-agnostic ``find``: ``path`` is local names separated by ``/``."""
    for name in path.split("/"):
        if element is None:
            return None
        element = next(_children(element, name), None)
    return element


def _text(element: ET.Element | None, path: str) -> str:
    found = _find(element, path)
    return (found.text or "").strip() if found is not None else ""


def _from_generic(path: Path, root: ET.Element) -> SidecarMetadata:
    body: dict[str, Any] = {}
    for child in root:
        name = _local(child.tag)
        if name == "tags":
            body["tags"] = [(t.text or "").strip() for t in _children(child, "tag")]
        elif name == "custom":
            body.setdefault("custom", {})[child.get("name", "")] = (child.text or "").strip()
        else:
            body[name] = (child.text or "").strip()
    return _from_mapping(path, "xml", body)


def _bcd_timecode(value: str) -> str:
    """XDCAM LtcChange ``value`` (8 hex digits, FFSSMMHH with flag bits) as HH:MM:SS:FF."""
    if len(value) != 8:
        return ""
    ff, ss, mm, hh = (int(value[i : i + 2], 16) for i in (0, 2, 4, 6))
    ff, ss, mm, hh = ff & 0x3F, ss & 0x7F, mm & 0x7F, hh & 0x3F
    return f"{hh:02x}:{mm:02x}:{ss:02x}:{ff:02x}"


def _from_xdcam(path: Path, root: ET.Element) -> SidecarMetadata:
    facts: dict[str, str] = {}
    device = _find(root, "Device")
    if device is not None:
        camera = " ".join(v for v in (device.get("manufacturer"), device.get("modelName")) if v)
        if camera:
            facts["camera"] = camera
    start = next((c for c in _children(_find(root, "LtcChangeTable") or root, "LtcChange")), None)
    if start is not None and start.get("frameCount", "0") == "0":
        facts["start_timecode"] = _bcd_timecode(start.get("value", ""))
    duration = _find(root, "Duration")
    if duration is not None and duration.get("value"):
        facts["duration_frames"] = duration.get("value", "")
    facts["clip"] = path.stem[:-3] if path.stem.upper().endswith("M01") else path.stem
    created = _find(root, "CreationDate")
    descriptive: dict[str, Any] = {}
    if created is not None and created.get("value"):
        descriptive["shoot_date"] = created.get("value", "")[:10]
    title = _find(root, "Title")
    model = device.get("modelName") if device is not None else None
    return SidecarMetadata(
        path,
        "xdcam",
        title=(title.get("international") or title.get("usAscii")) if title is not None else None,
        tags=tuple(t for t in ("XDCAM", model) if t),
        descriptive=descriptive,
        facts={k: v for k, v in facts.items() if v},
    )


def _from_p2(path: Path, root: ET.Element) -> SidecarMetadata:
    content = _find(root, "ClipContent")
    meta = _find(content, "ClipMetadata")
    shoot = _find(meta, "Shoot")
    descriptive: dict[str, Any] = {}
    if _text(shoot, "StartDate"):
        descriptive["shoot_date"] = _text(shoot, "StartDate")[:10]
    place = _text(shoot, "Location/PlaceName")
    if place:
        descriptive["place"] = place
    reporter = _text(shoot, "Shooter") or _text(meta, "Access/Creator")
    if reporter:
        descriptive["reporter"] = reporter
    camera = " ".join(v for v in (_text(meta, "Device/Manufacturer"), _text(meta, "Device/ModelName")) if v)
    essence = _find(content, "EssenceList")
    facts = {
        "clip": _text(content, "ClipName"),
        "camera": camera,
        "start_timecode": _text(content, "EssenceList/Video/StartTimecode"),
        "duration_frames": _text(content, "Duration"),
        "audio_channels": str(len(list(_children(essence, "Audio")))) if essence is not None else "",
    }
    location = _find(shoot, "Location")
    if location is not None and _text(location, "Latitude"):
        facts["location"] = f"{_text(location, 'Latitude')},{_text(location, 'Longitude')}"
    return SidecarMetadata(
        path,
        "p2",
        title=_text(meta, "UserClipName") or None,
        description=_text(meta, "Memo/Text") or None,
        tags=tuple(t for t in ("P2", _text(meta, "Device/ModelName")) if t),
        descriptive=descriptive,
        facts={k: v for k, v in facts.items() if v},
    )
