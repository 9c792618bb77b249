"""Shot transitions on news-like footage: found and labelled right, per kind of transition.

The set (tests/news_shots.py) is cameras zooming, panning, shaking or holding still under changing
light over generated photograph-like pictures, joined by hard cuts, dissolves of 6-38 frames, fades
through black, cuts out of black and featureless black-white-black ramps (no shot change), encoded
as H.264. Our detector runs on each clip's small grey pictures as a render's analysis makes them. Per
kind: how many there are, found (a cut within a frame, a gradual transition by a detection inside
its range), labelled right, inside (a gradual one's right label lies inside its true range), the
mean error of a right label's length in frames; for ramps, those where something was found (each
one a false shot change); ``extra``: detections matching nothing (or beside the right one); and the
detector's CPU time per picture, decoding apart. Writes benchmarks/results/shots_eval.json
(shots_eval_fromN.json for a set from seed N: tune on seeds 1-4, hold out 5-8 and 9-16).

    .venv/bin/python benchmarks/shots_eval.py --seeds 6 --stories 6
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from news_shots import news_clip, score  # noqa: E402

from transcode.analysis.shots import ShotDetector  # noqa: E402
from transcode.analysis.standalone import small_gray  # noqa: E402
from transcode.inputs import open_input  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def _pictures(clip: Path) -> tuple[list[Any], list[float], float]:
    """The small grey pictures the detector sees (as :func:`detect_shots` makes them), and the rate."""
    grays, times = [], []
    with open_input(clip) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            grays.append(small_gray(frame))
            times.append(float(frame.time or 0.0))
        return grays, times, float(stream.average_rate or 25)


def evaluate(seeds: list[int], stories: int, width: int, height: int) -> dict[str, Any]:
    """Per kind over the clips of ``seeds``, and the detector's own time per picture (decoding apart)."""
    totals: dict[str, dict[str, float]] = {}
    errors: dict[str, list[float]] = {}
    spent, pictures = 0.0, 0
    with tempfile.TemporaryDirectory() as scratch:
        for seed in seeds:
            clip, truth = news_clip(
                Path(scratch) / f"news{seed}.mp4", stories=stories, seed=seed, width=width, height=height
            )
            grays, times, rate = _pictures(clip)
            started = time.process_time()
            detector = ShotDetector()
            detector.start(rate)
            for index, gray in enumerate(grays):
                detector.process(gray, index, times[index])
            segments = detector.finish()
            spent, pictures = spent + time.process_time() - started, pictures + len(grays)
            found = [(s.kind, s.first, s.last) for s in segments]
            for kind, row in score(found, truth).items():
                total = totals.setdefault(kind, {})
                for key, value in row.items():
                    if key == "mean_abs_length_error":
                        errors.setdefault(kind, []).append(value)
                    else:
                        total[key] = total.get(key, 0) + value
    for kind, total in totals.items():
        if kind == "extra":
            continue
        count = total["count"] or 1
        if kind == "ramp":
            total["false_changes"] = total.pop("found")
            total.pop("labelled")
        else:
            total["found_share"] = round(total["found"] / count, 3)
            total["labelled_share"] = round(total["labelled"] / count, 3)
            if "inside" in total:
                total["inside_share"] = round(total["inside"] / count, 3)
        if errors.get(kind):
            total["mean_abs_length_error_frames"] = round(sum(errors[kind]) / len(errors[kind]), 2)
    totals["detector"] = {"cpu_ms_per_picture": round(1000 * spent / max(1, pictures), 3), "pictures": pictures}
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=6, help="clips in the set (seeds 1..SEEDS)")
    parser.add_argument("--first-seed", type=int, default=1, help="the first seed (a held-out set: --first-seed 9)")
    parser.add_argument("--stories", type=int, default=6, help="about three joins per story in each clip")
    parser.add_argument("--size", default="320x180")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    started, load = time.perf_counter(), os.getloadavg()
    report = {
        "per_kind": evaluate(list(range(args.first_seed, args.first_seed + args.seeds)), args.stories, width, height),
        "set": {"seeds": args.seeds, "first_seed": args.first_seed, "stories": args.stories, "size": args.size},
        "seconds": round(time.perf_counter() - started, 1),
        "machine": {"cpus": os.cpu_count(), "load_at_start": load},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "shots_eval.json" if args.first_seed == 1 else f"shots_eval_from{args.first_seed}.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
