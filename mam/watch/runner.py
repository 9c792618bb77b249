"""Run every configured watch folder in one background thread (``mam watch``, ``mam serve``)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from mam.catalog import ensure_tenant
from mam.errors import ConfigError, JobRequestError
from mam.jobs import resolve_profiles
from mam.services import Services
from mam.watch.config import WatchConfig, load_watch_config
from mam.watch.folder import FolderWatcher, Handled

__all__ = ["WatchRunner", "watch_from_settings"]

log = logging.getLogger(__name__)

OnHandled = Callable[[Handled], None]


class WatchRunner:
    """Poll each folder every ``config.poll_seconds``; ingest files as they become complete.

    On start, files that arrived while nothing was watching are found by the first poll and
    ingested once their quiet period has passed (files already handled are in the ledger).
    """

    def __init__(self, services: Services, config: WatchConfig, on_handled: OnHandled | None = None) -> None:
        self.services = services
        self.config = config
        self.on_handled = on_handled
        state_dir = services.settings.home / "watch"
        for folder in config.folder:
            if folder.profiles is not None:
                try:  # an unknown name is refused here, before any file is picked up
                    resolve_profiles(services, folder.profiles)
                except JobRequestError as exc:
                    raise ConfigError(f"watch folder {folder.path}: {exc}") from exc
        self.folders = [FolderWatcher(services, f, state_dir) for f in config.folder]
        with services.session() as session:
            for watcher in self.folders:
                ensure_tenant(session, watcher.tenant)
                for subscriber in watcher.folder.share_with:
                    ensure_tenant(session, subscriber)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self) -> list[Handled]:
        handled: list[Handled] = []
        for watcher in self.folders:
            try:
                results = watcher.poll(time.monotonic())
            except Exception:  # one folder's trouble must not stop the others
                log.exception("polling watch folder %s failed", watcher.folder.path)
                continue
            for result in results:
                if self.on_handled is not None:
                    self.on_handled(result)
            handled.extend(results)
        return handled

    def run(self) -> None:
        """Poll until :meth:`stop` is called."""
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self.config.poll_seconds)

    def start(self) -> None:
        paths = ", ".join(str(f.path) for f in self.config.folder)
        log.info("watching %d folder(s): %s", len(self.folders), paths)
        self._thread = threading.Thread(target=self.run, name="mam-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def watch_from_settings(services: Services, on_handled: OnHandled | None = None) -> WatchRunner | None:
    """A runner for ``MAM_WATCH_CONFIG`` (default ``$MAM_HOME/watch.toml``), or None if there is none."""
    path = services.settings.watch_config_file
    if not path.exists():
        if services.settings.watch_config is not None:
            raise ConfigError(f"MAM_WATCH_CONFIG={path} does not exist")
        return None
    return WatchRunner(services, load_watch_config(path), on_handled)
