"""Audio branches of a render: one mixed track (AudioBranch) or the source's tracks kept apart (TracksBranch).

Each takes decoded audio frames from the shared decode, runs its filter graph and feeds its encoder.
"""

from __future__ import annotations

from fractions import Fraction

import av
import av.filter
from av.audio.frame import AudioFrame
from av.filter.context import FilterContext
from av.frame import Frame

from transcode.audiomix import MIX_FORMAT, USUAL_LAYOUTS
from transcode.branches import Branch
from transcode.encoder import EncoderThread, Muxer
from transcode.graphs import Step, chain, gain_steps, known_channel_names
from transcode.plan import OutputPlan

__all__ = ["AudioBranch", "TracksBranch"]

_FRAME_SAMPLES = {"aac": 1024, "libmp3lame": 1152}


class AudioBranch(Branch):
    """The programme mix, normalised to the profile's loudness target if it has one."""

    route = "mix"

    def __init__(self, plan: OutputPlan, container: av.container.OutputContainer, muxer: Muxer) -> None:
        super().__init__(plan)
        spec = plan.audio
        assert spec is not None
        self.encoder, self.muxer = EncoderThread(f"{plan.profile.name}-audio"), muxer
        self.layout = "stereo" if spec.channels == 2 else "mono"
        stream = container.add_stream(spec.codec, rate=spec.sample_rate, layout=self.layout)
        stream.codec_context.bit_rate = spec.bitrate
        self.stream = stream
        self.samples = 0

    def steps(self) -> list[Step]:
        spec = self.plan.audio
        assert spec is not None
        steps: list[Step] = []
        if self.plan.gain_db is not None and self.plan.profile.loudness is not None:
            steps += gain_steps(self.plan.gain_db, self.plan.profile.loudness.true_peak)
        fmt = "s16p" if spec.codec.startswith("pcm") else "fltp"
        steps.append(("aformat", f"sample_fmts={fmt}:sample_rates={spec.sample_rate}:channel_layouts={self.layout}"))
        if spec.codec in _FRAME_SAMPLES:
            steps.append(("asetnsamples", f"n={_FRAME_SAMPLES[spec.codec]}:p=0"))
        return steps

    def consume(self, frame: Frame, sink: int) -> None:
        assert isinstance(frame, AudioFrame) and self.plan.audio is not None
        self.samples += frame.samples
        self.frames += 1
        self.duration = self.samples / self.plan.audio.sample_rate
        self.submit(self._encode, frame)

    def _encode(self, frame: AudioFrame | None) -> None:
        self.muxer.mux(self.stream.encode(frame))

    def finish(self) -> None:
        self.submit(self._encode, None)


class TracksBranch(Branch):
    """``tracks`` mono PCM streams: source channel k on track k (a mono source on tracks 1 and 2),
    silence on the tracks beyond. A surround source (one stream of more than two channels) puts its
    stereo programme mix on tracks 1 and 2 and its own channels from track 3 (the usual 8-track
    layout: stereo, then 5.1), so the pair that is measured is the mix whose loudness set the gain."""

    route = "channels"

    def __init__(
        self,
        plan: OutputPlan,
        container: av.container.OutputContainer,
        muxer: Muxer,
        source_channels: int,
        frame_rate: Fraction,
        surround: bool = False,
    ) -> None:
        super().__init__(plan)
        spec = plan.audio
        assert spec is not None
        self.encoder, self.muxer = EncoderThread(f"{plan.profile.name}-tracks"), muxer
        self.surround = surround and source_channels > 2 and spec.tracks > 2
        self.source_channels = max(1, min(8, source_channels + (2 if self.surround else 0)))
        self.per_frame = spec.sample_rate / frame_rate
        self.streams = []
        for _ in range(spec.tracks):
            stream = container.add_stream(spec.codec, rate=spec.sample_rate, layout="mono")
            self.streams.append(stream)
        self.samples = 0

    def build(self, graph: av.filter.Graph, upstream: FilterContext, pad: int) -> list[FilterContext]:
        spec = self.plan.audio
        assert spec is not None
        layout = USUAL_LAYOUTS[spec.tracks]  # one channel per track, split into mono streams below
        mapping = "|".join(f"c{k}={self._track_source(k)}" for k in range(spec.tracks))
        steps: list[Step] = [("pan", f"{layout}|{mapping}")]  # to a known layout before resampling
        if self.plan.gain_db is not None and self.plan.profile.loudness is not None:
            steps += gain_steps(self.plan.gain_db, self.plan.profile.loudness.true_peak)
        if self.surround:
            upstream, pad = _mix_then_channels(graph, upstream, pad, self.source_channels), 0
        head = chain(graph, upstream, pad, steps, passthrough="anull")
        splitter = graph.add("channelsplit", f"channel_layout={layout}")
        head.link_to(splitter, 0, 0)
        track: list[Step] = [
            ("aformat", f"sample_fmts={'s32' if spec.codec == 'pcm_s24le' else 's16'}:channel_layouts=mono")
        ]
        if self.per_frame == int(self.per_frame):  # one edit unit of audio per video frame
            track.append(("asetnsamples", f"n={int(self.per_frame)}:p=0"))
        return [chain(graph, splitter, index, track, passthrough="anull") for index in range(spec.tracks)]

    def _track_source(self, track: int) -> str:
        """A mono source goes on the first two tracks (the programme pair), as on both channels of a
        stereo output; otherwise channel k on track k, and silence beyond the source's channels."""
        if track < self.source_channels:
            return f"c{track}"
        return "c0" if self.source_channels == 1 and track == 1 else "0*c0"

    def consume(self, frame: Frame, sink: int) -> None:
        assert isinstance(frame, AudioFrame) and self.plan.audio is not None
        if sink == 0:
            self.samples += frame.samples
            self.duration = self.samples / self.plan.audio.sample_rate
        self.frames += 1
        self.submit(self._encode, (sink, frame))

    def _encode(self, item: tuple[int, AudioFrame | None]) -> None:
        sink, frame = item
        self.muxer.mux(self.streams[sink].encode(frame))

    def finish(self) -> None:
        for index in range(len(self.streams)):
            self.submit(self._encode, (index, None))


def _mix_then_channels(graph: av.filter.Graph, upstream: FilterContext, pad: int, total: int) -> FilterContext:
    """``total`` channels: the stereo programme mix (as the loudness meter makes it), then the source's."""
    parts = graph.add("asplit", "2")
    upstream.link_to(parts, pad, 0)
    # the downmix is this branch's own resampler: an aformat alone would make the split's input stereo
    mix = chain(graph, parts, 0, [("aresample", "out_chlayout=stereo"), ("aformat", MIX_FORMAT)])
    channels = chain(graph, parts, 1, [("aformat", "sample_fmts=fltp:sample_rates=48000")])
    names = known_channel_names(total)
    mapping = [f"0.0-{names[0]}", f"0.1-{names[1]}", *(f"1.{k}-{names[2 + k]}" for k in range(total - 2))]
    joined = graph.add("join", f"inputs=2:channel_layout={USUAL_LAYOUTS[total]}:map={'|'.join(mapping)}")
    mix.link_to(joined, 0, 0)
    channels.link_to(joined, 0, 1)
    return joined
