"""Watch folders: ingest files dropped into shared folders, once each file is complete.

Configured as data (:mod:`mam.watch.config`), polled by :class:`WatchRunner` (size and mtime stable
for a quiet period), remembered across restarts in a ledger, ingested through
:func:`mam.ingest.ingest_file`.
"""

from mam.watch.config import WatchConfig, WatchFolder, load_watch_config
from mam.watch.folder import FolderWatcher, Handled
from mam.watch.runner import WatchRunner, watch_from_settings

__all__ = [
    "FolderWatcher",
    "Handled",
    "WatchConfig",
    "WatchFolder",
    "WatchRunner",
    "load_watch_config",
    "watch_from_settings",
]
