"""Keep what a render job's analysis found: pictures in the store, shots and the QC report in the catalog.

Keys are given by :mod:`mam.layout` (under the asset and the checksum of the original they describe).
Pictures are stored before the rows that point at them are written; a second analysis of the same
asset replaces the rows. ``progress`` hears the share of the files stored after each one (1.0 once
the last is stored, before the rows are written).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mam.catalog import replace_analysis
from mam.layout import (
    analysis_prefix,
    content_type,
    poster_key,
    shot_keyframe_key,
    storyboard_sheet_key,
    storyboard_vtt_key,
)
from mam.models import Asset, AssetAnalysis, ShotRow
from mam.screen_text import replace_text
from mam.services import Services
from transcode.analysis.qc import judge
from transcode.analysis.result import AnalysisResult

__all__ = ["store_analysis"]


def store_analysis(
    services: Services, asset: Asset, analysis: AnalysisResult, progress: Callable[[float], None] | None = None
) -> AssetAnalysis:
    prefix = analysis_prefix(asset.tenant_id, asset.id, asset.sha256)
    with_keyframe = {s.number for s in analysis.shots if s.keyframe is not None and s.keyframe.exists()}
    poster = analysis.poster if analysis.poster is not None and analysis.poster.exists() else None
    total = len(with_keyframe) + len(analysis.storyboard) + (poster is not None) + (analysis.storyboard_vtt is not None)
    done = 0

    def put(key: str, path: Path, content_type: str) -> str:
        nonlocal done
        stored = services.storage.put_file(key, path, content_type).key
        done += 1
        if progress is not None:
            progress(done / total)
        return stored

    shots = []
    for shot in analysis.shots:
        key = None
        if shot.number in with_keyframe and shot.keyframe is not None:
            key = put(shot_keyframe_key(prefix, shot.number), shot.keyframe, content_type(".jpg"))
        shots.append(
            ShotRow(
                asset_id=asset.id,
                number=shot.number,
                first_frame=shot.first_frame,
                last_frame=shot.last_frame,
                start=shot.start,
                end=shot.end,
                start_timecode=shot.start_timecode,
                end_timecode=shot.end_timecode,
                transition=shot.transition,
                transition_frames=shot.transition_frames,
                keyframe_frame=shot.keyframe_frame,
                keyframe_key=key,
            )
        )
    stored_poster = put(poster_key(prefix), poster, content_type(".jpg")) if poster is not None else None
    for number, sheet in enumerate(analysis.storyboard):
        put(storyboard_sheet_key(prefix, number), sheet, content_type(".jpg"))
    if analysis.storyboard_vtt is not None:
        put(storyboard_vtt_key(prefix), analysis.storyboard_vtt, content_type(".vtt"))
    profile = services.qc_profiles[services.settings.qc_profile]
    measurements = analysis.measurements()
    row = AssetAnalysis(
        asset_id=asset.id,
        source_sha256=asset.sha256,
        measurements=measurements,
        qc_profile=profile.name,
        qc=judge(measurements, profile),
        storage_prefix=prefix,
        poster_key=stored_poster,
        storyboard_sheets=len(analysis.storyboard),
        storyboard_interval=analysis.storyboard_interval,
    )
    with services.session() as session:
        stored = replace_analysis(session, row, shots)
    if analysis.text is not None:  # text was read: the lines replace those of an earlier reading
        with services.session() as session:
            replace_text(session, session.get(Asset, asset.id) or asset, analysis.text)
    return stored
