"""Failed sign-ins counted per account and per address in a sliding window, in this process.

An in-process window is enough for one ``mam serve`` (the usual deployment); behind several server
processes each counts its own, so an attacker gets at most that many times the allowance. Only
failures count; a success clears the account's failures.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from mam.errors import RateLimitedError

__all__ = ["SignInLimiter"]

_ADDRESS_FACTOR = 4
"""An address (a newsroom behind one NAT) may fail this many times as often as one account."""
_MAX_TRACKED = 100_000
"""Keys kept at most; beyond, the oldest are forgotten (bounded memory under a spray of names)."""


class SignInLimiter:
    def __init__(
        self, max_failures: int = 5, window_seconds: float = 900.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def check(self, account: str, address: str | None) -> None:
        """Raise :class:`RateLimitedError` (with the seconds to wait) if the account or the address
        failed too often within the window."""
        now = self._clock()
        limits = [(f"account:{account.casefold()}", self.max_failures, "this account")]
        if address:
            limits.append((f"address:{address}", self.max_failures * _ADDRESS_FACTOR, "this address"))
        with self._lock:
            for key, limit, who in limits:
                times = self._recent(key, now)
                if len(times) >= limit:
                    wait = max(1, math.ceil(times[len(times) - limit] + self.window - now))
                    raise RateLimitedError(
                        f"too many failed sign-ins for {who}; try again in {wait} s", wait, code="sign-in-rate-limited"
                    )

    def failed(self, account: str, address: str | None) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) >= _MAX_TRACKED:
                self._failures.pop(next(iter(self._failures)))
            self._failures.setdefault(f"account:{account.casefold()}", deque()).append(now)
            if address:
                self._failures.setdefault(f"address:{address}", deque()).append(now)

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._failures.pop(f"account:{account.casefold()}", None)
