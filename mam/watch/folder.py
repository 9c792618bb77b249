"""One watch folder: poll it, ingest each file once it is complete, then dispose of the source.

A media file and its sidecar are one unit. The media is taken once it *and* its sidecar (if one is
there) have both been quiet for the folder's quiet period, so a sidecar still being written is never
read half-written, and a sidecar that lands while its media waits is taken with it. A sidecar that
lands after its media was handled (at most ``late_sidecar_seconds`` later, whether the media was
kept, moved or deleted) is merged into the asset the media became; if the media was a duplicate it
follows the media without being applied, and if the media failed it joins it in ``failed/``. A
sidecar with no media waits for one (media often lands after its sidecar); one that comes too late
is left alone.

A file that cannot be ingested, for a reason of its own or an unexpected error, goes to ``failed/``
once with a note saying why, and the watcher goes on. Only the catalog or the store being
unavailable, which is not the file's fault, leaves it in place to be tried again after another quiet
period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import OperationalError

from mam.audit import Actor
from mam.errors import BusyError, IngestError, MamError, SidecarError, StorageError
from mam.ingest import IngestResult
from mam.jobs.attempts import human_reason
from mam.services import Services
from mam.sharing import share_asset
from mam.sidecar import MediaItem, ingest_item, is_sidecar, merge_sidecar, pair_files, read_sidecar
from mam.watch.config import WatchFolder
from mam.watch.disposal import move_aside, move_to_failed
from mam.watch.ledger import Entry, Ledger, Outcome, ledger_path
from mam.watch.scanner import FileState, StabilityTracker, scan_folder

__all__ = ["FolderWatcher", "Handled"]

log = logging.getLogger(__name__)

_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, StorageError, BusyError)
"""The catalog or the store cannot be reached, or the server is too busy to probe: try the file again
later rather than failing it."""


@dataclass(frozen=True)
class Handled:
    """What happened to one file (a media file, or a sidecar that came after its media)."""

    path: Path
    outcome: Outcome
    asset_id: str | None = None
    reason: str | None = None


class FolderWatcher:
    def __init__(self, services: Services, folder: WatchFolder, state_dir: Path) -> None:
        self.services = services
        self.folder = folder
        self.tenant = folder.tenant or services.settings.default_tenant
        self._actor = Actor.local(self.tenant, f"watch:{folder.path}")  # who the audit trail says ingested
        self.ledger = Ledger(ledger_path(state_dir, folder.path, self.tenant), folder.path)
        self.tracker = StabilityTracker()
        self._missing_reported = False

    def poll(self, now: float) -> list[Handled]:
        """Look at the folder once (``now`` is a monotonic time); handle every unit now complete."""
        root = self.folder.path
        if not root.is_dir():
            if not self._missing_reported:
                log.warning("watch folder %s does not exist (not mounted?); waiting for it", root)
                self._missing_reported = True
            return []
        self._missing_reported = False
        states = {s.path: s for s in scan_folder(root, self.folder.recursive)}
        self.ledger.prune({self.ledger.key(path) for path in states})
        self.ledger.expire(self.folder.late_sidecar_seconds)
        items = pair_files(sorted(states))  # sidecars, card clips
        essence = {item.media for item in items} | {c for item in items for c in item.companions}
        watched = [s for p, s in states.items() if (p in essence or is_sidecar(p)) and not self._handled(s)]
        stable = {s.path: s for s in self.tracker.observe(watched, now, self.folder.quiet_seconds)}
        handled: list[Handled] = []
        claimed: set[Path] = set()  # sidecars that go with a media file still to be handled
        used: set[Path] = set()
        for item in items:
            if item.media not in states or self._handled(states[item.media]):
                continue
            if item.sidecar is not None:
                claimed.add(item.sidecar)
                if item.sidecar in used:  # clip.mp4 and clip.wav beside one clip.json: the first takes it
                    item = replace(item, sidecar=None)
            ready = stable.get(item.media)
            sidecar = states.get(item.sidecar) if item.sidecar is not None else None
            if ready is None or not self._unit_ready(item, sidecar, stable, now):
                continue  # the media, its sidecar or its other essence is still being written
            result = self._handle(item, ready, sidecar)
            if result is not None:
                handled.append(result)
                if item.sidecar is not None:
                    used.add(item.sidecar)
        for path, state in stable.items():
            if is_sidecar(path) and path not in claimed:
                result = self._late_sidecar(state)
                if result is not None:
                    handled.append(result)
        return handled

    def _handled(self, state: FileState) -> bool:
        return self.ledger.handled(state.path, state.size, state.mtime_ns)

    def _unit_ready(
        self, item: MediaItem, sidecar: FileState | None, stable: dict[Path, FileState], now: float
    ) -> bool:
        """The rest of the unit is complete: its sidecar and companions quiet, and a P2 clip's XML there
        with as many audio files as it lists (a card is often copied one folder after another)."""
        if sidecar is not None and not self._sidecar_ready(sidecar, stable, now):
            return False
        if any(c not in stable for c in item.companions):
            return False
        if item.card != "p2":
            return True
        if item.sidecar is None:
            return False  # a P2 clip is taken with its clip XML
        try:
            expected = int(read_sidecar(item.sidecar).facts.get("audio_channels", "0"))
        except (SidecarError, ValueError):
            return True  # a refused XML does not hold its clip back (the ingest reports it)
        return len(item.companions) >= expected

    def _sidecar_ready(self, sidecar: FileState, stable: dict[Path, FileState], now: float) -> bool:
        """Quiet for the quiet period (an empty one too: it is then refused, not waited for forever),
        or handled already and unchanged."""
        if sidecar.path in stable or self._handled(sidecar):
            return True
        return sidecar.size == 0 and self.tracker.quiet_for(sidecar.path, now) >= self.folder.quiet_seconds

    def _handle(self, item: MediaItem, state: FileState, sidecar: FileState | None) -> Handled | None:
        path = state.path
        if _changed(path, state) or (sidecar is not None and _changed(sidecar.path, sidecar)):
            return None  # written to since the last poll; the tracker starts its quiet period again
        meta = self.folder.metadata
        try:
            ingested = ingest_item(
                self.services,
                item,
                tenant_id=self.tenant,
                title=meta.title,
                description=meta.description,
                tags=meta.tags,
                profiles=self.folder.profiles,
                where_applicable=True,  # the folder's list is for every file: made where it applies
                actor=self._actor,
                lane=self.folder.lane,
            )
            result = ingested.result
            if self.folder.share_with:  # a feed folder: ingested once, shared with its subscribers
                with self.services.session() as session:
                    share_asset(session, self.tenant, result.asset.id, self.folder.share_with, actor=self._actor)
        except IngestError as exc:
            return self._failed(item, state, sidecar, str(exc))
        except _UNAVAILABLE as exc:  # not the file's fault: try again after another quiet period
            log.warning("%s could not be ingested now (%s); trying again after the quiet period", path, exc)
            self.tracker.forget(path)
            return None
        except Exception as exc:  # a fault of ours: say so once, in failed/, and go on with the others
            log.exception("ingesting %s failed unexpectedly", path)
            return self._failed(item, state, sidecar, human_reason(exc))
        if _changed(path, state):  # a writer paused longer than the quiet period, then went on
            log.warning(
                "%s changed while it was ingested (as %s); it stays in place and is ingested again once "
                "complete: make quiet_seconds longer than the writer's pauses",
                path,
                result.asset.id,
            )
            return None
        for problem in ingested.problems:
            log.warning("%s: %s", path, problem)
        if ingested.refused:
            log.warning("%s was ingested without its sidecar: %s", path, ingested.refused)
        handled, disposed = self._done(state, result, rewrapped=ingested.rewrapped)
        if sidecar is not None:
            self._dispose_sidecar(sidecar, handled.outcome, result.asset.id, ingested.refused, follow=disposed)
        if disposed and ingested.rewrapped:  # the companions are in the original too: they follow the media
            for companion in item.companions:
                self._dispose_companion(companion)
        return handled

    def _done(self, state: FileState, result: IngestResult, *, rewrapped: bool) -> tuple[Handled, bool]:
        """Record the media as handled and dispose of it; also says whether it left the folder."""
        outcome: Outcome = "duplicate" if result.duplicate else "ingested"
        asset = result.asset
        log.info("%s %s: asset %s (tenant %s)", outcome, state.path, asset.id, self.tenant)
        self.ledger.remember(state.path, outcome, asset.id)
        self.ledger.record(state.path, Entry(state.size, state.mtime_ns, outcome, asset.id, at=_now()))
        disposed = False
        try:
            if self.folder.after == "move":
                move_aside(self.folder.path, state.path, "done")
                disposed = True
            elif self.folder.after == "delete":
                stored = self.services.storage.size(asset.original_key)
                if stored != asset.size or (asset.size != state.size and not rewrapped):
                    raise StorageError(f"the stored original of {asset.id} is {stored} bytes, the file {state.size}")
                state.path.unlink()
                disposed = True
        except (OSError, StorageError) as exc:
            log.warning("%s was %s but could not be %sd: %s", state.path, outcome, self.folder.after, exc)
        return Handled(state.path, outcome, asset.id), disposed

    def _dispose_companion(self, path: Path) -> None:
        try:
            if self.folder.after == "move":
                move_aside(self.folder.path, path, "done")
            elif self.folder.after == "delete":
                path.unlink()
        except OSError as exc:
            log.warning("could not dispose of %s: %s", path, exc)

    def _failed(self, item: MediaItem, state: FileState, sidecar: FileState | None, reason: str) -> Handled:
        reason = reason.removeprefix(f"{state.path.name}: ")  # the note and the report name the file already
        log.warning("%s failed: %s", state.path, reason)
        self.ledger.remember(state.path, "failed", None)
        self.ledger.record(state.path, Entry(state.size, state.mtime_ns, "failed", reason=reason, at=_now()))
        try:
            move_to_failed(self.folder.path, state.path, reason)
        except OSError as exc:
            log.warning("could not move %s to failed/: %s", state.path, exc)
        if sidecar is not None and item.card is None:  # the unit failed: its sidecar goes with it
            self._dispose_sidecar(sidecar, "failed", None, f"its media {state.path.name} was not ingested: {reason}")
        return Handled(state.path, "failed", reason=reason)

    def _late_sidecar(self, state: FileState) -> Handled | None:
        """A complete sidecar whose media was handled already (merged into its asset), or none yet (waits)."""
        recent = self.ledger.recent(state.path, self.folder.late_sidecar_seconds)
        if recent is None or _changed(state.path, state):
            return None  # its media has not come yet (or came too long ago)
        if recent.outcome == "failed":
            reason = f"its media {recent.media} was not ingested (see failed/)"
            self._dispose_sidecar(state, "failed", None, reason)
            return Handled(state.path, "failed", reason=reason)
        assert recent.asset_id is not None
        if recent.outcome == "duplicate":  # like a sidecar that came with a duplicate: not applied
            self._dispose_sidecar(state, "duplicate", recent.asset_id, None)
            return Handled(state.path, "duplicate", recent.asset_id)
        try:
            problems = merge_sidecar(self.services, state.path, tenant_id=self.tenant, asset_id=recent.asset_id)
        except _UNAVAILABLE as exc:
            log.warning("sidecar %s could not be merged now (%s); trying again later", state.path, exc)
            self.tracker.forget(state.path)
            return None
        except (SidecarError, MamError) as exc:
            reason = f"not merged into asset {recent.asset_id}: {exc}"
            self._dispose_sidecar(state, "failed", recent.asset_id, reason)
            return Handled(state.path, "failed", recent.asset_id, reason)
        for problem in problems:
            log.warning("sidecar %s: %s", state.path, problem)
        log.info("sidecar %s merged into asset %s (tenant %s)", state.path, recent.asset_id, self.tenant)
        self._dispose_sidecar(state, "merged", recent.asset_id, None)
        return Handled(state.path, "merged", recent.asset_id)

    def _dispose_sidecar(
        self, state: FileState, outcome: Outcome, asset_id: str | None, refused: str | None, *, follow: bool = True
    ) -> None:
        """A refused sidecar goes to failed/ saying why; one used goes where its media went (``follow``),
        or stays recorded as handled."""
        path = state.path
        try:
            if refused is not None:
                move_to_failed(self.folder.path, path, refused)
            elif follow and self.folder.after == "move":
                move_aside(self.folder.path, path, "done")
            elif follow and self.folder.after == "delete":
                path.unlink()
            else:
                self.ledger.record(path, Entry(state.size, state.mtime_ns, outcome, asset_id, at=_now()))
        except OSError as exc:
            log.warning("could not dispose of the sidecar %s: %s", path, exc)
            self.ledger.record(path, Entry(state.size, state.mtime_ns, outcome, asset_id, refused, at=_now()))


def _changed(path: Path, state: FileState) -> bool:
    try:
        st = path.stat()
    except FileNotFoundError:
        return True
    return (st.st_size, st.st_mtime_ns) != (state.size, state.mtime_ns)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
