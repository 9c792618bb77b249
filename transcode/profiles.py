"""Output profiles: data files in ``profiles/`` validated by frozen pydantic models.

A profile says what a rendition is (container, codecs, size, scan, rates, audio layout, loudness
target), never how to run ffmpeg: the graph that realises it is built in :mod:`transcode.graphs`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from transcode.errors import ProfileError

__all__ = [
    "CONTENT_TYPES",
    "AnalysisSpec",
    "AudioSpec",
    "ImageSpec",
    "LoudnessSpec",
    "Profile",
    "Rung",
    "StreamingSpec",
    "VideoSpec",
    "default_profiles_dir",
    "load_profile",
    "load_profiles",
    "select_profiles",
]

MediaKind = Literal["video", "audio"]
Fit = Literal["contain", "pad", "crop", "blur_pad"]
Scan = Literal["progressive", "interlaced_tff"]


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _parse_bitrate(value: str | int) -> int:
    """``"1M"`` / ``"128k"`` / ``2500000`` → bits per second."""
    if isinstance(value, int):
        return value
    text = value.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if scale != 1 else text
    try:
        bits = float(number) * scale
    except ValueError as exc:
        raise ValueError(f"not a bit rate: {value!r} (write e.g. 1M, 128k or 2500000)") from exc
    return int(bits)


class VideoSpec(_Spec):
    codec: Literal["libx264", "mpeg2video"] = "libx264"
    width: Annotated[int, Field(ge=16, le=7680)]
    height: Annotated[int, Field(ge=16, le=4320)]
    fit: Fit = "contain"
    """How the picture meets the box: ``contain`` (fit inside, the output takes the picture's
    aspect), ``pad`` (fit inside, black bars to the exact box), ``crop`` (fill the box, centre
    crop), ``blur_pad`` (fit inside over a blurred, filled copy of itself)."""
    follow_orientation: bool = True
    """Turn the box for portrait sources (640x360 becomes 360x640); applies to ``contain`` only:
    the other fits make exactly the box."""
    upscale: bool = False
    frame_rate: float | Literal["source"] = "source"
    """Constant output rate; ``source`` keeps the source's nominal rate (VFR is made constant)."""
    scan: Scan = "progressive"
    """``interlaced_tff``: 2 fields a frame, top first (50/60p sources are woven, not dropped)."""
    bitrate: int
    max_bitrate: int | None = None
    constant_bitrate: bool = False
    h264_profile: Literal["baseline", "main", "high"] = "high"
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"] = "veryfast"
    gop_seconds: Annotated[float, Field(gt=0, le=10)] = 2.0
    b_frames: Annotated[int, Field(ge=0, le=16)] | None = None
    pixel_format: Literal["yuv420p", "yuv422p"] = "yuv420p"
    burn_timecode: bool = False

    @field_validator("bitrate", "max_bitrate", mode="before")
    @classmethod
    def _bitrate(cls, value: str | int | None) -> int | None:
        return None if value is None else _parse_bitrate(value)

    @model_validator(mode="after")
    def _consistent(self) -> VideoSpec:
        if self.codec == "libx264" and self.pixel_format != "yuv420p":
            raise ValueError("libx264 profiles write yuv420p (players expect it)")
        if self.scan != "progressive" and self.frame_rate == "source":
            raise ValueError("an interlaced profile needs a fixed frame_rate (e.g. 25)")
        return self


class AudioSpec(_Spec):
    codec: Literal["aac", "libmp3lame", "pcm_s24le", "pcm_s16le"] = "aac"
    bitrate: int = 128_000
    channels: Literal[1, 2] = 2
    """Channels of the programme mix (for ``layout = "mix"``)."""
    layout: Literal["mix", "tracks"] = "mix"
    """``mix``: one stereo/mono stream of the programme mix; ``tracks``: ``tracks`` mono streams
    carrying the source's channels in order, silence beyond them (broadcast delivery)."""
    tracks: Annotated[int, Field(ge=1, le=8)] = 2
    """Mono tracks for ``layout = "tracks"`` (broadcast files carry up to 8)."""
    sample_rate: Literal[44100, 48000] = 48000

    @field_validator("bitrate", mode="before")
    @classmethod
    def _bitrate(cls, value: str | int) -> int:
        return _parse_bitrate(value)

    @model_validator(mode="after")
    def _consistent(self) -> AudioSpec:
        if self.layout == "tracks" and not self.codec.startswith("pcm_"):
            raise ValueError("mono track layouts are written as PCM (pcm_s24le or pcm_s16le)")
        return self


class LoudnessSpec(_Spec):
    """Two-pass normalisation target (ITU-R BS.1770 / EBU R128 measurement)."""

    integrated: Annotated[float, Field(ge=-40, le=-5)]
    """Programme loudness target in LUFS (= LKFS)."""
    true_peak: Annotated[float, Field(ge=-9, le=0)] = -1.0
    """Highest allowed true peak in dBTP."""
    tolerance: Annotated[float, Field(gt=0, le=5)] = 1.0
    """How far (LU) the rendition may land from the target before it is refused."""


class Rung(_Spec):
    """One rendition of an HLS ladder: a box to fit the picture in and a bit rate."""

    width: Annotated[int, Field(ge=16, le=7680)]
    height: Annotated[int, Field(ge=16, le=4320)]
    bitrate: int
    max_bitrate: int | None = None

    @field_validator("bitrate", "max_bitrate", mode="before")
    @classmethod
    def _bitrate(cls, value: str | int | None) -> int | None:
        return None if value is None else _parse_bitrate(value)


class StreamingSpec(_Spec):
    """An adaptive HLS ladder as CMAF (fMP4) segments of a fixed length with aligned keyframes."""

    segment_seconds: Annotated[float, Field(gt=0.5, le=20)] = 4.0
    ladder: Annotated[tuple[Rung, ...], Field(min_length=1)]


class ImageSpec(_Spec):
    codec: Literal["jpeg"] = "jpeg"
    width: Annotated[int, Field(ge=16, le=7680)]
    height: Annotated[int, Field(ge=16, le=4320)]
    follow_orientation: bool = True
    quality: Annotated[int, Field(ge=1, le=100)] = 90
    """JPEG quality, 1 (worst) to 100 (best)."""
    search_seconds: Annotated[float, Field(gt=0)] = 30.0
    """Look for the poster among frames in the first this-many seconds."""


class AnalysisSpec(_Spec):
    """What the analysis riding a render of this profile does beyond shots, keyframes and QC."""

    ocr: bool = False
    """Read on-screen text (字幕, name straps, captions) into timed, searchable lines."""


_EXTENSIONS = {"mp4": {"mp4", "m4a"}, "mxf": {"mxf"}, "mp3": {"mp3"}, "jpeg": {"jpg"}, "hls": {"m3u8"}}


class Profile(_Spec):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    description: str
    container: Literal["mp4", "mxf", "mp3", "jpeg", "hls"]
    extension: Literal["mp4", "m4a", "mxf", "mp3", "jpg", "m3u8"]
    applies_to: tuple[MediaKind, ...] = ("video",)
    faststart: bool = True
    carry_timecode: bool = False
    """Write the source's start timecode into the output (MXF/MOV timecode)."""
    video: VideoSpec | None = None
    audio: AudioSpec | None = None
    loudness: LoudnessSpec | None = None
    image: ImageSpec | None = None
    streaming: StreamingSpec | None = None
    analysis: AnalysisSpec = AnalysisSpec()

    @field_validator("applies_to")
    @classmethod
    def _applies(cls, value: tuple[MediaKind, ...]) -> tuple[MediaKind, ...]:
        if not value:
            raise ValueError("applies_to must name at least one media kind")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        if self.extension not in _EXTENSIONS[self.container]:
            raise ValueError(f"a {self.container} profile writes .{sorted(_EXTENSIONS[self.container])[0]}")
        if self.container == "jpeg":
            if self.image is None or self.video is not None or self.audio is not None:
                raise ValueError("a jpeg profile has an [image] table and no [video]/[audio]")
        elif self.video is None and self.audio is None:
            raise ValueError(f"a {self.container} profile needs a [video] or an [audio] table")
        elif self.image is not None:
            raise ValueError("[image] belongs to jpeg profiles only")
        if self.container == "mp3" and (self.video or not self.audio or self.audio.codec != "libmp3lame"):
            raise ValueError("an mp3 profile has only an [audio] table with codec libmp3lame")
        if self.container == "mxf" and self.video is not None and self.video.codec != "mpeg2video":
            raise ValueError("mxf profiles carry mpeg2video")
        if (self.container == "hls") != (self.streaming is not None):
            raise ValueError("an hls profile has a [streaming] table with its ladder, and only hls profiles do")
        if self.streaming is not None and (self.video is None or self.video.codec != "libx264"):
            raise ValueError("an hls ladder is H.264: give a [video] table with codec libx264 for its settings")
        if self.loudness is not None and self.audio is None:
            raise ValueError("[loudness] needs an [audio] table")
        if "audio" in self.applies_to and self.audio is None:
            raise ValueError("a profile that applies to audio sources needs an [audio] table")
        return self

    def applies(self, kind: MediaKind) -> bool:
        return kind in self.applies_to

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]

    @property
    def is_directory(self) -> bool:
        """Whether the rendition is a folder of files (a playlist and its segments), not one file."""
        return self.container == "hls"

    def output_path(self, folder: Path) -> Path:
        """Where a render into ``folder`` writes this profile: a file, or a folder of its own with
        its master playlist (the whole folder is the rendition and is removed if the render fails)."""
        if self.is_directory:
            return folder / self.name / f"master.{self.extension}"
        return folder / f"{self.name}.{self.extension}"


CONTENT_TYPES: dict[str, str] = {
    "mp4": "video/mp4",
    "m4a": "audio/mp4",
    "m4s": "video/iso.segment",
    "jpg": "image/jpeg",
    "mxf": "application/mxf",
    "mp3": "audio/mpeg",
    "m3u8": "application/vnd.apple.mpegurl",
    "vtt": "text/vtt",
    "json": "application/json",
}
"""The media type of every file the engine writes, by extension: the one table (mam.layout uses it too)."""


def default_profiles_dir() -> Path:
    """The profiles shipped with the project (the ``profiles/`` data directory)."""
    # ``profiles/`` sits beside this package, in the source tree and in site-packages alike.
    return Path(__file__).resolve().parent.parent / "profiles"


def load_profile(path: Path) -> Profile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"cannot read profile {path}: {exc}") from exc
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(f"invalid profile {path}:\n{exc}") from exc
    if profile.name != path.stem:
        raise ProfileError(f"profile {path} is named {profile.name!r}; the file must be {profile.name}.toml")
    return profile


def load_profiles(directory: Path | None = None) -> Mapping[str, Profile]:
    """Every ``*.toml`` profile in ``directory`` (default: the shipped ones), by name."""
    folder = directory or default_profiles_dir()
    if not folder.is_dir():
        raise ProfileError(f"profiles directory {folder} does not exist")
    profiles = {p.name: p for p in (load_profile(f) for f in sorted(folder.glob("*.toml")))}
    if not profiles:
        raise ProfileError(f"no *.toml profiles in {folder}")
    return profiles


def select_profiles(available: Mapping[str, Profile], names: Iterable[str]) -> list[Profile]:
    """Look up ``names``; unknown names raise ProfileError listing what exists."""
    chosen: list[Profile] = []
    for name in names:
        if name not in available:
            known = ", ".join(sorted(available))
            raise ProfileError(f"unknown profile {name!r}; available: {known}")
        if available[name] not in chosen:
            chosen.append(available[name])
    return chosen
