"""Ingest's probe runs in a long-lived sandboxed child that is replaced when it dies or hangs."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import hostile_media
import pytest
from conftest import Media

from transcode.errors import MediaLimitError, MediaTimeoutError, UnreadableMediaError
from transcode.probe import ProbeLimits, probe
from transcode.sandbox import Prober


@pytest.fixture
def prober() -> Iterator[Prober]:
    p = Prober(timeout=20)
    yield p
    p.close()


def test_the_prober_gives_the_same_answer_as_probing_in_process(prober: Prober, media: Media) -> None:
    assert prober.probe(media.broadcast) == probe(media.broadcast)
    assert prober.probe(media.phone) == probe(media.phone)


def test_one_child_serves_many_probes(prober: Prober, media: Media) -> None:
    prober.probe(media.silent)
    first = prober._child
    started = time.perf_counter()
    for _ in range(10):
        prober.probe(media.wav)
    assert prober._child is first
    assert (time.perf_counter() - started) / 10 < 0.1  # no process start per file


def test_errors_come_back_as_their_own_types(prober: Prober, media: Media) -> None:
    with pytest.raises(UnreadableMediaError, match="not a media file"):
        prober.probe(media.garbage)
    with pytest.raises(FileNotFoundError):
        prober.probe(media.garbage.with_name("nowhere.mp4"))
    assert prober.probe(media.silent).video  # and the child is still serving


def test_a_dead_child_is_replaced_by_the_next_probe(prober: Prober, media: Media) -> None:
    prober.probe(media.silent)
    assert prober._child is not None and prober._child.pid is not None
    os.kill(prober._child.pid, signal.SIGKILL)
    prober._child.join(5)
    assert prober.probe(media.wav).audio


def test_a_probe_that_hangs_is_stopped_and_the_next_one_works(media: Media) -> None:
    impatient = Prober(timeout=0.0001)
    try:
        with pytest.raises(MediaTimeoutError, match="took longer"):
            impatient.probe(media.broadcast)
        impatient.timeout = 20
        assert impatient.probe(media.silent).video
    finally:
        impatient.close()


def test_the_prober_refuses_what_is_beyond_its_limits_in_plain_words(tmp_path: Path) -> None:
    bomb = hostile_media.picture_bomb(tmp_path / "big.mov", 6000)
    strict = Prober(timeout=20, limits=ProbeLimits(max_picture_side=4096))
    try:
        with pytest.raises(MediaLimitError, match=r"big.mov: its picture is 6000×6000, larger than the 4096 pixels"):
            strict.probe(bomb)
        with pytest.raises(UnreadableMediaError, match=r"has no size \(0×0\)"):
            strict.probe(hostile_media.picture_bomb(tmp_path / "huge.mov", 30000))
    finally:
        strict.close()
