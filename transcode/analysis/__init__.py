"""Analyzers that ride the render's decode: shots, keyframes, storyboard, and technical QC (技审).

Detectors (:class:`Detector`, registered in :data:`DETECTORS`) look at small gray pictures one at
a time; :class:`AnalysisBranch` feeds them from the render's video graph. Sound QC rides the
loudness pass (:class:`AudioMeter`). :func:`judge` turns the measurements into a pass / warn /
fail report against a threshold profile stored as data (``qc_profiles/``).
"""

from transcode.analysis.audio_qc import AudioMeter
from transcode.analysis.branch import AnalysisBranch, InterlaceBranch
from transcode.analysis.detector import DETECTORS, Detector, Gray, Segment, register
from transcode.analysis.result import AnalysisResult, Shot
from transcode.analysis.shots import ShotDetector
from transcode.analysis.video_qc import BlackDetector, FreezeDetector

__all__ = [
    "DETECTORS",
    "AnalysisBranch",
    "AnalysisResult",
    "AudioMeter",
    "BlackDetector",
    "Detector",
    "FreezeDetector",
    "Gray",
    "InterlaceBranch",
    "Segment",
    "Shot",
    "ShotDetector",
    "register",
]
