"""Pair media files with their sidecars, and pick the clips out of camera-card folders.

* A plain file ``clip.mp4`` takes ``clip.json`` or ``clip.xml`` beside it (JSON first).
* XDCAM / XAVC cards (``Clip/C0001.MXF`` + ``Clip/C0001M01.XML``; ``XDROOT/Clip``, ``M4ROOT/CLIP``;
  XDCAM EX ``BPAV/CLPR/<clip>/<clip>.MP4`` + ``<clip>M01.XML``): each clip is one asset with its
  NonRealTimeMeta; proxies (``Sub/``), thumbnails and index files of the card (``M4ROOT/STATUS.BIN``,
  P2's ``LASTCLIP.TXT`` beside ``CONTENTS``) are not ingested.
* P2 cards (``CONTENTS/VIDEO/0001AB.MXF`` + ``CONTENTS/CLIP/0001AB.XML``): each clip is one asset
  from its video MXF with the clip XML. P2 keeps each audio channel in ``CONTENTS/AUDIO/<clip>NN.MXF``;
  those are the clip's ``companions``, rewrapped with the video into the asset's original (never
  assets of their own).
* AVCHD cards (``PRIVATE/AVCHD/BDMV/STREAM/00000.MTS``): each stream file is one asset; the card's
  index files (``INDEX.BDM``, ``MOVIEOBJ.BDM``, ``PLAYLIST/*.MPL``, ``CLIPINF/*.CPI``, their ``BACKUP/``
  copies and ``AVCHDTN/`` thumbnails) are not ingested.

``.json`` and ``.xml`` files are never ingested as media.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SIDECAR_SUFFIXES", "MediaItem", "is_sidecar", "pair_files"]

SIDECAR_SUFFIXES = (".json", ".xml")
_CARD_MEDIA = (".mxf", ".mp4", ".mov")
_CARD_ROOTS = {"M4ROOT", "XDROOT", "BPAV"}
_AVCHD_STREAMS = (".mts", ".m2ts")
_CARD_INDEX = (".txt", ".bin")
"""Suffixes of a card's own index files at its root (P2 ``LASTCLIP.TXT``, XAVC ``STATUS.BIN``)."""


@dataclass(frozen=True)
class MediaItem:
    media: Path
    sidecar: Path | None = None
    card: str | None = None  # xdcam | p2 | avchd | None
    companions: tuple[Path, ...] = ()
    """Other essence files of the clip that the asset does not carry (a P2 clip's audio channels)."""


def is_sidecar(path: Path) -> bool:
    return path.suffix.lower() in SIDECAR_SUFFIXES


def _sibling(path: Path, name: str) -> Path | None:
    """``path.parent / name``, matching the name in any case (cards are FAT: upper case, often)."""
    wanted = name.lower()
    try:
        return next((p for p in path.parent.iterdir() if p.name.lower() == wanted and p.is_file()), None)
    except OSError:
        return None


def _children(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _has_dir(folder: Path, name: str) -> bool:
    return any(p.name.upper() == name and p.is_dir() for p in _children(folder))


def _is_card_root(folder: Path) -> bool:
    """A folder that holds a card's tree: P2 ``CONTENTS`` (with ``CLIP`` or ``VIDEO``) or a Sony root."""
    for child in _children(folder):
        name = child.name.upper()
        if not child.is_dir():
            continue
        if name in _CARD_ROOTS or (name == "CONTENTS" and (_has_dir(child, "CLIP") or _has_dir(child, "VIDEO"))):
            return True
    return False


def _card_of(path: Path) -> tuple[str, Path | None] | None:
    """(card kind, clip XML) if ``path`` is a clip of a card; ("", None) for another file of a card; else None."""
    parts = [p.upper() for p in path.parts]
    parent, grand = parts[-2] if len(parts) > 1 else "", parts[-3] if len(parts) > 2 else ""
    suffix = path.suffix.lower()
    if "CONTENTS" in parts[:-1]:
        at = len(parts) - 1 - parts[::-1].index("CONTENTS")
        contents = Path(*path.parts[: at + 1])
        if _has_dir(contents, "CLIP") or _has_dir(contents, "VIDEO"):
            if at == len(parts) - 3 and parent == "VIDEO" and suffix == ".mxf":
                return "p2", _sibling(contents / "CLIP" / path.name, path.stem + ".xml")
            return "", None
    if "BDMV" in parts[:-1] or "AVCHDTN" in parts[:-1]:  # AVCHD: only STREAM/*.MTS are media
        if parent == "STREAM" and grand == "BDMV" and suffix in _AVCHD_STREAMS:
            return "avchd", None
        return "", None
    if "BPAV" in parts[:-1]:  # XDCAM EX: BPAV/CLPR/<clip>/<clip>.MP4; TAKR/, .SMI, .PPN, .BIM are the card's
        if grand == "CLPR" and path.stem.upper() == parent and suffix in _CARD_MEDIA:
            return "xdcam", _sibling(path, path.stem + "M01.xml")
        return "", None
    if parent == "CLIP" and suffix in _CARD_MEDIA:
        xml = _sibling(path, path.stem + "M01.xml")
        if xml is not None:
            return "xdcam", xml
    if parent in {"SUB", "EDIT", "GENERAL", "TAKE", "THMBNL", "USERDATA"} and _has_dir(path.parent.parent, "CLIP"):
        return "", None
    if suffix in _CARD_INDEX and (parent in _CARD_ROOTS or _is_card_root(path.parent)):
        return "", None  # the card's own index files
    return None


def _p2_audio(video: Path) -> tuple[Path, ...]:
    """A P2 clip's audio channel files: ``CONTENTS/AUDIO/<clip>00.MXF``, ``<clip>01.MXF``..."""
    stem = video.stem.upper()
    audio = next((p for p in _children(video.parent.parent) if p.name.upper() == "AUDIO" and p.is_dir()), None)
    if audio is None:
        return ()
    return tuple(
        sorted(
            p
            for p in _children(audio)
            if p.suffix.lower() == ".mxf" and p.stem.upper()[:-2] == stem and p.stem[-2:].isdigit()
        )
    )


def pair_files(files: Iterable[Path]) -> list[MediaItem]:
    """The media among ``files``, each with its sidecar or card clip XML; sidecars and card extras dropped."""
    items: list[MediaItem] = []
    for path in files:
        if is_sidecar(path):
            continue
        card = _card_of(path)
        if card is not None:
            kind, xml = card
            if kind:
                items.append(MediaItem(path, xml, kind, _p2_audio(path) if kind == "p2" else ()))
            continue
        sidecar = _sibling(path, path.stem + ".json") or _sibling(path, path.stem + ".xml")
        items.append(MediaItem(path, sidecar))
    return items
