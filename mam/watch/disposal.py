"""What becomes of a source file once it has been handled: kept, moved to ``done/``, deleted, or
moved to ``failed/`` beside a text file saying why."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["move_aside", "move_to_failed", "unique_path"]


def unique_path(path: Path) -> Path:
    """``path``, or ``name (1).ext``, ``name (2).ext``... if it is taken."""
    candidate, n = path, 0
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
    return candidate


def move_aside(root: Path, path: Path, into: str) -> Path:
    """Move ``path`` to ``root/into/<its path relative to root>`` (never over another file)."""
    target = unique_path(root / into / path.relative_to(root))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(path, target)
    except OSError:  # e.g. `done/` on another device (a mount point inside the share)
        shutil.move(path, target)
    return target


def move_to_failed(root: Path, path: Path, reason: str) -> Path:
    """Move ``path`` to ``root/failed/`` and write ``<name>.txt`` next to it with ``reason``."""
    target = move_aside(root, path, "failed")
    note = target.with_name(target.name + ".txt")
    when = datetime.now(UTC).isoformat(timespec="seconds")
    note.write_text(f"{path.name} was not ingested ({when}):\n{reason}\n", encoding="utf-8")
    return target
