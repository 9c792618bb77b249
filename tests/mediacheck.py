"""Small readers the tests use to check renditions: stream facts, frames, MP4 box order."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import av.filter
import numpy as np


def first_rgb_frame(path: Path, index: int = 0) -> np.ndarray:
    with av.open(str(path)) as container:
        for n, frame in enumerate(container.decode(video=0)):
            if n == index:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"{path} has fewer than {index + 1} frames")


def count_video_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.demux(video=0) if _.size)


def top_level_boxes(path: Path) -> list[str]:
    """The order of an MP4's top-level boxes (moov before mdat means faststart)."""
    boxes, data = [], path.read_bytes()
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


def comb_ratio(rgb: np.ndarray) -> float:
    """Interlace combing: difference of neighbouring rows over rows two apart (about 1 when clean)."""
    gray = rgb.astype(np.float32).mean(axis=2)
    adjacent = np.abs(gray[1:-1] - gray[:-2]).mean()
    two_apart = np.abs(gray[2:] - gray[:-2]).mean()
    return float(adjacent / max(two_apart, 1e-6))


def black_then_picture(path: Path, black_seconds: float = 1.0, seconds: float = 2.0) -> Path:
    """An H.264 clip that opens on black (a poster must not be taken from it)."""
    graph = av.filter.Graph()
    black = graph.add("color", f"color=black:size=320x240:rate=25:duration={black_seconds}")
    picture = graph.add("testsrc2", f"size=320x240:rate=25:duration={seconds - black_seconds}")
    concat = graph.add("concat", "n=2:v=1:a=0")
    fmt = graph.add("format", "yuv420p")
    sink = graph.add("buffersink")
    black.link_to(concat, 0, 0)
    picture.link_to(concat, 0, 1)
    concat.link_to(fmt)
    fmt.link_to(sink)
    graph.configure()
    return _encode_h264(sink, path, 320, 240)


def _encode_h264(
    sink: av.filter.context.FilterContext,
    path: Path,
    width: int,
    height: int,
    sample_aspect_ratio: object = None,
) -> Path:
    """Pull every frame of a configured graph's sink into an H.264 MP4 at 25 fps."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if sample_aspect_ratio is not None:
            stream.codec_context.sample_aspect_ratio = sample_aspect_ratio
        while True:
            try:
                frame = sink.pull()
            except av.error.EOFError:
                break
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def anamorphic_clip(path: Path, seconds: float = 1.0) -> Path:
    """720x576 stored with 64:45 pixels: a 16:9 PAL widescreen picture (display 1024x576)."""
    from fractions import Fraction

    graph = av.filter.Graph()
    source = graph.add("testsrc2", f"size=720x576:rate=25:duration={seconds}")
    sar = graph.add("setsar", "64/45")
    fmt = graph.add("format", "yuv420p")
    sink = graph.add("buffersink")
    source.link_to(sar)
    sar.link_to(fmt)
    fmt.link_to(sink)
    graph.configure()
    return _encode_h264(sink, path, 720, 576, Fraction(64, 45))


def remux(source: Path, target: Path, format_name: str | None = None, start_seconds: float = 0.0) -> Path:
    """Copy every stream's packets into another container, optionally starting ``start_seconds`` late."""
    with av.open(str(source)) as src, av.open(str(target), "w", format=format_name) as out:
        streams = [s for s in src.streams if s.type in ("video", "audio")]
        mapping = {s.index: out.add_stream_from_template(s) for s in streams}
        for packet in src.demux(*streams):
            if packet.dts is None:
                continue
            shift = round(start_seconds / packet.time_base)
            packet.pts = None if packet.pts is None else packet.pts + shift
            packet.dts += shift
            packet.stream = mapping[packet.stream.index]
            out.mux(packet)
    return target


def decode_audio(path: Path, stream: int = 0) -> tuple[np.ndarray, int]:
    """All samples of one audio stream as float32 (channels, samples), and the sample rate."""
    with av.open(str(path)) as container:
        chosen = container.streams.audio[stream]
        frames = list(container.decode(chosen))
        rate = chosen.rate
    raw = [f.to_ndarray() for f in frames]
    scale = float(np.iinfo(raw[0].dtype).max) if np.issubdtype(raw[0].dtype, np.integer) else 1.0
    channels = frames[0].layout.nb_channels
    planar = [r.reshape(-1, channels).T if frames[0].format.is_packed else r for r in raw]
    return np.concatenate(planar, axis=1).astype(np.float32) / scale, rate


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def numbered_clip(path: Path, frames: int = 50, rate: int = 25) -> Path:
    """Frame n is a flat grey of level 16 + 4n: each frame says which one it is."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=rate, options={"crf": "10", "g": "12"})
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        for n in range(frames):
            picture = np.full((96, 160, 3), 16 + 4 * n, np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = n
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def frame_numbers(path: Path) -> list[int]:
    """The numbers a numbered clip's frames carry (read back from their grey level)."""
    with av.open(str(path)) as container:
        return [
            round((float(f.to_ndarray(format="gray")[8:-8, 8:-8].mean()) - 16) / 4) for f in container.decode(video=0)
        ]
