"""Reading a server-sent event stream in tests: frames parsed as the EventSource specification reads them."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Frame:
    id: int
    type: str
    data: dict[str, Any]


@dataclass
class StreamReader:
    """Reads a stream in a thread; ``frames`` fills as they arrive, ``comments`` counts comment lines."""

    url: str
    headers: dict[str, str]
    frames: list[Frame] = field(default_factory=list)
    comments: int = 0
    status: int | None = None
    opened: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    thread: threading.Thread | None = None

    def start(self) -> StreamReader:
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.opened.wait(30), "the stream did not open"
        return self

    def _read(self) -> None:
        try:
            with httpx.stream("GET", self.url, headers=self.headers, timeout=60) as response:
                self.status = response.status_code
                self.opened.set()
                block: dict[str, str] = {}
                for line in response.iter_lines():
                    if line.startswith(":"):
                        self.comments += 1
                    elif line == "":
                        if "data" in block:
                            frame = Frame(int(block["id"]), block["event"], json.loads(block["data"]))
                            with self.arrived:
                                self.frames.append(frame)
                                self.arrived.notify_all()
                        block = {}
                    else:
                        name, _, value = line.partition(":")
                        block[name] = value.removeprefix(" ")
        finally:
            self.opened.set()

    def wait_for(self, count: int, timeout: float = 30) -> list[Frame]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.frames) >= count, timeout)
            return list(self.frames)

    def join(self, timeout: float = 30) -> list[Frame]:
        assert self.thread is not None
        self.thread.join(timeout)
        return list(self.frames)


def read_stream(base: str, headers: dict[str, str], query: str) -> list[Frame]:
    """Every frame of a stream that ends by itself (``timeout=`` in ``query``)."""
    return StreamReader(f"{base}/api/v1/events?{query}", headers).start().join()
