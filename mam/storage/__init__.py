"""Where originals and renditions live: a local directory or an S3 bucket, behind :class:`Storage`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from mam.errors import ConfigError
from mam.storage.base import Storage, StoredObject
from mam.storage.local import LocalStorage
from mam.storage.s3 import S3Storage
from mam.storage.s3_uploads import S3Retries

__all__ = ["LocalStorage", "S3Retries", "S3Storage", "Storage", "StoredObject", "open_storage"]

_ACCEPTED = "accepted forms: 's3://bucket[/prefix]', 'file:///absolute/path', or a filesystem path"


def open_storage(
    url: str,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    create_bucket: bool = False,
    retries: S3Retries | None = None,
) -> Storage:
    """Open the store that ``url`` names.

    ``s3://bucket/prefix`` gives an :class:`S3Storage` (``endpoint_url``, ``region`` and
    ``create_bucket`` and ``retries`` apply to it only); ``file:///abs/path`` or a plain path gives a
    :class:`LocalStorage`, creating the directory if needed.
    """
    text = url.strip() if isinstance(url, str) else ""
    if not text:
        raise ConfigError(f"storage URL is empty; {_ACCEPTED}")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "s3":
        if not text.lower().startswith("s3://") or not parts.netloc:
            raise ConfigError(f"storage URL {url!r} names no bucket; {_ACCEPTED}")
        if parts.query or parts.fragment:
            raise ConfigError(f"storage URL {url!r} has a query or fragment; {_ACCEPTED}")
        return S3Storage(
            parts.netloc,
            prefix=unquote(parts.path).strip("/"),
            endpoint_url=endpoint_url,
            region=region,
            create_bucket=create_bucket,
            retries=retries,
        )
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ConfigError(f"storage URL {url!r} is not an absolute file URL; {_ACCEPTED}")
        if parts.query or parts.fragment:
            raise ConfigError(f"storage URL {url!r} has a query or fragment; {_ACCEPTED}")
        return _local(Path(unquote(parts.path)), url)
    if scheme:
        raise ConfigError(f"storage URL {url!r} has an unsupported scheme {parts.scheme!r}; {_ACCEPTED}")
    return _local(Path(text).expanduser(), url)


def _local(root: Path, url: str) -> LocalStorage:
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the storage directory {root} (from {url!r}): {exc}") from exc
    return LocalStorage(root)
