"""A job's thread budget (``MAM_THREADS_PER_JOB``, ``mam worker --threads-per-job``) reaches its decoder,
its encoders and its filter graph, in process and through the sandboxed child."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import transcode.render as render_module
from mam.errors import ConfigError
from mam.settings import Settings
from mam.worker_settings import threads_per_job, threads_per_job_from_env
from transcode import generate
from transcode.branches import VideoBranch
from transcode.graphs import build_video_graph as build_video_graph_
from transcode.inputs import open_input as open_input_
from transcode.plan import make_plan
from transcode.probe import probe
from transcode.profiles import load_profiles
from transcode.render import render
from transcode.sandbox import renditions_isolated

PROFILES = load_profiles()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate.silent_clip(tmp_path_factory.mktemp("threads") / "clip.mp4", seconds=1.0, width=320, height=240)


def _x264_threads(path: Path) -> tuple[int, int]:
    """(threads, sliced_threads) as x264 wrote them into the stream's options message."""
    found = re.search(rb" threads=(\d+) .*? sliced_threads=(\d+)", path.read_bytes())
    assert found is not None, "no x264 options message in the output"
    return int(found.group(1)), int(found.group(2))


def test_a_worker_gives_each_job_its_share_of_the_cores_unless_a_number_is_set() -> None:
    assert threads_per_job(0, concurrency=1, cores=2) == 2
    assert threads_per_job(0, concurrency=2, cores=2) == 1
    assert threads_per_job(0, concurrency=3, cores=8) == 2
    assert threads_per_job(0, concurrency=4, cores=2) == 1
    assert threads_per_job(3, concurrency=2, cores=2) == 3


def test_the_setting_is_read_from_the_environment_and_nonsense_is_refused(tmp_path: Path) -> None:
    home = {"MAM_HOME": str(tmp_path)}
    assert Settings.from_env(home).threads_per_job == 0
    assert Settings.from_env({**home, "MAM_THREADS_PER_JOB": "2"}).threads_per_job == 2
    assert threads_per_job_from_env({"MAM_THREADS_PER_JOB": " "}) == 0
    for bad in ("-1", "many", "1.5"):
        with pytest.raises(ConfigError, match="MAM_THREADS_PER_JOB"):
            Settings.from_env({**home, "MAM_THREADS_PER_JOB": bad})


def test_one_thread_reaches_the_decoder_the_encoder_and_the_filter_graph(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    real_open, real_graph = open_input_, build_video_graph_

    def open_input(path: Path) -> Any:
        seen["container"] = real_open(path)
        return seen["container"]

    def build_video_graph(*args: Any) -> Any:
        built = real_graph(*args)
        seen["graph"] = built.graph.threads
        seen["decoder"] = seen["container"].streams.video[0].codec_context.thread_count  # open and decoding
        return built

    class Encoder(VideoBranch):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            seen["encoder"] = self.stream.codec_context

    monkeypatch.setattr(render_module, "open_input", open_input)
    monkeypatch.setattr(render_module, "build_video_graph", build_video_graph)
    monkeypatch.setattr(render_module, "VideoBranch", Encoder)
    proxy = PROFILES["proxy"]
    report = render(make_plan(clip, probe(clip), [(proxy, tmp_path / "proxy.mp4")], threads=1))

    assert (seen["decoder"], seen["graph"]) == (1, 1)
    assert seen["encoder"].thread_count == 1 and seen["encoder"].thread_type.name == "FRAME"
    assert _x264_threads(report.outputs[0].path) == (1, 0)


def test_the_whole_job_in_its_child_encodes_with_the_budget_it_was_given(clip: Path, tmp_path: Path) -> None:
    proxy, info = PROFILES["proxy"], probe(clip)
    for threads in (1, 2):
        path = tmp_path / str(threads) / "proxy.mp4"
        path.parent.mkdir()
        result = renditions_isolated(clip, info, [(proxy, path)], timeout=120, memory_bytes=4 << 30, threads=threads)
        assert result.report.outputs[0].path == path
        assert _x264_threads(path) == (threads, 0)
