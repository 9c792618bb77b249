"""Hostile media for the tests: seeded byte mutations of good clips, and picture and duration bombs.

Everything is generated from small clips the tests make themselves; nothing is committed.
"""

from __future__ import annotations

import random
import re
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from transcode import generate

__all__ = [
    "LIBRARY_NOISE",
    "PYTHON_ERROR",
    "duration_bomb",
    "frame_bomb",
    "mjpeg_clip",
    "mutants",
    "picture_bomb",
    "sources",
]

PYTHON_ERROR = re.compile(
    r"\b(AttributeError|KeyError|TypeError|ValueError|IndexError|ZeroDivisionError|OverflowError|"
    r"AssertionError|RuntimeError|NameError|UnboundLocalError|RecursionError|NoneType|Traceback)\b"
)
"""What a reason a person reads must never contain: a Python exception's name or a traceback..."""

LIBRARY_NOISE = re.compile(r"\[Errno -?\d+\]|\bav(codec|format|filter)_\w+\(")
"""... nor a C library's error number or function name."""


def sources(directory: Path) -> list[Path]:
    """Small clips of the kinds people send: phone MP4 with AAC, MXF with PCM, MP4 without audio, WAV."""
    directory.mkdir(parents=True, exist_ok=True)
    return [
        generate.phone_clip(directory / "phone.mp4", seconds=1.0, width=160, height=96),
        generate.broadcast_clip(directory / "news.mxf", seconds=0.4, width=160, height=96),
        generate.silent_clip(directory / "b-roll.mp4", seconds=1.0, width=160, height=96),
        generate.audio_clip(directory / "radio.wav", seconds=0.5),
    ]


def _box(data: bytes, name: bytes) -> tuple[int, int] | None:
    """(start, end) of the bytes inside the first ISO BMFF box called ``name``."""
    at = data.find(name)
    if at < 4:
        return None
    size = struct.unpack(">I", data[at - 4 : at])[0]
    end = min(len(data), at - 4 + size) if size >= 8 else len(data)
    return (at + 4, end) if end > at + 4 else None


def _mutate(data: bytes, rng: random.Random) -> bytes:
    """Flip bytes in one region: the first header bytes, the moov box, the mdat box, or anywhere."""
    regions = [(0, min(len(data), 1024)), (0, len(data))]
    regions += [r for r in (_box(data, b"moov"), _box(data, b"mdat")) if r is not None]
    start, end = rng.choice(regions)
    out = bytearray(data)
    for _ in range(rng.randint(1, 10)):
        at = rng.randrange(start, end)
        out[at] = rng.randrange(256) if rng.random() < 0.5 else out[at] ^ (1 << rng.randrange(8))
    return bytes(out)


def mutants(clips: list[Path], directory: Path, count: int, seed: int) -> list[Path]:
    """``count`` seeded mutations of ``clips`` (round robin), written to ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    made = []
    for n in range(count):
        clip = clips[n % len(clips)]
        path = directory / f"mutant-{n:03d}{clip.suffix}"
        path.write_bytes(_mutate(clip.read_bytes(), rng))
        made.append(path)
    return made


def mjpeg_clip(path: Path, width: int = 64, height: int = 48, frames: int = 5) -> Path:
    """A small MJPEG QuickTime movie."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mjpeg", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuvj420p"
        for n in range(frames):
            picture = np.full((height, width, 3), n * 40, np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuvj420p")
            frame.pts, frame.time_base = n, Fraction(1, 25)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def picture_bomb(path: Path, side: int) -> Path:
    """An MJPEG .mov whose sample description and every frame header claim a ``side``×``side`` picture."""
    data = bytearray(mjpeg_clip(path.with_name(f".{path.stem}.source.mov")).read_bytes())
    at = 0
    while (at := data.find(b"\xff\xc0", at)) >= 0:  # JPEG start of frame: length, precision, height, width
        data[at + 5 : at + 9] = struct.pack(">HH", side, side)
        at += 2
    entry = data.find(b"jpeg", data.find(b"stsd"))  # the sample entry: width and height 28 bytes on
    data[entry + 28 : entry + 32] = struct.pack(">HH", side, side)
    path.write_bytes(bytes(data))
    return path


def duration_bomb(path: Path, seconds: float = 2.0, claimed: float = 100_000_000.0) -> Path:
    """A ``seconds``-long Matroska clip whose segment declares ``claimed`` seconds."""
    clip = generate.silent_clip(path.with_name(f".{path.stem}.source.mp4"), seconds=seconds, width=160, height=96)
    remuxed = path.with_name(f".{path.stem}.source.mkv")
    with av.open(str(clip)) as source, av.open(str(remuxed), "w", format="matroska") as out:
        video = out.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:
                packet.stream = video
                out.mux(packet)
    data = bytearray(remuxed.read_bytes())
    at = data.find(b"\x44\x89")  # Segment Info > Duration, a float in timecode-scale units (ms)
    size = data[at + 2] & 0x7F
    data[at + 3 : at + 3 + size] = struct.pack(">d" if size == 8 else ">f", claimed * 1000)
    path.write_bytes(bytes(data))
    return path


def frame_bomb(path: Path, side: int = 4000, frames: int = 5) -> Path:
    """A 64×48 MJPEG .mov (so its header and first frame say) whose third frame is a real ``side``×``side``
    JPEG: it passes the probe, and only the render meets the large picture."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mjpeg", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        large = av.CodecContext.create("mjpeg", "w")
        large.width = large.height = side
        large.pix_fmt, large.time_base = "yuvj420p", Fraction(1, 25)
        for n in range(frames):
            if n == 2:
                frame = av.VideoFrame(side, side, "yuvj420p")
                for plane in frame.planes:
                    np.frombuffer(memoryview(plane), np.uint8)[:] = 128
                frame.pts, frame.time_base = n, Fraction(1, 25)
                for packet in large.encode(frame):
                    packet.stream, packet.pts, packet.dts = stream, n, n
                    out.mux(packet)
                continue
            picture = np.full((48, 64, 3), n * 40, np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuvj420p")
            frame.pts, frame.time_base = n, Fraction(1, 25)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
