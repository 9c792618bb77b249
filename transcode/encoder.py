"""A thread per output file: encoding and muxing of one output run beside the decode.

PyAV releases the GIL inside the codec calls, so outputs encode in parallel with the decode and
with each other, as ffmpeg's own command line does. The queue is bounded, so a slow encoder
holds back the decode instead of piling frames up in memory.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["EncoderThread", "Muxer"]

_QUEUE_FRAMES = 8
_STOP = object()


class EncoderThread:
    """Runs submitted calls in order on its own thread; re-raises the first failure in the caller."""

    def __init__(self, name: str) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=_QUEUE_FRAMES)
        self._error: BaseException | None = None
        self.busy_seconds = 0.0
        self._thread = threading.Thread(target=self._run, name=f"encode-{name}", daemon=True)
        self._thread.start()

    def submit(self, call: Callable[[Any], None], argument: Any) -> None:
        self._raise_if_failed()
        self._queue.put((call, argument))

    def close(self) -> None:
        """Wait for every submitted call; raise the first error one of them raised."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()
        self._raise_if_failed()

    def abort(self) -> None:
        """Stop without raising (cleanup after another failure)."""
        self._error = self._error or RuntimeError("aborted")
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if self._error is not None:
                continue
            call, argument = item
            started = time.perf_counter()
            try:
                call(argument)
            except BaseException as exc:
                self._error = exc
            self.busy_seconds += time.perf_counter() - started


class Muxer:
    """An output container shared by several encoder threads: muxing is serialised, encoding is not."""

    def __init__(self, container: Any) -> None:
        self.container = container
        self._lock = threading.Lock()

    def mux(self, packets: Any) -> None:
        with self._lock:
            self.container.mux(packets)
