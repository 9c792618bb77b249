"""Media work in a child process: results and errors come back, crashes and hangs do not spread."""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest
import sandbox_targets as targets

from transcode import generate
from transcode.errors import (
    ForbiddenInputError,
    MediaCrashError,
    MediaMemoryError,
    MediaTimeoutError,
    RenderCancelled,
    RenderError,
    UnreadableMediaError,
)
from transcode.plan import RenderPlan, make_plan
from transcode.probe import probe
from transcode.profiles import load_profiles
from transcode.render import render
from transcode.sandbox import Progress, probe_isolated, render_isolated, renditions_isolated, run_isolated

PROFILES = load_profiles()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate.silent_clip(tmp_path_factory.mktemp("sandbox") / "clip.mp4", seconds=1.0, width=320, height=240)


def _plan(source: Path, out: Path, names: list[str]) -> RenderPlan:
    chosen = [PROFILES[n] for n in names]
    return make_plan(source, probe(source), [(p, out / f"{p.name}.{p.extension}") for p in chosen])


def _no_process(pid: int) -> bool:
    """True when the process is gone and reaped (a zombie still has a /proc entry)."""
    return not Path(f"/proc/{pid}").exists()


def test_render_in_a_child_makes_the_same_outputs_as_in_process(clip: Path, tmp_path: Path) -> None:
    here = render(_plan(clip, tmp_path / "here", ["proxy", "poster"]))
    there = render_isolated(_plan(clip, tmp_path / "there", ["proxy", "poster"]), timeout=30, memory_bytes=2 << 30)

    def summary(o: object) -> tuple[object, ...]:
        return tuple(getattr(o, k) for k in ("profile", "width", "height", "video_frames", "duration"))

    assert [summary(o) for o in there.outputs] == [summary(o) for o in here.outputs]
    assert all(o.path.parent == tmp_path / "there" and o.path.stat().st_size == o.size for o in there.outputs)
    assert probe(there.outputs[0].path).video[0].frame_count == probe(here.outputs[0].path).video[0].frame_count
    assert multiprocessing.active_children() == []


def test_progress_arrives_in_increasing_order_and_ends_at_one_with_rate_and_eta(clip: Path, tmp_path: Path) -> None:
    reports: list[Progress] = []
    render_isolated(_plan(clip, tmp_path, ["proxy"]), timeout=30, on_progress=reports.append)
    fractions = [r.fraction for r in reports]
    assert len(fractions) > 5 and fractions == sorted(set(fractions)) and fractions[-1] == 1.0
    late = [r for r in reports if r.fraction > 0]
    assert all(r.fps is not None and r.fps > 0 for r in late)
    assert all(r.eta_seconds is not None and r.eta_seconds >= 0 for r in late)
    assert reports[-1].eta_seconds == 0.0


def test_progress_that_goes_backwards_is_dropped_and_success_always_reports_one() -> None:
    reports: list[Progress] = []
    assert run_isolated(targets.report_out_of_order, timeout=10, on_progress=reports.append) == "done"
    assert [r.fraction for r in reports] == [0.2, 0.5, 0.7, 1.0]
    assert all(r.fps is None for r in reports)  # no frame count given


def test_segfaulting_child_gives_a_crash_error_and_the_next_job_still_runs(clip: Path) -> None:
    with pytest.raises(MediaCrashError, match=r"signal 11 SIGSEGV.*probably corrupt"):
        run_isolated(targets.crash_with_segfault, timeout=10, task="reading clip.mp4")
    assert probe_isolated(clip).primary_video is not None
    assert multiprocessing.active_children() == []


def test_child_sleeping_past_the_timeout_is_killed_and_reaped_in_time(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(MediaTimeoutError, match=r"took longer than 2 s") as caught:
        run_isolated(functools.partial(targets.sleep_after_noting_pid, pid_file, 30.0), timeout=2.0)
    assert time.monotonic() - started < 3.0
    assert isinstance(caught.value, TimeoutError)
    assert _no_process(int(pid_file.read_text()))
    assert multiprocessing.active_children() == []


def test_allocating_beyond_the_memory_limit_is_an_out_of_memory_error() -> None:
    with pytest.raises(MediaMemoryError, match=r"ran out of memory \(limit 1.0 GiB\)") as caught:
        run_isolated(functools.partial(targets.allocate, 2 << 30), timeout=10, memory_bytes=1 << 30)
    assert "MemoryError" not in str(caught.value)
    assert run_isolated(functools.partial(targets.allocate, 64 << 20), timeout=10, memory_bytes=1 << 30) == 64 << 20


def test_spinning_past_the_cpu_limit_is_a_timeout_error() -> None:
    with pytest.raises(MediaTimeoutError, match=r"more than its 1 s of CPU time"):
        run_isolated(functools.partial(targets.spin, 10.0), timeout=10, cpu_seconds=1)


def test_cancelling_mid_render_stops_promptly_and_leaves_no_partial_outputs(tmp_path: Path) -> None:
    source = generate.silent_clip(tmp_path / "long.mp4", seconds=4.0, width=640, height=360)
    plan = _plan(source, tmp_path / "out", ["proxy", "web_720p"])
    cancel = threading.Event()
    fractions: list[float] = []
    outputs_seen: list[bool] = []

    def on_progress(report: Progress) -> None:
        fractions.append(report.fraction)
        if report.fraction >= 0.5 and not cancel.is_set():
            outputs_seen.append(any(o.path.exists() for o in plan.outputs))
            cancel.set()

    with pytest.raises(RenderCancelled, match=r"rendering long\.mp4 was cancelled"):
        render_isolated(plan, timeout=30, on_progress=on_progress, cancel=cancel)
    assert fractions[-1] >= 0.5 and all(f < 0.5 for f in fractions[:-1])  # nothing after the cancel
    assert fractions[-1] < 1.0
    assert outputs_seen == [True]  # they were being written...
    assert not any(o.path.exists() for o in plan.outputs)  # ...and are gone
    assert multiprocessing.active_children() == []


def test_a_cancel_function_works_like_an_event(tmp_path: Path) -> None:
    with pytest.raises(RenderCancelled):
        run_isolated(
            functools.partial(targets.sleep_after_noting_pid, tmp_path / "pid", 30.0), timeout=10, cancel=lambda: True
        )


def test_concat_list_and_playlist_are_refused_through_the_sandbox(tmp_path: Path) -> None:
    # if the child opened the FIFO it would block there, and the timeout would say so
    fifo = tmp_path / "secret"
    os.mkfifo(fifo)
    concat = tmp_path / "list.ffconcat"
    concat.write_text(f"ffconcat version 1.0\nfile '{fifo.name}'\n")
    playlist = tmp_path / "live.m3u8"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n{fifo}\n#EXT-X-ENDLIST\n")
    for listing in (concat, playlist):
        with pytest.raises(ForbiddenInputError, match="not accepted"):
            probe_isolated(listing, timeout=5)


def test_a_missing_file_is_still_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe_isolated(tmp_path / "gone.mp4")


def test_package_errors_keep_their_type_and_others_become_render_errors() -> None:
    with pytest.raises(UnreadableMediaError, match=r"^clip.mp4: not a media file we can read") as known:
        run_isolated(targets.raise_unreadable, timeout=10)
    assert "in the media process" in known.value.__notes__[0]
    with pytest.raises(RenderError, match=r"unexpected fault of the media process") as caught:
        run_isolated(targets.raise_value_error, timeout=10)
    assert "ValueError" not in str(caught.value)  # a type name is no reason a person can act on
    assert "ValueError: a value we did not expect" in "\n".join(caught.value.__notes__)
    with pytest.raises(RenderError, match=r"unexpected fault of the media process") as caught:
        run_isolated(targets.return_unpicklable, timeout=10)
    assert any(word in "\n".join(caught.value.__notes__) for word in ("Pickling", "pickle"))


def test_a_large_result_comes_back_whole() -> None:
    assert run_isolated(functools.partial(targets.big_result, 64 << 20), timeout=20) == b"x" * (64 << 20)


def test_the_whole_job_pipeline_runs_in_a_child_and_its_result_comes_back(clip: Path, tmp_path: Path) -> None:
    outputs = [(PROFILES["proxy"], tmp_path / "proxy.mp4")]
    reports: list[Progress] = []
    result = renditions_isolated(clip, probe(clip), outputs, timeout=30, on_progress=reports.append)
    assert [c.profile for c in result.checks] == ["proxy"] and not result.checks[0].problems
    assert result.report.outputs[0].path.exists() and reports[-1].fraction == 1.0
