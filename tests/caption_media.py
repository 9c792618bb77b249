"""Generated clips with Chinese text burnt into the picture, and the truth of what stands where and when.

Captions are drawn with the Noto CJK font (simplified script with its SC face, traditional with its
TC face) once each, then laid over every frame of their time range: a bottom subtitle (white on a
dark band, centred), a name strap (white on a blue bar, left in the lower third) or a top line.
Backgrounds are still (a gradient) or moving (smooth noise that pans every frame). Nothing is
committed: the tests and ``benchmarks/analysis.py`` make them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

__all__ = ["FONT", "Caption", "caption_clip", "cer", "news_captions"]

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
_FACE = {"sc": 2, "tc": 3}

RGB = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Caption:
    start: float
    end: float
    text: str
    region: str = "subtitle"
    """``subtitle``, ``strap`` or ``other`` (a line at the top)."""
    script: str = "sc"
    """``sc`` (simplified) or ``tc`` (traditional): which face of the font draws it."""
    place: tuple[float, float] | None = None
    """Where its top left corner goes, as fractions of the width and height (default: its region's place)."""


def _layer(caption: Caption, width: int, height: int) -> tuple[RGB, npt.NDArray[np.float32], int, int]:
    """The caption's pixels, their opacity, and where they go (x, y)."""
    size = max(14, round(height * (0.06 if caption.region == "subtitle" else 0.065)))
    font = ImageFont.truetype(str(FONT), size, index=_FACE[caption.script])
    left, top, right, bottom = font.getbbox(caption.text)
    pad = size // 3
    w, h = int(right - left) + 2 * pad, int(bottom - top) + 2 * pad
    fill = {"subtitle": (16, 16, 16, 170), "strap": (20, 60, 170, 235), "other": (0, 0, 0, 0)}[caption.region]
    picture = Image.new("RGBA", (w, h), fill)
    ImageDraw.Draw(picture).text((pad - int(left), pad - int(top)), caption.text, font=font, fill=(255, 255, 255, 255))
    array = np.asarray(picture, np.uint8)
    if caption.place is not None:
        x, y = round(width * caption.place[0]), round(height * caption.place[1])
    elif caption.region == "subtitle":
        x, y = (width - w) // 2, height - h - round(height * 0.05)
    elif caption.region == "strap":
        x, y = round(width * 0.06), round(height * 0.72)
    else:
        x, y = round(width * 0.05), round(height * 0.06)
    alpha = np.asarray(array[:, :, 3:4], np.float32) / np.float32(255.0)
    return array[:, :, :3].copy(), alpha, x, y


def _background(width: int, height: int, moving: bool, seed: int) -> tuple[RGB, int]:
    rng = np.random.default_rng(seed)
    if not moving:
        ramp = np.linspace(60, 140, width, dtype=np.float32)[None, :, None]
        tint = np.array([0.7, 0.9, 1.1], np.float32)[None, None, :]
        return np.broadcast_to(ramp * tint, (height, width, 3)).astype(np.uint8).copy(), 0
    small = rng.integers(30, 200, (height // 16 + 2, (2 * width) // 16 + 2, 3), dtype=np.uint8)
    big = np.asarray(Image.fromarray(small).resize((2 * width + 32, height + 32), Image.Resampling.BICUBIC))
    return big[:height], max(1, width // 160)


def caption_clip(
    path: Path,
    captions: list[Caption],
    seconds: float,
    *,
    width: int = 640,
    height: int = 360,
    rate: int = 25,
    moving: bool = False,
    bitrate: int = 0,
    seed: int = 7,
) -> Path:
    """An H.264 MP4 of ``seconds`` with ``captions`` burnt in (no sound)."""
    layers = [(c, *_layer(c, width, height)) for c in captions]
    background, speed = _background(width, height, moving, seed)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "18"} if not bitrate else {"preset": "veryfast"}
        if bitrate:
            stream.bit_rate = bitrate
        stream.codec_context.time_base = Fraction(1, rate)
        for n in range(round(seconds * rate)):
            t = n / rate
            offset = (n * speed) % width if speed else 0
            picture = background[:, offset : offset + width].copy()  # a copy: captions never reach the background
            for caption, pixels, alpha, x, y in layers:
                if caption.start <= t < caption.end:
                    h, w = pixels.shape[:2]
                    area = picture[y : y + h, x : x + w].astype(np.float32)
                    picture[y : y + h, x : x + w] = area * (1 - alpha) + pixels.astype(np.float32) * alpha
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = n
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def news_captions(seconds: float, change: float = 2.0) -> list[Caption]:
    """A county news item: a name strap the whole time, a top line in traditional script, and a
    bottom subtitle that changes every ``change`` seconds."""
    lines = [
        "县委书记在防汛工作会议上讲话",
        "全县各乡镇做好防汛准备",
        "气象台发布暴雨黄色预警",
        "志愿者帮助群众转移物资",
        "水库水位保持在安全线以下",
        "交通部门加强道路巡查",
        "农业部门指导抢收早稻",
        "电力部门保障城乡供电",
    ]
    out = [Caption(0.0, seconds, "湘乡市融媒体中心 记者 张三", "strap")]
    out.append(Caption(0.0, seconds, "國際新聞 經濟觀察", "other", "tc"))
    t, k = 0.0, 0
    while t + 1e-9 < seconds:
        out.append(Caption(t, min(seconds, t + change), lines[k % len(lines)], "subtitle"))
        t, k = t + change, k + 1
    return out


def cer(read: str, truth: str) -> float:
    """Character error rate: edit distance / the truth's length (spaces ignored)."""
    a, b = read.replace(" ", ""), truth.replace(" ", "")
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1] / max(1, len(b))
