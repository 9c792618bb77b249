"""Shot transitions on news-like footage: found and labelled right, per kind of transition.

The set (tests/news_shots.py) is cameras zooming, panning, shaking or holding still under changing
light over generated photograph-like pictures, joined by hard cuts, dissolves of 6-38 frames, fades
through black, cuts out of black and featureless black-white-black ramps (no shot change), encoded
as H.264. Our detector runs on each clip as a render's analysis does (:func:`detect_shots`). Per
kind: how many there are, found (a cut within a frame, a gradual transition by a detection inside
its range), labelled right, the mean error of a right label's length in frames; for ramps, those
where something was found (each one a false shot change); ``extra``: detections matching nothing.
Writes benchmarks/results/shots_eval.json.

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

from transcode.analysis.standalone import detect_shots  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def evaluate(seeds: int, stories: int, width: int, height: int) -> dict[str, Any]:
    totals: dict[str, dict[str, float]] = {}
    errors: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for seed in range(1, seeds + 1):
            clip, truth = news_clip(
                Path(scratch) / f"news{seed}.mp4", stories=stories, seed=seed, width=width, height=height
            )
            found = [(s.kind, s.first, s.last) for s in detect_shots(clip)]
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
        if errors.get(kind):
            total["mean_abs_length_error_frames"] = round(sum(errors[kind]) / len(errors[kind]), 2)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=6, help="clips in the set")
    parser.add_argument("--stories", type=int, default=6, help="about three joins per story in each clip")
    parser.add_argument("--size", default="320x180")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    started, load = time.perf_counter(), os.getloadavg()
    report = {
        "per_kind": evaluate(args.seeds, args.stories, width, height),
        "set": {"seeds": args.seeds, "stories": args.stories, "size": args.size},
        "seconds": round(time.perf_counter() - started, 1),
        "machine": {"cpus": os.cpu_count(), "load_at_start": load},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "shots_eval.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
