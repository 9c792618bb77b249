"""The catalog's integrity check: every byte the catalog points at is in the store, and every object in
the store belongs to something the catalog knows.

Findings, by kind:

- **missing** (an error): an original, a rendition, an analysis picture or an export output the
  catalog refers to is not in the store;
- **size** (an error): an original whose stored size differs from the size the catalog recorded;
- **orphan**: an object under an asset's prefix that nothing in the catalog refers to (a render or an
  ingest stopped between storing and registering, or an asset the catalog no longer has), or the
  temporary file of a copy that was cut short. Objects younger than the grace period, and those of
  an asset with a job queued or running, are left out: their registration may still be coming.

:func:`check_integrity` reports; :func:`remove_orphans` deletes the orphans of a report. Both read the
whole store listing once (``mam check`` runs them; the janitor removes orphans on its rounds).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mam.models import Asset, AssetAnalysis, Job, JobState, Rendition, ShotRow
from mam.services import Services

__all__ = ["ORPHAN_GRACE", "Finding", "IntegrityReport", "check_integrity", "remove_orphans"]

ORPHAN_GRACE = timedelta(hours=1)
"""An unreferenced object younger than this may still be registered by an ingest or a render."""


@dataclass(frozen=True)
class Finding:
    kind: str
    """``missing``, ``size`` or ``orphan``."""
    key: str
    asset_id: str | None
    detail: str
    size: int = 0
    """An orphan's size in bytes."""


@dataclass
class IntegrityReport:
    assets: int = 0
    objects: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No missing bytes and no wrong sizes (orphans waste space but lose nothing)."""
        return not any(f.kind in ("missing", "size") for f in self.findings)

    def of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "assets": self.assets,
            "objects": self.objects,
            "missing": len(self.of("missing")),
            "size": len(self.of("size")),
            "orphans": len(self.of("orphan")),
            "findings": [asdict(f) for f in self.findings],
        }


def _folder(key: str) -> str:
    return key.rsplit("/", 1)[0] + "/"


def _folders(key: str) -> Iterable[str]:
    """Every folder a key sits in: ``a/``, ``a/b/``, ... (not the key itself)."""
    parts = key.split("/")[:-1]
    return ("/".join(parts[: i + 1]) + "/" for i in range(len(parts)))


def _asset_id(key: str) -> str | None:
    """The asset a key sits under (``{tenant}/assets/{asset}/...``), if any."""
    parts = key.split("/")
    return parts[2] if len(parts) > 3 and parts[1] == "assets" else None


def _referenced(session: Session, asset: Asset) -> tuple[dict[str, int | None], list[str]]:
    """(keys the catalog needs, with the size it recorded where it did; prefixes whose objects it owns)."""
    keys: dict[str, int | None] = {asset.original_key: asset.size}
    prefixes: list[str] = []
    for rendition in session.scalars(select(Rendition).where(Rendition.asset_id == asset.id)):
        keys[rendition.storage_key] = None
        if rendition.storage_key.rsplit("/", 1)[-1].startswith("master."):
            prefixes.append(_folder(rendition.storage_key))  # a folder rendition owns its folder
    analysis = session.get(AssetAnalysis, asset.id)
    if analysis is not None:
        prefixes.append(analysis.storage_prefix.rstrip("/") + "/")
        if analysis.poster_key:
            keys[analysis.poster_key] = None
        for shot in _keyframes(session, asset.id):
            keys[shot] = None
    for job in session.scalars(select(Job).where(Job.asset_id == asset.id, Job.state == JobState.DONE)):
        output = (job.result or {}).get("output")
        if isinstance(output, dict) and isinstance(output.get("key"), str):
            keys[output["key"]] = None
            prefixes.append(_folder(output["key"]))
    return keys, prefixes


def _keyframes(session: Session, asset_id: str) -> Iterable[str]:
    return [k for k in session.scalars(select(ShotRow.keyframe_key).where(ShotRow.asset_id == asset_id)) if k]


def check_integrity(
    services: Services, *, grace: timedelta = ORPHAN_GRACE, now: float | None = None
) -> IntegrityReport:
    """Compare the catalog with the store (the whole store, listed once); ``now`` in seconds since the epoch."""
    report = IntegrityReport()
    stored = {o.key: o for o in services.storage.iter_objects()}
    report.objects = len(stored)
    owned: set[str] = set()
    owned_prefixes: set[str] = set()
    busy: set[str] = set()
    with services.session() as session:
        active = (JobState.QUEUED, JobState.RUNNING)
        busy = set(session.scalars(select(Job.asset_id).where(Job.state.in_(active))))
        for asset in session.scalars(select(Asset)):
            report.assets += 1
            keys, prefixes = _referenced(session, asset)
            owned.update(keys)
            owned_prefixes.update(prefixes)
            for key, size in keys.items():
                found = stored.get(key)
                if found is None:
                    report.findings.append(Finding("missing", key, asset.id, "the catalog refers to it"))
                elif size is not None and found.size != size:
                    detail = f"{found.size} bytes stored, {size} recorded"
                    report.findings.append(Finding("size", key, asset.id, detail))
    cutoff = (time.time() if now is None else now) - grace.total_seconds()
    for key, obj in sorted(stored.items()):
        if key in owned or any(folder in owned_prefixes for folder in _folders(key)):
            continue
        asset_id = _asset_id(key)
        if asset_id in busy or (obj.modified is not None and obj.modified > cutoff):
            continue
        report.findings.append(
            Finding("orphan", key, asset_id, f"{obj.size} bytes nothing in the catalog refers to", obj.size)
        )
    return report


def remove_orphans(services: Services, report: IntegrityReport) -> int:
    """Delete the orphans the report found; how many were deleted."""
    removed = 0
    for finding in report.of("orphan"):
        services.storage.delete(finding.key)
        removed += 1
    return removed
