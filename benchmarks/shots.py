"""Shot detection side by side: ours vs PySceneDetect (ContentDetector, AdaptiveDetector), one run.

On generated clips with known hard cuts, dissolves, fades, flashes and fast motion
(tests/analysis_media.py), it measures:

- bare decoding (the floor: PyAV, frame threading), our detector standalone (decode + a 160 px grey
  picture per frame), PySceneDetect's two default detectors (its own OpenCV decode);
- precision/recall/F1 for hard cuts at 0 and 1 frame tolerance (a detection inside a dissolve or a
  fade is not counted against anyone: it is a boundary, just not a cut) and for shot boundaries
  (cuts and gradual transitions);
- inside a worker job that renders ``proxy`` and ``web_720p``: the wall time with and without the
  analysis (shots, keyframes, storyboard, QC) riding the same decode.

PySceneDetect comes from the project's ``[bench]`` extra (``scenedetect-headless``; ``make bench``
installs it). Writes benchmarks/results/shots.json and shots.md.

    .venv/bin/python benchmarks/shots.py --shots 24 --rounds 2
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import av

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from analysis_media import (  # noqa: E402
    ShotsTruth,
    boundaries,
    evaluate_cuts,
    evaluate_graduals,
    evaluate_transitions,
    shots_clip,
)

from transcode.analysis.standalone import detect_shots  # noqa: E402
from transcode.pipeline import make_renditions  # noqa: E402
from transcode.probe import probe  # noqa: E402
from transcode.profiles import load_profiles  # noqa: E402


def ensure_scenedetect() -> None:
    if importlib.util.find_spec("scenedetect") is None:
        sys.exit('PySceneDetect is missing: install the bench extra (make bench, or pip install -e ".[bench]")')


def bare_decode(path: Path) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return sum(1 for _ in container.decode(stream))


def ours(path: Path) -> tuple[list[int], list[tuple[str, int, int]]]:
    segments = detect_shots(path)
    cuts = [s.first for s in segments if s.kind == "cut"]
    transitions = [(s.kind, s.first, s.last) for s in segments if s.kind != "cut"]
    return cuts, transitions


def pyscenedetect(path: Path, kind: str) -> list[int]:
    from scenedetect import AdaptiveDetector, ContentDetector, detect

    detector = ContentDetector() if kind == "content" else AdaptiveDetector()
    scenes = detect(str(path), detector)
    return [start.frame_num for start, _ in scenes[1:]]


def score(cuts: list[int], transitions: list[tuple[str, int, int]], truth: ShotsTruth) -> dict[str, float]:
    def inside(frame: int) -> bool:
        return any(a - 1 <= frame <= b + 1 for a, b in truth.graduals)

    hard = [c for c in cuts if not inside(c)]
    result: dict[str, float] = {}
    for tolerance in (0, 1):
        p, r, f = evaluate_cuts(hard, truth.cuts, tolerance)
        result |= {
            f"cut_precision_{tolerance}": round(p, 3),
            f"cut_recall_{tolerance}": round(r, 3),
            f"cut_f1_{tolerance}": round(f, 3),
        }
    found = boundaries(transitions) + [(c, c) for c in cuts if inside(c)]
    result["gradual_f1"] = round(evaluate_graduals(found, truth.graduals)[2], 3)
    # Boundaries of either kind: a cut, or any detection inside a gradual transition.
    truth_all = [(c, c) for c in truth.cuts] + truth.graduals
    result["boundary_f1"] = round(evaluate_graduals(found + [(c, c) for c in hard], truth_all)[2], 3)
    if transitions:  # only ours tells a dissolve from a fade out or a fade in
        result["labelled_f1"] = round(evaluate_transitions(transitions, truth.transitions)[2], 3)
    return result


def _cpu() -> float:
    """CPU seconds of this process so far, every thread (decoder threads included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(calls: dict[str, Any], rounds: int) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Best wall and CPU seconds of each call, the calls taking turns in every round so that a
    change in the machine's load falls on all of them alike."""
    walls: dict[str, list[float]] = {name: [] for name in calls}
    cpus: dict[str, list[float]] = {name: [] for name in calls}
    values: dict[str, Any] = {}
    for _ in range(rounds):
        for name, call in calls.items():
            started, cpu = time.perf_counter(), _cpu()
            values[name] = call()
            walls[name].append(time.perf_counter() - started)
            cpus[name].append(_cpu() - cpu)
    best = {name: {"seconds": round(min(walls[name]), 3), "cpu_seconds": round(min(cpus[name]), 3)} for name in calls}
    return best, values


def job_overhead(source: Path, rounds: int) -> dict[str, float]:
    profiles = load_profiles()
    info = probe(source)
    walls: dict[bool, list[float]] = {False: [], True: []}
    cpus: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(rounds):
        for analyze in (False, True):
            with tempfile.TemporaryDirectory() as out:
                outputs = [(profiles[n], profiles[n].output_path(Path(out))) for n in ("proxy", "web_720p")]
                started, cpu = time.perf_counter(), _cpu()
                make_renditions(source, info, outputs, analyze=analyze)
                walls[analyze].append(time.perf_counter() - started)
                cpus[analyze].append(_cpu() - cpu)
    plain, analysed = statistics.median(walls[False]), statistics.median(walls[True])
    plain_cpu, analysed_cpu = statistics.median(cpus[False]), statistics.median(cpus[True])
    return {
        "job_seconds": round(plain, 3),
        "job_with_analysis_seconds": round(analysed, 3),
        "added_fraction": round(analysed / plain - 1, 3),
        "job_cpu_seconds": round(plain_cpu, 3),
        "job_with_analysis_cpu_seconds": round(analysed_cpu, 3),
        "added_fraction_cpu": round(analysed_cpu / plain_cpu - 1, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shots", type=int, default=24, help="shots in the 1080p clip (about 2.3 s each)")
    parser.add_argument("--seeds", type=int, default=4, help="small clips (320x180) scored for accuracy")
    parser.add_argument("--rounds", type=int, default=3, help="timing runs; the best (median for jobs) is kept")
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work")
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    ensure_scenedetect()
    args.work.mkdir(parents=True, exist_ok=True)
    clip = args.work / f"shots_1080p_{args.shots}_v2.mp4"  # v2: fades through colours, deterministic sources
    truth_file = clip.with_suffix(".json")
    if clip.exists() and truth_file.exists():
        truth = ShotsTruth(**json.loads(truth_file.read_text()))
    else:
        clip, truth = shots_clip(clip, shots=args.shots, seed=7, width=1920, height=1080)
        truth_file.write_text(json.dumps(truth.__dict__))
    frames = bare_decode(clip)
    accuracy: dict[str, list[dict[str, float]]] = {"ours": [], "content": [], "adaptive": []}
    calls = {
        "decode_only": lambda: bare_decode(clip),
        "ours": lambda: ours(clip),
        "content": lambda: pyscenedetect(clip, "content"),
        "adaptive": lambda: pyscenedetect(clip, "adaptive"),
    }
    speed, found = timed(calls, args.rounds)
    accuracy["ours"].append(score(*found["ours"], truth))
    for kind in ("content", "adaptive"):
        accuracy[kind].append(score(found[kind], [], truth))
    decode_s, decode_cpu = speed["decode_only"]["seconds"], speed["decode_only"]["cpu_seconds"]
    for row in speed.values():
        row["fps"] = round(frames / row["seconds"], 1)
        row["vs_decode"] = round(row["seconds"] / decode_s, 3)
        row["cpu_vs_decode"] = round(row["cpu_seconds"] / decode_cpu, 3)
    with tempfile.TemporaryDirectory() as scratch:
        for seed in range(1, args.seeds + 1):
            small, small_truth = shots_clip(Path(scratch) / f"s{seed}.mp4", shots=24, seed=seed)
            found_cuts, found_graduals = ours(small)
            accuracy["ours"].append(score(found_cuts, found_graduals, small_truth))
            for kind in ("content", "adaptive"):
                accuracy[kind].append(score(pyscenedetect(small, kind), [], small_truth))
    mean = {
        name: {key: round(statistics.mean(r.get(key, 0.0) for r in rows), 3) for key in rows[0]}
        for name, rows in accuracy.items()
    }
    best_pyscene = min(speed["content"]["seconds"], speed["adaptive"]["seconds"])
    best_pyscene_cpu = min(speed["content"]["cpu_seconds"], speed["adaptive"]["cpu_seconds"])
    overhead = job_overhead(clip, args.rounds)
    summary = {
        "clip": {
            "path": clip.name,
            "frames": frames,
            "size": "1920x1080",
            "cuts": len(truth.cuts),
            "graduals": len(truth.graduals),
            "flashes": len(truth.flashes),
        },
        "speed": speed,
        "accuracy_mean_over_clips": mean,
        "job": overhead,
        "ratios": {
            "ours cut F1 @0 - best PySceneDetect (goal > 0)": round(
                mean["ours"]["cut_f1_0"] - max(mean["content"]["cut_f1_0"], mean["adaptive"]["cut_f1_0"]), 3
            ),
            "ours boundary F1 - best PySceneDetect (goal > 0)": round(
                mean["ours"]["boundary_f1"] - max(mean["content"]["boundary_f1"], mean["adaptive"]["boundary_f1"]), 3
            ),
            "pyscenedetect_fastest / ours (goal >= 1.2)": round(best_pyscene / speed["ours"]["seconds"], 3),
            "pyscenedetect_fastest / ours, CPU seconds": round(best_pyscene_cpu / speed["ours"]["cpu_seconds"], 3),
            "ours / bare decode (goal <= ~1.05)": speed["ours"]["vs_decode"],
            "ours / bare decode, CPU seconds": speed["ours"]["cpu_vs_decode"],
            "analysis added to a proxy+web_720p job (goal <= 0.10)": overhead["added_fraction"],
            "analysis added to the job, CPU seconds": overhead["added_fraction_cpu"],
        },
        "machine": {
            "cpus": os.cpu_count(),
            "load_at_start": load_at_start,
            "load_at_end": os.getloadavg(),
            "av": av.__version__,
        },
    }
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "shots.json").write_text(json.dumps(summary, indent=2))
    lines = [
        "| detector | seconds (1080p) | fps | x bare decode | CPU s | CPU x decode | cut F1 @0 | cut F1 @1 "
        "| gradual F1 | boundary F1 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("decode_only", "ours", "content", "adaptive"):
        acc = mean.get(name, {})
        lines.append(
            f"| {name} | {speed[name]['seconds']} | {speed[name]['fps']} | {speed[name]['vs_decode']} | "
            f"{speed[name]['cpu_seconds']} | {speed[name]['cpu_vs_decode']} | "
            f"{acc.get('cut_f1_0', '-')} | {acc.get('cut_f1_1', '-')} | {acc.get('gradual_f1', '-')} | "
            f"{acc.get('boundary_f1', '-')} |"
        )
    lines += [
        "",
        f"- job (proxy + web_720p): {overhead['job_seconds']} s; with analysis "
        f"{overhead['job_with_analysis_seconds']} s ({overhead['added_fraction']:+.1%}); CPU "
        f"{overhead['job_cpu_seconds']} s, with analysis {overhead['job_with_analysis_cpu_seconds']} s "
        f"({overhead['added_fraction_cpu']:+.1%})",
    ]
    lines += [f"- {k}: **{v}**" for k, v in summary["ratios"].items()]
    lines += [f"- load average (1, 5, 15 min) at start {load_at_start}, at end {os.getloadavg()}"]
    (results / "shots.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
