"""The analysis that rides the render's decode, measured section by section (#19).

- ``ocr``: on-screen text. On a generated caption set (tests/caption_media.py: a name strap, a top
  line in traditional script and a bottom subtitle changing every 1.7-3.1 s, off the half-second
  sampling grid, over still and moving backgrounds at 640x360 and 1280x720), the character error
  rate of every caption's best line, captions missed, lines read that are no caption, the region
  named right, and how far each line's first and last time lie from the truth. Then the wall and CPU
  time OCR adds to a 1080p ``proxy`` + ``web_720p`` job (the whole job: loudness pass, one decode,
  both encodes, shots and QC, output checks) on a 1080p25 caption clip over a moving background
  (every sample looks changed: the detector runs on each, the worst case of the change test).
- ``speech``: voice activity's share of the same kind of job (benchmarks/analysis_speech.py), when
  that module is there.

Each round runs the job without and with the section's analysis in turn, so a change in the
machine's load falls on both alike; medians are compared. Writes benchmarks/results/analysis.json
and analysis.md (sections measured in an earlier run are kept).

    .venv/bin/python benchmarks/analysis.py --sections ocr --seconds 30 --rounds 3
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.append(str(ROOT / "benchmarks"))  # after the packages: benchmarks/transcode.py is no package

from caption_media import Caption, caption_clip, cer, news_captions  # noqa: E402

from transcode.pipeline import make_renditions  # noqa: E402
from transcode.probe import probe  # noqa: E402
from transcode.profiles import load_profiles  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"

CAPTION_SET = (
    # (name, width, height, moving background, seconds between subtitles)
    ("720p_still", 1280, 720, False, 2.3),
    ("720p_moving", 1280, 720, True, 1.7),
    ("360p_moving", 640, 360, True, 3.1),
)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _overlap(line: dict[str, Any], caption: Caption) -> float:
    return min(float(line["end"]), caption.end) - max(float(line["start"]), caption.start)


def score_lines(lines: list[dict[str, Any]], captions: list[Caption]) -> dict[str, Any]:
    """Each caption's best line among those overlapping it in time; what is left over is spurious."""
    errors = chars = missed = right_region = 0
    starts: list[float] = []
    ends: list[float] = []
    used: set[int] = set()
    for caption in captions:
        candidates = [(cer(str(line["text"]), caption.text), k) for k, line in enumerate(lines)]
        candidates = [(c, k) for c, k in candidates if _overlap(lines[k], caption) > 0 and c < 0.5]
        truth = len(caption.text.replace(" ", ""))
        chars += truth
        if not candidates:
            missed += 1
            errors += truth
            continue
        rate, k = min(candidates)
        used.add(k)
        line = lines[k]
        errors += round(rate * truth)
        right_region += line["region"] == caption.region
        starts.append(abs(float(line["start"]) - caption.start))
        ends.append(abs(float(line["end"]) - caption.end))
    found = len(captions) - missed
    return {
        "captions": len(captions),
        "lines": len(lines),
        "cer": round(errors / max(1, chars), 4),
        "missed": missed,
        "spurious": len(lines) - len(used),
        "region_right": round(right_region / max(1, found), 3),
        "start_error_mean": round(statistics.fmean(starts), 3) if starts else None,
        "start_error_max": round(max(starts), 3) if starts else None,
        "end_error_mean": round(statistics.fmean(ends), 3) if ends else None,
        "end_error_max": round(max(ends), 3) if ends else None,
    }


def _job(source: Path, names: tuple[str, ...], **options: Any) -> tuple[float, float, Any]:
    profiles = load_profiles()
    with tempfile.TemporaryDirectory() as out:
        outputs = [(profiles[n], profiles[n].output_path(Path(out))) for n in names]
        started, cpu = time.perf_counter(), _cpu()
        result = make_renditions(source, probe(source), outputs, **options)
        return time.perf_counter() - started, _cpu() - cpu, result


def ocr_accuracy(work: Path, seconds: float) -> dict[str, Any]:
    clips: dict[str, Any] = {}
    every: list[tuple[list[dict[str, Any]], list[Caption]]] = []
    for name, width, height, moving, change in CAPTION_SET:
        seconds = round(change * round(12.0 / change), 3)  # whole subtitles: none shorter than a sample
        captions = news_captions(seconds, change=change)
        clip = caption_clip(work / f"{name}.mp4", captions, seconds, width=width, height=height, moving=moving)
        wall, _, result = _job(clip, ("proxy",), ocr=True)
        lines = result.analysis.text
        clips[name] = {**score_lines(lines, captions), **result.analysis.text_stats, "job_seconds": round(wall, 2)}
        every.append((lines, captions))
        print(f"  {name}: {clips[name]}", flush=True)
    total_chars = sum(len(c.text.replace(" ", "")) for _, caps in every for c in caps)
    weighted = sum(
        clips[n]["cer"] * sum(len(c.text.replace(" ", "")) for c in caps)
        for n, (_, caps) in zip(clips, every, strict=True)
    )
    return {"clips": clips, "cer": round(weighted / total_chars, 4)}


def ocr_overhead(work: Path, seconds: int, rounds: int) -> dict[str, Any]:
    source = work / f"captions_1080p_{seconds}s.mp4"
    if not source.exists():
        captions = news_captions(float(seconds), change=2.3)
        caption_clip(source, captions, float(seconds), width=1920, height=1080, moving=True, bitrate=20_000_000)
    walls: dict[bool, list[float]] = {False: [], True: []}
    cpus: dict[bool, list[float]] = {False: [], True: []}
    stats: dict[str, Any] = {}
    for n in range(rounds):
        for ocr in (False, True):
            wall, cpu, result = _job(source, ("proxy", "web_720p"), ocr=ocr)
            walls[ocr].append(wall)
            cpus[ocr].append(cpu)
            if ocr:
                stats = dict(result.analysis.text_stats)
            print(f"  round {n + 1} ocr={ocr}: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    plain, read = statistics.median(walls[False]), statistics.median(walls[True])
    plain_cpu, read_cpu = statistics.median(cpus[False]), statistics.median(cpus[True])
    return {
        "source": f"1920x1080 25 fps H.264 20 Mb/s, {seconds} s, moving background, captions",
        "rounds": rounds,
        "job_seconds": round(plain, 2),
        "job_with_ocr_seconds": round(read, 2),
        "added_fraction": round(read / plain - 1, 3),
        "job_cpu_seconds": round(plain_cpu, 2),
        "job_with_ocr_cpu_seconds": round(read_cpu, 2),
        "added_fraction_cpu": round(read_cpu / plain_cpu - 1, 3),
        "reader": stats,
        "walls": {str(k): [round(w, 2) for w in v] for k, v in walls.items()},
    }


def ocr_section(
    work: Path, seconds: int = 30, rounds: int = 3, parts: tuple[str, ...] = ("accuracy", "overhead")
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "accuracy" in parts:
        print("ocr: caption set", flush=True)
        out["accuracy"] = ocr_accuracy(work, 12.0)
    if "overhead" in parts:
        print("ocr: 1080p job overhead", flush=True)
        out["overhead"] = ocr_overhead(work, seconds, rounds)
    return out


def _speech_section() -> Callable[..., dict[str, Any]] | None:
    """benchmarks/analysis_speech.py's section, when it is there."""
    if importlib.util.find_spec("analysis_speech") is None:
        return None
    from analysis_speech import speech_section

    section: Callable[..., dict[str, Any]] = speech_section
    return section


def _markdown(results: dict[str, Any]) -> str:
    out = ["# Analysis benchmark", "", f"Measured {results.get('measured', '')} on {os.cpu_count()} cores.", ""]
    ocr = results.get("ocr")
    if ocr and "accuracy" in ocr and "overhead" in ocr:
        out += [
            "## On-screen text (OCR)",
            "",
            (
                "| clip | CER | missed | spurious | region right | start error mean / max s "
                "| end error mean / max s | samples | read | recognised |"
            ),
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, c in ocr["accuracy"]["clips"].items():
            out.append(
                f"| {name} | {c['cer']} | {c['missed']}/{c['captions']} | {c['spurious']} | {c['region_right']} | "
                f"{c['start_error_mean']} / {c['start_error_max']} | {c['end_error_mean']} / {c['end_error_max']} | "
                f"{c['samples']} | {c['read']} | {c['recognised']} |"
            )
        o = ocr["overhead"]
        out += [
            "",
            f"Overall CER {ocr['accuracy']['cer']}. 1080p `proxy` + `web_720p` job ({o['source']}), median of "
            f"{o['rounds']}: {o['job_seconds']} s without OCR, {o['job_with_ocr_seconds']} s with it: "
            f"**+{o['added_fraction'] * 100:.1f}%** wall, +{o['added_fraction_cpu'] * 100:.1f}% CPU seconds.",
            "",
        ]
    for name, section in results.items():
        if name not in ("ocr", "measured") and isinstance(section, dict):
            out += [f"## {name}", "", "```json", json.dumps(section, indent=2, ensure_ascii=False), "```", ""]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sections", default="ocr,speech", help="comma-separated: ocr (or ocr_accuracy, ocr_overhead), speech"
    )
    parser.add_argument("--seconds", type=int, default=30, help="length of the 1080p job's source")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--detect-width", type=int, default=None, help="try another detector width (default 640)")
    parser.add_argument("--work", type=Path, default=None, help="keep generated clips here (default: a temp dir)")
    args = parser.parse_args()
    if args.detect_width:
        import transcode.analysis.text_branch as text_branch

        text_branch.DETECT_WIDTH = args.detect_width
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "analysis.json"
    results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    results["measured"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with tempfile.TemporaryDirectory() as temp:
        work = args.work or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        for name in [s.strip() for s in args.sections.split(",") if s.strip()]:
            if name in ("ocr", "ocr_accuracy", "ocr_overhead"):  # the whole section, or one part of it
                parts = ("accuracy", "overhead") if name == "ocr" else (name.removeprefix("ocr_"),)
                results["ocr"] = {**results.get("ocr", {}), **ocr_section(work, args.seconds, args.rounds, parts)}
            elif name == "speech" and (speech := _speech_section()) is not None:
                results["speech"] = speech(work, args.seconds, args.rounds)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "analysis.md").write_text(_markdown(results))
    print(json.dumps({k: v for k, v in results.items()}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
