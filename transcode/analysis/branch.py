"""The analysis rides the render's decode as two more branches of its video graph.

``AnalysisBranch`` (progressive route) adds no filter: it takes the decoded picture as it is (a
reference, no copy) and reads the 160-pixel gray image the detectors see from its luma plane, as
:func:`~transcode.analysis.standalone.small_gray` does, at a quarter of a millisecond on 1080p
where asking the graph to scale every picture cost several. Only the pictures kept (keyframe
candidates, storyboard tiles) are scaled, to 320 and 160 pixels wide. ``InterlaceBranch`` (raw
route, before deinterlacing) runs ``idet`` on 8 frames out of every 50 and keeps its counts.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from av.frame import Frame
from av.video.frame import VideoFrame

from transcode.analysis.detector import DETECTORS, Detector, Segment
from transcode.analysis.pictures import KeyframePicker, Storyboard
from transcode.analysis.result import AnalysisResult, Shot
from transcode.analysis.shots import ShotDetector
from transcode.analysis.standalone import small_gray
from transcode.branches import Branch
from transcode.graphs import Step
from transcode.timecode import Timecode, parse_timecode

__all__ = ["AnalysisBranch", "InterlaceBranch", "shots_from"]


class _Consumer(Branch):
    def __init__(self, route: str) -> None:  # no output plan: these branches make no rendition
        self.route = route
        self.sinks = []
        self.ended = set()
        self.seconds = self.duration = 0.0
        self.frames = 0
        self.encoder = None


class InterlaceBranch(_Consumer):
    def __init__(self) -> None:
        super().__init__("raw")
        self.counts: dict[str, int] = {}

    def steps(self) -> list[Step]:
        return [("select", "expr=lt(mod(n\\,50)\\,8)"), ("idet", "")]

    def consume(self, frame: Frame, sink: int) -> None:
        self.frames += 1
        for key, value in frame.metadata.items():
            if key.startswith(("lavfi.idet.multiple.", "lavfi.idet.single.")) and value[:1].isdigit():
                self.counts[key.removeprefix("lavfi.idet.")] = round(float(value))

    def verdict(self, declared: str) -> dict[str, object]:
        tff, bff = self.counts.get("multiple.tff", 0), self.counts.get("multiple.bff", 0)
        progressive = self.counts.get("multiple.progressive", 0)
        decided = tff + bff + progressive
        detected = "unknown"
        if decided:
            detected = max((("tff", tff), ("bff", bff), ("progressive", progressive)), key=lambda kv: kv[1])[0]
        return {"declared": declared, "detected": detected, "frames_checked": self.frames, "counts": self.counts}


def shots_from(
    transitions: list[Segment], frames: int, times: list[float], rate: float, timecode: Timecode
) -> list[tuple[int, int, str, int]]:
    """(first, last, transition kind, transition frames) per shot.

    A shot begins where the cut, the dissolve or the fade in that brings it begins; a fade out ends
    a shot without beginning one (the flat pictures after it belong to the shot it ends)."""
    starts: list[tuple[int, str, int]] = [(0, "start", 0)]
    for t in transitions:
        if t.kind != "fade_out" and t.first > starts[-1][0]:
            starts.append((t.first, t.kind, 0 if t.kind == "cut" else t.last - t.first + 1))
    bounds = []
    for k, (first, kind, length) in enumerate(starts):
        last = starts[k + 1][0] - 1 if k + 1 < len(starts) else frames - 1
        bounds.append((first, last, kind, length))
    return bounds


class AnalysisBranch(_Consumer):
    def __init__(
        self,
        folder: Path,
        rate: float,
        start_timecode: str | None,
        timecode_base: int,
        detectors: tuple[str, ...] = ("shots", "black", "freeze"),
        storyboard_interval: float = 2.0,
    ) -> None:
        super().__init__("progressive")
        self.folder, self.rate = folder, rate if rate > 0 else 25.0
        self.timecode = parse_timecode(start_timecode or "00:00:00:00", max(1, timecode_base))
        self.detectors: dict[str, Detector] = {name: DETECTORS[name]() for name in detectors}
        for detector in self.detectors.values():
            detector.start(self.rate)
        shots = self.detectors.get("shots")
        self.shots = shots if isinstance(shots, ShotDetector) else None
        self.picker = KeyframePicker(
            self.rate, folder / "candidates", jump=self.shots.cut_threshold if self.shots else 0.12
        )
        self.storyboard = Storyboard(folder, storyboard_interval)
        self.interval = storyboard_interval
        self.times: list[float] = []
        self.result = AnalysisResult(rate=self.rate, storyboard_interval=storyboard_interval)

    def steps(self) -> list[Step]:
        return []

    def consume(self, frame: Frame, sink: int) -> None:
        assert isinstance(frame, VideoFrame)
        index, seconds = self.frames, float(frame.time or 0.0)
        gray = small_gray(frame)
        for detector in self.detectors.values():
            detector.process(gray, index, seconds)
        self.picker.offer(frame, gray, index, seconds, self.shots.change if self.shots else 0.0)
        self.storyboard.offer(frame, seconds)
        self.times.append(seconds)
        self.frames += 1
        self.duration = seconds + 1.0 / self.rate

    def finish(self) -> None:
        started = time.perf_counter()
        result = self.result
        result.frames, result.duration = self.frames, self.duration
        found = {name: d.finish() for name, d in self.detectors.items()}
        transitions = found.pop("shots", [])
        result.transitions = [t.to_dict() for t in transitions]
        result.segments = {name: [s.to_dict() for s in segs] for name, segs in found.items()}
        if self.frames:
            self._shots(transitions)
            sheets, vtt = self.storyboard.write(self.duration)
            result.storyboard, result.storyboard_vtt = sheets, vtt
        self.seconds += time.perf_counter() - started
        result.seconds = self.seconds

    def _time(self, index: int) -> float:
        return self.times[index] if index < len(self.times) else self.duration

    def _shots(self, transitions: list[Segment]) -> None:
        bounds = shots_from(transitions, self.frames, self.times, self.rate, self.timecode)
        avoid = [(t.first, t.last) for t in transitions]  # a keyframe stays a frame away from a cut too
        chosen = self.picker.choose([(f, last) for f, last, _, _ in bounds], avoid)
        folder = self.folder / "keyframes"
        folder.mkdir(parents=True, exist_ok=True)
        best = None
        for number, ((first, last, kind, length), candidate) in enumerate(zip(bounds, chosen, strict=True)):
            path = None
            if candidate is not None:
                path = folder / f"shot_{number:05d}.jpg"
                shutil.copyfile(candidate.path, path)
                if best is None or candidate.score > best.score:
                    best = candidate
            start, end = self._time(first), self._time(last + 1)
            self.result.shots.append(
                Shot(
                    number,
                    first,
                    last,
                    start,
                    end,
                    self.timecode.at_seconds(start),
                    self.timecode.at_seconds(end),
                    kind,
                    length,
                    path,
                    candidate.index if candidate else None,
                )
            )
        if best is not None:
            self.result.poster = self.folder / "poster.jpg"
            shutil.copyfile(best.path, self.result.poster)
        self.picker.discard()
