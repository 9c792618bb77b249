"""Voice activity's share of a render job: a 1080p ``proxy`` + ``web_720p`` job with and without it.

The source is 1080p25 H.264 at a camera-like bit rate (testsrc2 under noise) carrying a programme of
synthetic speech and piano (tests/speech_media.py). Each round runs the whole job (loudness pass
with sound QC, one decode, both encodes, shots and QC analysis, output checks) once without voice
activity and once with it, in turn, so that a change in the machine's load falls on both alike; the
medians are compared, in wall and in CPU seconds. ``benchmarks/analysis.py`` runs this as its voice
activity section; alone:

    .venv/bin/python benchmarks/analysis_speech.py --seconds 30 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
import av.filter
import numpy as np
from av.video.frame import VideoFrame

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from speech_media import RATE, piano, speech  # noqa: E402

from transcode.analysis.speech import VoiceActivity  # noqa: E402
from transcode.pipeline import make_renditions  # noqa: E402
from transcode.probe import probe  # noqa: E402
from transcode.profiles import load_profiles  # noqa: E402

__all__ = ["speech_section", "spoken_source"]


def spoken_source(path: Path, seconds: int) -> Path:
    """1080p25 H.264 (noise defeats the encoder, as camera footage does) with stereo AAC: 6 s of
    speech and 4 s of piano in turn."""
    if path.exists():
        return path
    parts, made, k = [], 0, 0
    while made < seconds * RATE:
        part = speech(6.0, seed=k) if k % 2 == 0 else piano(4.0, seed=k)
        parts.append(part)
        made, k = made + part.size, k + 1
    sound = np.concatenate(parts)[: seconds * RATE].astype(np.float32)
    graph = av.filter.Graph()
    source = graph.add("testsrc2", f"size=1920x1080:rate=25:duration={seconds}")
    noise = graph.add("noise", "alls=12:allf=t")
    fmt = graph.add("format", "yuv420p")
    sink = graph.add("buffersink")
    source.link_to(noise)
    noise.link_to(fmt)
    fmt.link_to(sink)
    graph.configure()
    per_frame = RATE // 25
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=25, options={"preset": "ultrafast", "crf": "16", "g": "50"})
        video.width, video.height, video.pix_fmt = 1920, 1080, "yuv420p"
        audio = out.add_stream("aac", rate=RATE, layout="stereo")
        index = 0
        while True:
            try:
                frame = cast(VideoFrame, sink.pull())
            except (av.error.EOFError, av.error.BlockingIOError):
                break
            out.mux(video.encode(frame))
            chunk = sound[index * per_frame : (index + 1) * per_frame]
            if chunk.size:
                planar = np.ascontiguousarray(np.stack([chunk, chunk]))
                aframe = av.AudioFrame.from_ndarray(planar, "fltp", "stereo")
                aframe.sample_rate, aframe.pts, aframe.time_base = RATE, index * per_frame, Fraction(1, RATE)
                out.mux(audio.encode(aframe))
            index += 1
        for stream in (video, audio):
            out.mux(stream.encode(None))
    return path


def _cpu() -> float:
    """CPU seconds of this process so far, every thread."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def standalone_cost(seconds: int = 60) -> dict[str, float]:
    """CPU seconds voice activity takes (resampling and scoring, every thread) per second of stereo
    48 kHz sound fed as the loudness pass feeds it: a figure the machine's load hardly moves, where
    the jobs' wall times swing by more than the whole of it."""
    parts, made, k = [], 0, 0
    while made < seconds * RATE:
        part = speech(6.0, seed=k) if k % 2 == 0 else piano(4.0, seed=k)
        parts.append(part)
        made, k = made + part.size, k + 1
    sound = np.concatenate(parts)[: seconds * RATE].astype(np.float32)
    started, cpu = time.perf_counter(), _cpu()
    voice = VoiceActivity()
    for start in range(0, sound.size, 1024):
        chunk = np.ascontiguousarray(np.stack([sound[start : start + 1024]] * 2))
        frame = av.AudioFrame.from_ndarray(chunk, "fltp", "stereo")
        frame.sample_rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
        voice.offer(frame)
    voice.speech()
    return {
        "sound_seconds": seconds,
        "cpu_seconds": round(_cpu() - cpu, 3),
        "wall_seconds": round(time.perf_counter() - started, 3),
        "cpu_seconds_per_sound_second": round((_cpu() - cpu) / seconds, 4),
    }


def speech_section(work: Path, seconds: int = 30, rounds: int = 3) -> dict[str, Any]:
    """Wall and CPU seconds of the job without and with voice activity (medians), what it added, and
    what it heard."""
    work.mkdir(parents=True, exist_ok=True)
    source = spoken_source(work / f"spoken_1080p_{seconds}s.mp4", seconds)
    profiles = load_profiles()
    info = probe(source)
    walls: dict[bool, list[float]] = {False: [], True: []}
    cpus: dict[bool, list[float]] = {False: [], True: []}
    heard: dict[str, Any] = {}
    for _ in range(rounds):
        for listen in (False, True):
            with tempfile.TemporaryDirectory() as out:
                outputs = [(profiles[n], profiles[n].output_path(Path(out))) for n in ("proxy", "web_720p")]
                started, cpu = time.perf_counter(), _cpu()
                result = make_renditions(source, info, outputs, speech=listen)
                walls[listen].append(time.perf_counter() - started)
                cpus[listen].append(_cpu() - cpu)
                if listen and result.analysis is not None and result.analysis.sound is not None:
                    heard = {k: v for k, v in result.analysis.sound.items() if k != "segments"}
                    heard["pieces"] = len(result.analysis.sound["segments"])
    plain, listened = statistics.median(walls[False]), statistics.median(walls[True])
    plain_cpu, listened_cpu = statistics.median(cpus[False]), statistics.median(cpus[True])
    return {
        "source": {"path": source.name, "seconds": seconds, "size": "1920x1080", "audio": "speech and piano"},
        "rounds": rounds,
        "job_seconds": round(plain, 3),
        "job_with_voice_activity_seconds": round(listened, 3),
        "added_fraction": round(listened / plain - 1, 4),
        "job_cpu_seconds": round(plain_cpu, 3),
        "job_with_voice_activity_cpu_seconds": round(listened_cpu, 3),
        "added_fraction_cpu": round(listened_cpu / plain_cpu - 1, 4),
        "walls": {"without": [round(w, 3) for w in walls[False]], "with": [round(w, 3) for w in walls[True]]},
        "heard": heard,
        "alone": standalone_cost(),
        "job_cpu_seconds_per_source_second": round(plain_cpu / seconds, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30, help="length of the 1080p source")
    parser.add_argument("--rounds", type=int, default=3, help="jobs of each kind, taking turns; medians kept")
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work")
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    section = speech_section(args.work, args.seconds, args.rounds)
    section["machine"] = {"cpus": os.cpu_count(), "load_at_start": load_at_start, "load_at_end": os.getloadavg()}
    print(json.dumps(section, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
