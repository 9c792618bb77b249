"""What a watch folder has already handled, kept across restarts in a small JSON file.

One entry per file (by its path relative to the folder): the size and modification time it had
when it was handled, and what happened (``ingested``, ``duplicate``, ``merged`` for a late sidecar, or
``failed``). A file kept in place is not handled again unless it changes. Besides, each media file
handled is remembered for a while by its sidecar key (folder and stem) even once it has left the
folder, so that a sidecar landing soon after it is merged into its asset
(:meth:`Ledger.remember`, :meth:`Ledger.recent`). The file is rewritten atomically (temp + rename);
if the process dies between an ingest and the ledger write, the next run ingests the file again
and the catalog finds it a duplicate, so nothing is registered twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

__all__ = ["Entry", "Ledger", "Outcome", "Recent", "ledger_path", "sidecar_key"]

Outcome = Literal["ingested", "duplicate", "merged", "failed"]


@dataclass(frozen=True)
class Entry:
    size: int
    mtime_ns: int
    outcome: Outcome
    asset_id: str | None = None
    reason: str | None = None
    at: str = ""


@dataclass(frozen=True)
class Recent:
    """A media file handled not long ago: what became of it, and when (seconds since the epoch)."""

    media: str
    outcome: Outcome
    asset_id: str | None
    at: float


def sidecar_key(relative: str) -> str:
    """``day1/Clip.MP4`` and ``day1/clip.json`` both give ``day1/clip``: a media file and its sidecar meet here."""
    folder, _, name = relative.rpartition("/")
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    return f"{folder}/{stem}".lower() if folder else stem.lower()


def ledger_path(state_dir: Path, folder: Path, tenant: str) -> Path:
    """One ledger per (folder, tenant), named by a hash of both, under ``state_dir``."""
    digest = hashlib.sha256(f"{folder}\0{tenant}".encode()).hexdigest()[:16]
    return state_dir / f"{digest}.json"


class Ledger:
    def __init__(self, path: Path, folder: Path) -> None:
        self.path = path
        self.folder = folder
        self.entries: dict[str, Entry] = {}
        self.recents: dict[str, Recent] = {}
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                self.entries = {key: Entry(**value) for key, value in data.get("files", {}).items()}
                self.recents = {key: Recent(**value) for key, value in data.get("recent", {}).items()}
            except (ValueError, TypeError, AttributeError):
                # Starting empty is safe: files still in place are ingested again and found duplicates.
                log.warning("watch ledger %s is unreadable; starting a new one", path)

    def key(self, path: Path) -> str:
        return path.relative_to(self.folder).as_posix()

    def handled(self, path: Path, size: int, mtime_ns: int) -> bool:
        entry = self.entries.get(self.key(path))
        return entry is not None and (entry.size, entry.mtime_ns) == (size, mtime_ns)

    def entry(self, path: Path) -> Entry | None:
        return self.entries.get(self.key(path))

    def record(self, path: Path, entry: Entry) -> None:
        self.entries[self.key(path)] = entry
        self.save()

    def remember(self, media: Path, outcome: Outcome, asset_id: str | None) -> None:
        """Keep what became of ``media`` under its sidecar key, for a sidecar that lands later (saved
        with the next :meth:`record`)."""
        relative = self.key(media)
        self.recents[sidecar_key(relative)] = Recent(relative, outcome, asset_id, time.time())

    def recent(self, sidecar: Path, within_seconds: float) -> Recent | None:
        """The media handled at most ``within_seconds`` ago that ``sidecar`` belongs to, if any."""
        found = self.recents.get(sidecar_key(self.key(sidecar)))
        return found if found is not None and time.time() - found.at <= within_seconds else None

    def expire(self, within_seconds: float) -> None:
        """Forget media handled longer ago than ``within_seconds``."""
        now = time.time()
        old = [k for k, r in self.recents.items() if now - r.at > within_seconds]
        for key in old:
            del self.recents[key]
        if old:
            self.save()

    def prune(self, present: set[str]) -> None:
        """Forget files that are no longer in the folder (moved, deleted)."""
        gone = [k for k in self.entries if k not in present]
        for key in gone:
            del self.entries[key]
        if gone:
            self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "folder": str(self.folder),
            "files": {k: asdict(v) for k, v in self.entries.items()},
            "recent": {k: asdict(v) for k, v in self.recents.items()},
        }
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".ledger-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(body, handle, ensure_ascii=False, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
