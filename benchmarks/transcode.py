"""Side by side, in one run: our one-decode render vs ffmpeg doing the same work.

The job makes ``proxy`` (640x360, burnt-in timecode), ``web_720p``, ``web_1080p`` (both loudness
normalised: gain from pass one, then a limiter at 4x the sample rate) and ``poster`` from a
generated 1920x1080 25 fps high-bit-rate H.264 clip with stereo audio:

- ``mam_render``: transcode.render alone (one decode, split graph, an encoder thread per stream);
- ``mam_job``: the whole worker job (loudness pass one + render + probing every output);
- ``ffmpeg_split``: one hand-written ffmpeg process making all outputs with ``split``/``asplit``
  and the same filters (built with ffmpeg-python, never a shell string);
- ``ffmpeg_separate``: one ffmpeg process per output (what a script would do).

Then each profile alone through our render, for frames/s and real-time factor per profile.
Every variant runs in its own process, so wall time and peak memory (ru_maxrss) are its own.
Writes ``benchmarks/results/transcode.json`` and ``transcode.md``. The goals are on the whole job.

    .venv/bin/python benchmarks/transcode.py --seconds 60 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
import av.filter
import ffmpeg
import imageio_ffmpeg
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from transcode.loudness import measure_programme  # noqa: E402
from transcode.pipeline import make_renditions  # noqa: E402
from transcode.plan import loudness_gain, make_plan  # noqa: E402
from transcode.probe import probe  # noqa: E402
from transcode.profiles import load_profiles  # noqa: E402
from transcode.render import render  # noqa: E402

JOB = ("proxy", "web_720p", "web_1080p", "poster")
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _at(frame: VideoFrame | AudioFrame) -> Fraction:
    """When a frame pulled from a buffer sink starts (the sink sets its pts and time base)."""
    return cast(int, frame.pts) * cast(Fraction, frame.time_base)


def make_source(path: Path, seconds: int) -> Path:
    """1080p25 H.264 at a camera-like bit rate (noise defeats the encoder) with a stereo tone."""
    if path.exists():
        return path
    vgraph = av.filter.Graph()
    src = vgraph.add("testsrc2", f"size=1920x1080:rate=25:duration={seconds}")
    noise = vgraph.add("noise", "alls=12:allf=t")
    fmt = vgraph.add("format", "yuv420p")
    vsink = vgraph.add("buffersink")
    src.link_to(noise)
    noise.link_to(fmt)
    fmt.link_to(vsink)
    vgraph.configure()
    agraph = av.filter.Graph()
    tone = agraph.add("sine", f"frequency=440:sample_rate=48000:duration={seconds}")
    afmt = agraph.add("aformat", "sample_fmts=fltp:channel_layouts=stereo")
    asink = agraph.add("abuffersink")
    tone.link_to(afmt)
    afmt.link_to(asink)
    agraph.configure()
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=25, options={"preset": "ultrafast", "crf": "16", "g": "50"})
        video.width, video.height, video.pix_fmt = 1920, 1080, "yuv420p"
        audio = out.add_stream("aac", rate=48000, layout="stereo")
        audio_time = Fraction(0)
        while True:
            try:
                frame = cast(VideoFrame, vsink.pull())
            except av.error.EOFError:
                break
            out.mux(video.encode(frame))
            while audio_time <= _at(frame):
                try:
                    aframe = cast(AudioFrame, asink.pull())
                except av.error.EOFError:
                    audio_time = Fraction(10**9)
                    break
                out.mux(audio.encode(aframe))
                audio_time = _at(aframe)
        for stream in (video, audio):
            out.mux(stream.encode(None))
    return path


# --- our side (run in a child process by `--ours`) -------------------------------------------------


def run_ours(mode: str, source: Path, out: Path, names: list[str]) -> dict[str, Any]:
    profiles = load_profiles()
    info = probe(source)
    outputs = [(profiles[n], profiles[n].output_path(out)) for n in names]
    if mode == "job":
        result = make_renditions(source, info, outputs)
        return {"frames": result.report.frames_decoded}
    loudness = measure_programme(source, info)
    report = render(make_plan(source, info, outputs, loudness))
    return {"frames": report.frames_decoded}


# --- ffmpeg's side ------------------------------------------------------------------------------------


def _limited(stream: Any, gain_db: float, true_peak: float) -> Any:
    limit = 10 ** ((true_peak - 0.3) / 20)
    return (
        stream.filter("volume", f"{gain_db:.3f}dB")
        .filter("aresample", 192000)
        .filter("alimiter", limit=f"{limit:.5f}", attack=5, release=50, level=0, latency=1)
        .filter("aresample", 48000)
    )


def _video(name: str, stream: Any) -> Any:
    size = {"proxy": (640, 360), "web_720p": (1280, 720), "web_1080p": (1920, 1080), "poster": (1280, 720)}[name]
    if name == "poster":
        return stream.filter("trim", end=30).filter("fps", 2).filter("thumbnail", 60).filter("scale", *size)
    chain = stream.filter("fps", 25).filter("scale", *size).filter("setsar", 1)
    if name == "proxy" and FONT.exists():
        chain = chain.filter(
            "drawtext",
            fontfile=str(FONT),
            timecode="00:00:00:00",
            rate=25,
            fontsize=24,
            fontcolor="white",
            box=1,
            boxcolor="black",
            x="(w-tw)/2",
            y="h-th-12",
        )
    return chain.filter("format", "yuv420p")


def _encoding(name: str) -> dict[str, Any]:
    rates = {
        "proxy": ("1M", "1.5M", "3M", "main", 25),
        "web_720p": ("3M", "4.5M", "9M", "high", 50),
        "web_1080p": ("6M", "9M", "18M", "high", 50),
    }
    if name == "poster":
        return {"vframes": 1, "q:v": 3}
    bitrate, maxrate, bufsize, profile, gop = rates[name]
    return {
        "vcodec": "libx264",
        "video_bitrate": bitrate,
        "maxrate": maxrate,
        "bufsize": bufsize,
        "preset": "veryfast",
        "profile:v": profile,
        "g": gop,
        "acodec": "aac",
        "audio_bitrate": "160k" if name == "web_1080p" else "128k",
        "ac": 2,
        "ar": 48000,
        "movflags": "+faststart",
    }


def _outputs(video: Callable[[int], Any], audio: Callable[[int], Any], out: Path, gain: float) -> list[Any]:
    made = []
    for index, name in enumerate(JOB):
        streams = [_video(name, video(index))]
        if name != "poster":
            sound = audio(index)
            streams.append(sound if name == "proxy" else _limited(sound, gain, -1.0))
        suffix = "jpg" if name == "poster" else "mp4"
        made.append(ffmpeg.output(*streams, str(out / f"{name}.{suffix}"), **_encoding(name)))
    return made


def ffmpeg_split_cmd(source: Path, out: Path, gain: float) -> list[str]:
    inp = ffmpeg.input(str(source))
    video = inp.video.filter_multi_output("split", len(JOB))
    audio = inp.audio.filter_multi_output("asplit", len(JOB) - 1)
    outputs = _outputs(lambda i: video[i], lambda i: audio[i], out, gain)
    cmd: list[str] = (
        ffmpeg.merge_outputs(*outputs)
        .global_args("-hide_banner", "-loglevel", "error")
        .overwrite_output()
        .compile(cmd=imageio_ffmpeg.get_ffmpeg_exe())
    )
    return cmd


def ffmpeg_separate_cmds(source: Path, out: Path, gain: float) -> list[list[str]]:
    cmds = []
    for index in range(len(JOB)):
        inp = ffmpeg.input(str(source))
        single = _outputs(lambda _i, s=inp: s.video, lambda _i, s=inp: s.audio, out, gain)[index]  # type: ignore[misc]
        cmds.append(
            single.global_args("-hide_banner", "-loglevel", "error")
            .overwrite_output()
            .compile(cmd=imageio_ffmpeg.get_ffmpeg_exe())
        )
    return cmds


def timed(cmds: list[list[str]]) -> tuple[float, int]:
    """Wall seconds for the commands run one after another, and the largest peak RSS (KiB)."""
    started = time.perf_counter()
    peak = 0
    for cmd in cmds:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            raise SystemExit(f"command failed ({status}): {' '.join(cmd[:6])}...")
        peak = max(peak, usage.ru_maxrss)
    return time.perf_counter() - started, peak


def ours(mode: str, source: Path, out: Path, names: tuple[str, ...]) -> list[list[str]]:
    return [[sys.executable, __file__, "--ours", mode, str(source), str(out), ",".join(names)]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60, help="length of the generated source clip")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each variant; the best is kept")
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work")
    parser.add_argument("--ours", nargs=4, metavar=("MODE", "SOURCE", "OUT", "PROFILES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours:
        mode, source, out, names = args.ours
        print(json.dumps(run_ours(mode, Path(source), Path(out), names.split(","))))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    source = make_source(args.work / f"source_1080p25_{args.seconds}s.mp4", args.seconds)
    info = probe(source)
    loud = measure_programme(source, info)
    gain = loudness_gain(loud, -16.0)
    frames = round(info.duration * 25)
    variants: dict[str, Callable[[Path], list[list[str]]]] = {
        "mam_render": lambda out: ours("render", source, out, JOB),
        "mam_job": lambda out: ours("job", source, out, JOB),
        "ffmpeg_split": lambda out: [ffmpeg_split_cmd(source, out, gain)],
        "ffmpeg_separate": lambda out: ffmpeg_separate_cmds(source, out, gain),
    }
    for name in JOB:
        variants[f"mam_only_{name}"] = lambda out, n=name: ours("render", source, out, (n,))  # type: ignore[misc]
    results: dict[str, dict[str, float]] = {}
    for name, make_cmds in variants.items():
        out = args.work / name
        out.mkdir(exist_ok=True)
        runs = [timed(make_cmds(out)) for _ in range(args.rounds)]
        wall, peak = min(runs)
        results[name] = {
            "wall_seconds": round(wall, 3),
            "fps": round(frames / wall, 1),
            "realtime_factor": round(info.duration / wall, 2),
            "peak_rss_mib": round(peak / 1024, 1),
        }
        print(f"{name:20} {wall:7.2f} s  {results[name]['fps']:6.1f} fps  {peak / 1024:7.1f} MiB", flush=True)
    r = {k: v["wall_seconds"] for k, v in results.items()}
    ratios = {
        "ffmpeg_separate / mam_job (goal >= 1.4)": round(r["ffmpeg_separate"] / r["mam_job"], 3),
        "mam_job / ffmpeg_split (goal <= 1.10)": round(r["mam_job"] / r["ffmpeg_split"], 3),
        "ffmpeg_separate / mam_render": round(r["ffmpeg_separate"] / r["mam_render"], 3),
        "mam_render / ffmpeg_split": round(r["mam_render"] / r["ffmpeg_split"], 3),
    }
    summary = {
        "source": {
            "seconds": info.duration,
            "size_bytes": source.stat().st_size,
            "bit_rate": info.bit_rate,
            "video": "1920x1080 25p h264",
            "audio": "aac stereo",
            "loudness": loud and loud.to_dict(),
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "av": av.__version__,
            "ffmpeg": imageio_ffmpeg.get_ffmpeg_version(),
            "load": os.getloadavg(),
        },
        "drawtext_in_ffmpeg_proxy": FONT.exists(),
        "rounds": args.rounds,
        "results": results,
        "ratios": ratios,
    }
    results_dir = ROOT / "benchmarks" / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "transcode.json").write_text(json.dumps(summary, indent=2))
    lines = ["| variant | wall s | fps | x real time | peak RSS MiB |", "|---|---|---|---|---|"]
    lines += [
        f"| {k} | {v['wall_seconds']} | {v['fps']} | {v['realtime_factor']} | {v['peak_rss_mib']} |"
        for k, v in results.items()
    ]
    lines += ["", *(f"- {k}: **{v}**" for k, v in ratios.items())]
    (results_dir / "transcode.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
