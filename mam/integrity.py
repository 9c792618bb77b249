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

from sqlalchemy import func, select
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


def _referenced(session: Session) -> tuple[dict[str, tuple[str, int | None]], set[str]]:
    """Every key the catalog needs (with its asset, and the size it recorded where it did) and the
    folders whose objects it owns, read in one query per table (columns only, not whole rows)."""
    keys: dict[str, tuple[str, int | None]] = {}
    prefixes: set[str] = set()
    for asset_id, key, size in session.execute(select(Asset.id, Asset.original_key, Asset.size)):
        keys[key] = (asset_id, size)
    for asset_id, key in session.execute(select(Rendition.asset_id, Rendition.storage_key)):
        keys[key] = (asset_id, None)
        if key.rsplit("/", 1)[-1].startswith("master."):
            prefixes.add(_folder(key))  # a folder rendition owns its folder
    for asset_id, prefix, poster in session.execute(
        select(AssetAnalysis.asset_id, AssetAnalysis.storage_prefix, AssetAnalysis.poster_key)
    ):
        prefixes.add(prefix.rstrip("/") + "/")
        if poster:
            keys[poster] = (asset_id, None)
    for asset_id, keyframe in session.execute(select(ShotRow.asset_id, ShotRow.keyframe_key)):
        if keyframe:
            keys[keyframe] = (asset_id, None)
    for asset_id, result in session.execute(select(Job.asset_id, Job.result).where(Job.state == JobState.DONE)):
        output = (result or {}).get("output")
        if isinstance(output, dict) and isinstance(output.get("key"), str):
            keys[output["key"]] = (asset_id, None)
            prefixes.add(_folder(output["key"]))
    return keys, prefixes


def check_integrity(
    services: Services, *, grace: timedelta = ORPHAN_GRACE, now: float | None = None
) -> IntegrityReport:
    """Compare the catalog with the store (the whole store, listed once); ``now`` in seconds since the epoch."""
    report = IntegrityReport()
    stored = {o.key: o for o in services.storage.iter_objects()}
    report.objects = len(stored)
    with services.session() as session:
        active = (JobState.QUEUED, JobState.RUNNING)
        busy = set(session.scalars(select(Job.asset_id).where(Job.state.in_(active))))
        report.assets = session.scalar(select(func.count()).select_from(Asset)) or 0
        owned, owned_prefixes = _referenced(session)
    for key, (asset_id, size) in owned.items():
        found = stored.get(key)
        if found is None:
            report.findings.append(Finding("missing", key, asset_id, "the catalog refers to it"))
        elif size is not None and found.size != size:
            report.findings.append(Finding("size", key, asset_id, f"{found.size} bytes stored, {size} recorded"))
    cutoff = (time.time() if now is None else now) - grace.total_seconds()
    for key, obj in sorted(stored.items()):
        if key in owned or any(folder in owned_prefixes for folder in _folders(key)):
            continue
        under = _asset_id(key)
        if under in busy or (obj.modified is not None and obj.modified > cutoff):
            continue
        report.findings.append(
            Finding("orphan", key, under, f"{obj.size} bytes nothing in the catalog refers to", obj.size)
        )
    return report


def remove_orphans(services: Services, report: IntegrityReport) -> int:
    """Delete the orphans the report found; how many were deleted."""
    removed = 0
    for finding in report.of("orphan"):
        services.storage.delete(finding.key)
        removed += 1
    return removed
