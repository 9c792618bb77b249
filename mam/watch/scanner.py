"""Find candidate files in a watch folder and decide when each is complete.

A file counts as complete once its size and modification time have stayed the same for the
folder's quiet period, measured on this process's monotonic clock between polls (no file-system
events are needed, so network shares without inotify work too). Temporary names are never
candidates: dot-files, ``.part``, ``.tmp`` and the like, which copy tools and recorders rename
into place when they finish.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RESERVED_DIRS", "FileState", "StabilityTracker", "is_temporary", "scan_folder"]

TEMPORARY_SUFFIXES = (
    ".part",
    ".partial",
    ".tmp",
    ".temp",
    ".crdownload",
    ".download",
    ".filepart",
    ".!sync",
    "~",
)
RESERVED_DIRS = frozenset({"done", "failed"})
"""Folders inside a watch folder that hold finished files; never scanned."""


def is_temporary(name: str) -> bool:
    """True for names that say "still being written": dot-files, ``~$`` locks and temp suffixes."""
    lowered = name.lower()
    return name.startswith((".", "~$")) or lowered.endswith(TEMPORARY_SUFFIXES)


@dataclass(frozen=True)
class FileState:
    path: Path
    size: int
    mtime_ns: int


def scan_folder(root: Path, recursive: bool, *, top: bool = True) -> Iterator[FileState]:
    """Regular, non-temporary files under ``root`` (skipping dot-dirs, and ``done/`` and
    ``failed/`` at the top)."""
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return
    for entry in entries:
        if is_temporary(entry.name):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                if recursive and not (top and entry.name in RESERVED_DIRS):
                    yield from scan_folder(Path(entry.path), recursive=True, top=False)
                continue
            if not entry.is_file():
                continue
            st = entry.stat()
        except FileNotFoundError:  # renamed or removed while we looked
            continue
        yield FileState(Path(entry.path), st.st_size, st.st_mtime_ns)


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float


class StabilityTracker:
    """Remembers each file's last size and mtime and since when they have not changed."""

    def __init__(self) -> None:
        self._seen: dict[Path, _Seen] = {}

    def observe(self, states: list[FileState], now: float, quiet_seconds: float) -> list[FileState]:
        """Record one poll; return the files unchanged for ``quiet_seconds`` (empty files never)."""
        stable: list[FileState] = []
        present = set()
        for state in states:
            present.add(state.path)
            seen = self._seen.get(state.path)
            if seen is None or (seen.size, seen.mtime_ns) != (state.size, state.mtime_ns):
                self._seen[state.path] = _Seen(state.size, state.mtime_ns, now)
                continue
            if state.size > 0 and now - seen.since >= quiet_seconds:
                stable.append(state)
        for gone in set(self._seen) - present:
            del self._seen[gone]
        return stable

    def quiet_for(self, path: Path, now: float) -> float:
        """How long ``path`` has been unchanged (0 if it was not in the last poll)."""
        seen = self._seen.get(path)
        return now - seen.since if seen is not None else 0.0

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)
