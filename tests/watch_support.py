"""What the watch-folder tests share: tiny clips, a recorder of what a watcher did, and runners that
are stopped when the test ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from sqlalchemy import select

from mam.models import Asset
from mam.services import Services
from mam.watch import Handled, WatchConfig, WatchFolder, WatchRunner
from transcode.generate import audio_clip


def clip(path: Path, n: int) -> Path:
    """A tiny WAV whose bytes differ for every ``n``."""
    return audio_clip(path, seconds=0.1 + n * 0.005, channels=1)


def assets_of(services: Services, tenant: str = "default") -> list[Asset]:
    with services.session() as session:
        return list(session.scalars(select(Asset).where(Asset.tenant_id == tenant)))


class Recorder:
    """Collects what the watcher did, with the monotonic time it was reported."""

    def __init__(self) -> None:
        self.results: list[tuple[float, Handled]] = []
        self.lock = threading.Lock()

    def __call__(self, result: Handled) -> None:
        with self.lock:
            self.results.append((time.monotonic(), result))

    @property
    def handled(self) -> list[Handled]:
        with self.lock:
            return [r for _, r in self.results]

    def wait_for(self, count: int, timeout: float = 30) -> list[Handled]:
        deadline = time.monotonic() + timeout
        while len(self.handled) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.handled


class StartWatching(Protocol):
    def __call__(self, *folders: WatchFolder, services: Services | None = None) -> tuple[WatchRunner, Recorder]: ...


@contextmanager
def watchers(default: Services) -> Iterator[StartWatching]:
    """Start runners polling every 0.05 s (on ``default`` unless given other services), each reporting
    to a Recorder of its own; every runner started is stopped on leaving."""
    runners: list[WatchRunner] = []

    def start(*folders: WatchFolder, services: Services | None = None) -> tuple[WatchRunner, Recorder]:
        recorder = Recorder()
        chosen = default if services is None else services
        runner = WatchRunner(chosen, WatchConfig(poll_seconds=0.05, folder=folders), recorder)
        runner.start()
        runners.append(runner)
        return runner, recorder

    try:
        yield start
    finally:
        for runner in runners:
            runner.stop()
