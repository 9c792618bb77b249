"""The waveform of an asset's sound, for the web page's audio player: peaks read from the proxy (or
the radio rendition), so a browser draws an hour of radio without downloading and decoding it.

Peaks are kept in memory per rendition file and size (a file's bytes never change under its key), so
the page reads them again at no cost; a new process reads the file once more."""

from __future__ import annotations

import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from mam.catalog import get_asset
from mam.errors import NotFoundError
from mam.services import Services
from transcode.waveform import Peaks, audio_peaks

__all__ = ["SOURCES", "Waveform", "asset_waveform"]

SOURCES = ("proxy", "radio")
"""Renditions the peaks are read from, in this order of preference (small files, the whole sound)."""
_KEPT = 64
_cache: OrderedDict[tuple[str, int], Peaks] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class Waveform:
    asset_id: str
    profile: str
    peaks: Peaks


def _peaks(services: Services, key: str, points: int) -> Peaks:
    with _lock:
        if (key, points) in _cache:
            _cache.move_to_end((key, points))
            return _cache[(key, points)]
    local = services.storage.local_path(key)
    if local is not None:
        found = audio_peaks(local, points)
    else:
        scratch = services.settings.work_dir / "waveforms"
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=scratch) as folder:
            copy = Path(folder) / Path(key).name
            services.storage.get_file(key, copy)
            found = audio_peaks(copy, points)
    with _lock:
        _cache[(key, points)] = found
        while len(_cache) > _KEPT:
            _cache.popitem(last=False)
    return found


def asset_waveform(services: Services, session: Session, tenant_id: str, asset_id: str, points: int) -> Waveform:
    """``points`` peaks of the sound of the tenant's asset (or one shared with it); NotFoundError while
    it has no proxy or radio rendition of its current original."""
    asset = get_asset(session, tenant_id, asset_id, shared=True)
    made = {r.profile: r for r in asset.renditions if r.source_sha256 == asset.sha256}
    profile = next((name for name in SOURCES if name in made), None)
    if profile is None:
        raise NotFoundError(
            f"asset {asset_id} has no {' or '.join(SOURCES)} rendition to draw its waveform from yet",
            code="waveform-not-ready",
        )
    return Waveform(asset_id, profile, _peaks(services, made[profile].storage_key, points))
