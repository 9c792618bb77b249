"""A mono source's loudness is BS.1770's one-channel figure, as ffmpeg's ebur128 and pyloudnorm read it.

The renditions carry a mono source on both channels of a stereo pair, which reads 3.01 LU louder:
that figure is reported apart, as ``dual_mono``, and the outputs' gain is computed from it.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import av.error
import av.filter
import numpy as np
import numpy.typing as npt
import pyloudnorm
import pytest

from transcode.loudness import DUAL_MONO_LU, measure_programme
from transcode.pipeline import make_renditions
from transcode.probe import probe
from transcode.profiles import default_profiles_dir, load_profiles

_RATE = 48000


def _programme(channels: int, seconds: float = 5.0, seed: int = 7) -> npt.NDArray[np.float32]:
    """(channels, n): a 997 Hz tone over noise, then a quieter chord, then louder noise; unlike channels."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * _RATE)) / _RATE
    third = t.size // 3
    rows = []
    for channel in range(channels):
        wave = 0.12 * np.sin(2 * np.pi * (997 + 200 * channel) * t) + 0.03 * rng.standard_normal(t.size)
        wave[third : 2 * third] = 0.04 * (
            np.sin(2 * np.pi * 220 * t[third : 2 * third]) + np.sin(2 * np.pi * 330 * t[third : 2 * third])
        )
        wave[2 * third :] = 0.08 * rng.standard_normal(t.size - 2 * third)
        rows.append(wave)
    return np.asarray(rows, np.float32)


def _wav(path: Path, samples: npt.NDArray[np.float32]) -> Path:
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_f32le", rate=_RATE, layout=layout)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.T.reshape(1, -1)), "flt", layout)
        frame.sample_rate, frame.pts, frame.time_base = _RATE, 0, Fraction(1, _RATE)
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _ffmpeg_ebur128(path: Path, *, dualmono: bool = False) -> float:
    """ffmpeg's own ebur128 filter over the file's audio as it is (a filter graph, no conversion)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        graph = av.filter.Graph()
        source = graph.add_abuffer(template=stream)
        meter = graph.add("ebur128", f"metadata=1:dualmono={'true' if dualmono else 'false'}")
        sink = graph.add("abuffersink")
        source.link_to(meter)
        meter.link_to(sink)
        graph.configure()
        last: dict[str, str] = {}

        def drain() -> None:
            while True:
                try:
                    frame = sink.pull()
                except (av.error.BlockingIOError, av.error.EOFError):
                    return
                last.update(frame.metadata)

        for frame in container.decode(stream):
            source.push(frame)
            drain()
        source.push(None)
        drain()
    return float(last["lavfi.r128.I"])


def _pyloudnorm(samples: npt.NDArray[np.float32]) -> float:
    return float(pyloudnorm.Meter(_RATE).integrated_loudness(np.asarray(samples.T, np.float64)))


def test_a_mono_source_measures_as_one_channel_like_ebur128_and_pyloudnorm_within_a_tenth_of_a_lu(
    tmp_path: Path,
) -> None:
    samples = _programme(1)
    wav = _wav(tmp_path / "mono.wav", samples)
    ours = measure_programme(wav, probe(wav))
    assert ours is not None
    ffmpeg, reference = _ffmpeg_ebur128(wav), _pyloudnorm(samples[0])
    print(
        f"mono: ours {ours.integrated:.3f} (dual mono {ours.dual_mono}), "
        f"ebur128 {ffmpeg:.3f}, pyloudnorm {reference:.3f}"
    )
    assert -26 < reference < -16, "the clip is meant to sit near programme loudness"
    assert abs(ours.integrated - ffmpeg) <= 0.1 and abs(ours.integrated - reference) <= 0.1
    assert ours.dual_mono is not None and abs(ours.dual_mono - ours.integrated - DUAL_MONO_LU) < 1e-9
    assert abs(ours.dual_mono - _ffmpeg_ebur128(wav, dualmono=True)) <= 0.1, "labelled as ebur128's dual mono"
    assert ours.to_dict()["dual_mono"] == round(ours.dual_mono, 2)


def test_a_stereo_source_is_measured_as_before_and_has_no_dual_mono_figure(tmp_path: Path) -> None:
    samples = _programme(2)
    wav = _wav(tmp_path / "stereo.wav", samples)
    ours = measure_programme(wav, probe(wav))
    assert ours is not None
    ffmpeg, reference = _ffmpeg_ebur128(wav), _pyloudnorm(samples)
    print(f"stereo: ours {ours.integrated:.3f}, ebur128 {ffmpeg:.3f}, pyloudnorm {reference:.3f}")
    assert abs(ours.integrated - ffmpeg) <= 0.1 and abs(ours.integrated - reference) <= 0.1
    assert ours.dual_mono is None and ours.playback == ours.integrated and "dual_mono" not in ours.to_dict()


@pytest.mark.parametrize("channels", [1, 2])
def test_a_rendition_of_a_mono_or_stereo_source_lands_on_its_loudness_target(tmp_path: Path, channels: int) -> None:
    """The renditions carry a mono source as dual mono, so its gain is computed from that figure."""
    wav = _wav(tmp_path / "source.wav", _programme(channels, seconds=4.0))
    radio = load_profiles(default_profiles_dir())["radio"]
    assert radio.loudness is not None
    result = make_renditions(wav, probe(wav), [(radio, radio.output_path(tmp_path / "out"))], analyze=False)
    (check,) = result.checks
    assert check.loudness is not None and not check.problems
    # on the mono channel's own figure the gain would be 3 dB too much: the output 3 LU over its target
    assert abs(check.loudness.integrated - radio.loudness.integrated) <= radio.loudness.tolerance, check.loudness
    before = result.loudness_before
    assert before is not None and (before.dual_mono is not None) == (channels == 1)
