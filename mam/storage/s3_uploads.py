"""How the S3 store tries again, and the multipart uploads it must not leave behind.

A store that answers 500/503, throttles, stalls past the read timeout or drops the connection is
tried again by botocore (:class:`S3Retries`: its standard or adaptive mode, exponential backoff with
jitter, set by the ``MAM_S3_*`` settings). A multipart upload that cannot finish is aborted, so no
part lingers (and is billed) in the bucket: s3transfer aborts it once on failure; if the store
refuses that too, :class:`OpenUploads` aborts every upload of this process for the key again, a few
times, before the failure is raised.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["OpenUploads", "S3Retries"]

log = logging.getLogger(__name__)

_ABORT_WAITS = (0.0, 0.5, 1.0, 2.0, 4.0)
"""Pauses before each further try to abort a multipart upload that s3transfer could not abort."""


@dataclass(frozen=True)
class S3Retries:
    """How botocore tries one S3 request again."""

    max_attempts: int = 5
    """Tries of one request, the first included."""
    mode: str = "standard"
    """``standard`` (exponential backoff with jitter, up to 20 s) or ``adaptive`` (the same, and a
    client-side rate limit that slows down when the store throttles)."""
    connect_timeout: float = 10.0
    read_timeout: float = 60.0

    def config(self) -> Config:
        return Config(
            signature_version="s3v4",
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={
                "total_max_attempts": self.max_attempts,
                "mode": "adaptive" if self.mode == "adaptive" else "standard",
            },
        )


class OpenUploads:
    """The multipart uploads a client started and has not seen settled, by key (learnt from
    botocore's ``after-call`` event of CreateMultipartUpload, whichever thread s3transfer ran it in)."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client, self._bucket = client, bucket
        self._open: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        client.meta.events.register("after-call.s3.CreateMultipartUpload", self._started)

    def _started(self, parsed: dict[str, Any] | None = None, **_: Any) -> None:
        if parsed and parsed.get("Key") and parsed.get("UploadId"):
            with self._lock:
                self._open.setdefault(str(parsed["Key"]), set()).add(str(parsed["UploadId"]))

    def settled(self, key: str) -> None:
        """The upload of ``key`` completed."""
        with self._lock:
            self._open.pop(key, None)

    def abort(self, key: str) -> None:
        """Abort what is still open of ``key``: each upload ends aborted, or found gone, or is left
        after a few more tries (a warning in the log; a bucket lifecycle rule for incomplete uploads
        is the last resort)."""
        with self._lock:
            pending = self._open.pop(key, set())
        for upload_id in pending:
            for wait in _ABORT_WAITS:
                time.sleep(wait)
                try:
                    self._client.abort_multipart_upload(Bucket=self._bucket, Key=key, UploadId=upload_id)
                    break
                except ClientError as exc:
                    if str(exc.response.get("Error", {}).get("Code", "")) == "NoSuchUpload":
                        break  # s3transfer's own abort went through
                except BotoCoreError:
                    pass
            else:
                log.warning("multipart upload %s of s3://%s/%s could not be aborted", upload_id, self._bucket, key)
