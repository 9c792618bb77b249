"""Whether a render reads on-screen text, and where its lines go in the analysis result.

Text is read when the caller says so (``ocr=True``: a tenant's setting) or, left to the profiles
(``ocr=None``), when one of the job's profiles has ``[analysis] ocr = true``. Off, nothing of the
reader is imported and no model is loaded.
"""

from __future__ import annotations

from pathlib import Path

from transcode.analysis.result import AnalysisResult
from transcode.branches import Branch
from transcode.plan import RenderPlan
from transcode.profiles import Profile

__all__ = ["reads_text", "text_branches", "text_result"]


def reads_text(outputs: list[tuple[Profile, Path]], ocr: bool | None) -> bool:
    if ocr is not None:
        return ocr
    return any(profile.analysis.ocr for profile, _ in outputs)


def text_branches(plan: RenderPlan, outputs: list[tuple[Profile, Path]], ocr: bool | None) -> list[Branch]:
    if not plan.needs_video or not plan.info.video or not reads_text(outputs, ocr):
        return []
    from transcode.analysis.text_branch import TextBranch  # the reader's thread and models: only when asked

    return [TextBranch()]


def text_result(result: AnalysisResult, branches: list[Branch]) -> None:
    from transcode.analysis.text_branch import TextBranch

    for branch in branches:
        if isinstance(branch, TextBranch):
            result.text = [line.to_dict() for line in branch.lines]
            result.text_stats = {
                "samples": branch.samples,
                "read": branch.read,
                "recognised": branch.recognised,
                "seconds": round(branch.reader_seconds, 3),
                "load_seconds": round(branch.load_seconds, 3),
            }
            result.seconds += branch.seconds
