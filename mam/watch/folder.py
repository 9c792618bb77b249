"""One watch folder: poll it, ingest each file once it is complete, then dispose of the source."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mam.errors import IngestError, StorageError
from mam.ingest import IngestResult
from mam.services import Services
from mam.sharing import share_asset
from mam.sidecar import MediaItem, ingest_item, pair_files
from mam.watch.config import WatchFolder
from mam.watch.disposal import move_aside, move_to_failed
from mam.watch.ledger import Entry, Ledger, Outcome, ledger_path
from mam.watch.scanner import FileState, StabilityTracker, scan_folder

__all__ = ["FolderWatcher", "Handled"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handled:
    """What happened to one file."""

    path: Path
    outcome: Outcome
    asset_id: str | None = None
    reason: str | None = None


class FolderWatcher:
    def __init__(self, services: Services, folder: WatchFolder, state_dir: Path) -> None:
        self.services = services
        self.folder = folder
        self.tenant = folder.tenant or services.settings.default_tenant
        self.ledger = Ledger(ledger_path(state_dir, folder.path, self.tenant), folder.path)
        self.tracker = StabilityTracker()
        self._missing_reported = False
        self._items: dict[Path, MediaItem] = {}

    def poll(self, now: float) -> list[Handled]:
        """Look at the folder once (``now`` is a monotonic time); handle every file now complete."""
        root = self.folder.path
        if not root.is_dir():
            if not self._missing_reported:
                log.warning("watch folder %s does not exist (not mounted?); waiting for it", root)
                self._missing_reported = True
            return []
        self._missing_reported = False
        states = list(scan_folder(root, self.folder.recursive))
        self.ledger.prune({self.ledger.key(s.path) for s in states})
        self._items = {item.media: item for item in pair_files(s.path for s in states)}  # sidecars, card clips
        fresh = [s for s in states if s.path in self._items and not self.ledger.handled(s.path, s.size, s.mtime_ns)]
        stable = self.tracker.observe(fresh, now, self.folder.quiet_seconds)
        handled = []
        for state in stable:
            result = self._handle(state)
            if result is not None:
                handled.append(result)
        return handled

    def _handle(self, state: FileState) -> Handled | None:
        path = state.path
        if _changed(path, state):
            return None  # written to since the last poll; the tracker starts its quiet period again
        meta = self.folder.metadata
        item = self._items.get(path, MediaItem(path))
        try:
            ingested = ingest_item(
                self.services,
                item,
                tenant_id=self.tenant,
                title=meta.title,
                description=meta.description,
                tags=meta.tags,
                profiles=self.folder.profiles,
            )
            result = ingested.result
            if self.folder.share_with:  # a feed folder: ingested once, shared with its subscribers
                with self.services.session() as session:
                    share_asset(session, self.tenant, result.asset.id, self.folder.share_with)
        except IngestError as exc:
            return self._failed(state, str(exc))
        except Exception:  # the catalog or store is unavailable: not the file's fault, try again later
            log.exception("ingesting %s failed; trying again after the quiet period", path)
            self.tracker.forget(path)
            return None
        if _changed(path, state):  # a writer paused longer than the quiet period, then went on
            log.warning(
                "%s changed while it was ingested (as %s); it stays in place and is ingested again once "
                "complete: make quiet_seconds longer than the writer's pauses",
                path,
                result.asset.id,
            )
            return None
        for problem in ingested.problems:
            log.warning("%s: sidecar %s: %s", path, item.sidecar, problem)
        if ingested.refused:
            log.warning("%s was ingested without its sidecar: %s", path, ingested.refused)
        handled = self._done(state, result)
        if item.sidecar is not None and item.card is None and self.folder.after == "move":
            try:  # the sidecar follows its media (a refused one goes to failed/ saying why)
                if ingested.refused:
                    move_to_failed(self.folder.path, item.sidecar, ingested.refused)
                else:
                    move_aside(self.folder.path, item.sidecar, "done")
            except OSError as exc:
                log.warning("could not move the sidecar %s: %s", item.sidecar, exc)
        return handled

    def _done(self, state: FileState, result: IngestResult) -> Handled:
        outcome: Outcome = "duplicate" if result.duplicate else "ingested"
        asset = result.asset
        log.info("%s %s: asset %s (tenant %s)", outcome, state.path, asset.id, self.tenant)
        self.ledger.record(state.path, Entry(state.size, state.mtime_ns, outcome, asset.id, at=_now()))
        try:
            if self.folder.after == "move":
                move_aside(self.folder.path, state.path, "done")
            elif self.folder.after == "delete":
                stored = self.services.storage.size(asset.original_key)
                if stored != asset.size or asset.size != state.size:
                    raise StorageError(f"the stored original of {asset.id} is {stored} bytes, the file {state.size}")
                state.path.unlink()
        except (OSError, StorageError) as exc:
            log.warning("%s was %s but could not be %sd: %s", state.path, outcome, self.folder.after, exc)
        return Handled(state.path, outcome, asset.id)

    def _failed(self, state: FileState, reason: str) -> Handled:
        log.warning("%s failed: %s", state.path, reason)
        self.ledger.record(state.path, Entry(state.size, state.mtime_ns, "failed", reason=reason, at=_now()))
        try:
            move_to_failed(self.folder.path, state.path, reason)
        except OSError as exc:
            log.warning("could not move %s to failed/: %s", state.path, exc)
        return Handled(state.path, "failed", reason=reason)


def _changed(path: Path, state: FileState) -> bool:
    try:
        st = path.stat()
    except FileNotFoundError:
        return True
    return (st.st_size, st.st_mtime_ns) != (state.size, state.mtime_ns)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
