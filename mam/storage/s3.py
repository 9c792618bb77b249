"""Storage in an S3 bucket (AWS or any S3-compatible server such as MinIO or moto).

Objects become visible only when an upload completes (S3 semantics, multipart included), so
``put_file`` never exposes a partial object. Every botocore failure is raised as ``StorageError``
naming the bucket, key, endpoint and what to check.

Retries and the abort of multipart uploads that cannot finish: :mod:`mam.storage.s3_uploads`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from mam.errors import ConfigError, StorageError, StorageNotFoundError
from mam.storage.base import StoredObject
from mam.storage.keys import check_key, located
from mam.storage.s3_uploads import OpenUploads, S3Retries

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import GetObjectOutputTypeDef, ObjectIdentifierTypeDef

__all__ = ["S3Retries", "S3Storage"]

_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4 limit
_TRANSFER = TransferConfig(multipart_threshold=8 << 20, multipart_chunksize=8 << 20, max_concurrency=4)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 5987)."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class S3Storage:
    """Objects under ``prefix`` in ``bucket``; the store's key is appended to the prefix."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        create_bucket: bool = False,
        retries: S3Retries | None = None,
    ) -> None:
        if not bucket or "/" in bucket:
            raise ConfigError(f"S3 bucket name {bucket!r} is empty or contains '/'")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            check_key(self.prefix)
        self.endpoint_url = endpoint_url
        self.region = region
        self._bucket_seen = False
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self.retries = retries or S3Retries()
        config = self.retries.config()
        try:
            self._client: S3Client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)
        except (BotoCoreError, ValueError) as exc:
            raise ConfigError(
                f"cannot configure an S3 client for {self.url} (endpoint {self._endpoint}, "
                f"region {region or 'default'}): {exc}"
            ) from exc
        self._uploads = OpenUploads(self._client, bucket)
        if create_bucket:
            self._ensure_bucket()

    def __repr__(self) -> str:
        return f"S3Storage({self.url!r}, endpoint_url={self.endpoint_url!r})"

    @property
    def _endpoint(self) -> str:
        return self.endpoint_url or "the default AWS endpoint"

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _fail(self, action: str, key: str | None, exc: Exception) -> NoReturn:
        """Raise ``exc`` as a ``StorageError`` that says what failed and what to check; where (bucket,
        key, endpoint) goes into a note for the logs, not into the message a client may see."""
        where = f"s3://{self.bucket}/{self._key(key)}" if key is not None else f"bucket {self.bucket!r}"
        context = f"the store's {action} failed"
        place = f"{where} at {self._endpoint}"
        cause: BaseException = exc
        if isinstance(exc, Boto3Error) and isinstance(exc.__context__, ClientError | BotoCoreError):
            cause = exc.__context__
        if isinstance(cause, ClientError):
            code = _error_code(cause)
            message = cause.response.get("Error", {}).get("Message", "") or str(cause)
            if key is not None and code in _NOT_FOUND_CODES:
                raise located(StorageNotFoundError("no such file in the store"), key, place) from exc
            if code == "NoSuchBucket":
                hint = "the bucket does not exist: create it, or open the store with create_bucket=True"
            elif code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                hint = "access denied: check the credentials (AWS_ACCESS_KEY_ID/…) and the bucket policy"
            elif code == "InvalidRange":
                hint = "the requested byte range starts past the end of the object"
            else:
                hint = "see the S3 error code"
            raise located(StorageError(f"{context}: {code or 'error'} {message} ({hint})"), None, place) from exc
        if isinstance(cause, EndpointConnectionError):
            raise located(
                StorageError(
                    f"{context}: cannot connect to the S3 endpoint; check the endpoint URL and that the "
                    "S3 server is running and reachable"
                ),
                None,
                place,
            ) from exc
        if isinstance(cause, NoCredentialsError | PartialCredentialsError):
            raise located(
                StorageError(
                    f"{context}: no usable AWS credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                    "(or a profile / instance role)"
                ),
                None,
                place,
            ) from exc
        error = StorageError(f"{context}: the S3 client failed (see the server log)")
        error.add_note(f"{type(cause).__name__}: {cause}")
        raise located(error, None, place) from exc

    def _ensure_bucket(self) -> None:
        try:
            self._client.head_bucket(Bucket=self.bucket)
            self._bucket_seen = True
            return
        except ClientError as exc:
            if _error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                self._fail("bucket check", None, exc)
        except BotoCoreError as exc:
            self._fail("bucket check", None, exc)
        try:
            if self.region and self.region != "us-east-1":
                self._client.create_bucket(
                    Bucket=self.bucket,
                    CreateBucketConfiguration={"LocationConstraint": self.region},  # type: ignore[typeddict-item]
                )
            else:
                self._client.create_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _error_code(exc) != "BucketAlreadyOwnedByYou":
                self._fail("bucket creation", None, exc)
        except BotoCoreError as exc:
            self._fail("bucket creation", None, exc)
        self._bucket_seen = True

    def put_file(self, key: str, source: Path, content_type: str | None = None) -> StoredObject:
        """Upload ``source`` (multipart above 8 MiB); the object is visible once the upload completes."""
        full_key = self._key(key)
        source = Path(source)
        try:
            size = source.stat().st_size
        except OSError as exc:
            error = StorageError(f"cannot store a file: {exc.strerror or 'it cannot be read'}")
            raise located(error, key, f"{self.url} (from {source})") from exc
        extra: dict[str, Any] = {"ContentType": content_type} if content_type else {}
        try:
            self._client.upload_file(str(source), self.bucket, full_key, ExtraArgs=extra or None, Config=_TRANSFER)
        except (BotoCoreError, ClientError, Boto3Error) as exc:
            self._uploads.abort(full_key)
            self._fail("upload", key, exc)
        except OSError as exc:
            self._uploads.abort(full_key)
            error = StorageError(f"cannot read a file to upload it: {exc.strerror or 'it cannot be read'}")
            raise located(error, key, f"{self.url} (from {source})") from exc
        self._uploads.settled(full_key)
        return StoredObject(key=key, size=size)

    def get_file(self, key: str, destination: Path) -> None:
        """Download ``key`` to a temp name beside ``destination``, then rename it into place."""
        full_key = self._key(key)
        destination = Path(destination)
        temp = destination.with_name(f".{destination.name}.{secrets.token_hex(8)}.part")
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            self._client.download_file(self.bucket, full_key, str(temp), Config=_TRANSFER)
            os.replace(temp, destination)
        except (BotoCoreError, ClientError, Boto3Error) as exc:
            _discard(temp)
            self._fail("download", key, exc)
        except OSError as exc:
            _discard(temp)
            error = StorageError(f"cannot write a downloaded file: {exc.strerror or 'the disk refused it'}")
            raise located(error, key, f"{self.url} (to {destination})") from exc

    def local_path(self, key: str) -> Path | None:
        self._key(key)
        return None

    def size(self, key: str) -> int:
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND_CODES:
                self._check_bucket_exists()  # a HEAD 404 does not say if the key or the bucket is gone
            self._fail("head", key, exc)
        except BotoCoreError as exc:
            self._fail("head", key, exc)
        self._bucket_seen = True
        return int(head["ContentLength"])

    def _check_bucket_exists(self) -> None:
        """Raise ``StorageError`` if the bucket itself is missing (checked once per store)."""
        if self._bucket_seen:
            return
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND_CODES:
                exc.response.setdefault("Error", {})["Code"] = "NoSuchBucket"
            self._fail("bucket check", None, exc)
        except BotoCoreError as exc:
            self._fail("bucket check", None, exc)
        self._bucket_seen = True

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except StorageNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND_CODES:
                return
            self._fail("delete", key, exc)
        except BotoCoreError as exc:
            self._fail("delete", key, exc)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under ``prefix`` (listed, then deleted 1,000 per request); how many."""
        if not prefix.endswith("/"):
            raise StorageError(f"cannot delete {prefix!r} in {self.url}: a prefix names a folder and ends with '/'")
        full = self._key(prefix.rstrip("/")) + "/"
        count = 0
        try:
            for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full):
                keys: list[ObjectIdentifierTypeDef] = [
                    {"Key": o["Key"]} for o in page.get("Contents", []) if "Key" in o
                ]
                if keys:
                    answer = self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
                    if answer.get("Errors"):
                        first = answer["Errors"][0]
                        raise StorageError(
                            f"S3 delete under {full} in {self.url} left {len(answer['Errors'])} object(s): "
                            f"{first.get('Key')}: {first.get('Code')} {first.get('Message')}"
                        )
                    count += len(keys)
        except (ClientError, BotoCoreError) as exc:
            self._fail("delete of the prefix", prefix.rstrip("/"), exc)
        return count

    def abort_stale_uploads(self, started_before: float) -> list[tuple[str, str]]:
        """Abort the multipart uploads under this store's prefix started before ``started_before``
        (seconds since the epoch): a worker or server killed in the middle of an upload cannot abort
        it itself. Returns each (key, upload id) aborted."""
        aborted = []
        prefix = f"{self.prefix}/" if self.prefix else ""
        try:
            pages = self._client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=prefix)
            for page in pages:
                for upload in page.get("Uploads", []):
                    key, upload_id, when = upload.get("Key", ""), upload.get("UploadId", ""), upload.get("Initiated")
                    if key and upload_id and when is not None and when.timestamp() < started_before:
                        self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
                        aborted.append((key[len(prefix) :], upload_id))
        except (ClientError, BotoCoreError) as exc:
            self._fail("abort of unfinished uploads", None, exc)
        return aborted

    def iter_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        full = self._key(prefix.rstrip("/")) + "/" if prefix else (f"{self.prefix}/" if self.prefix else "")
        try:
            for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full):
                for item in page.get("Contents", []):
                    key, when = item.get("Key", ""), item.get("LastModified")
                    yield StoredObject(
                        key[len(self.prefix) + 1 :] if self.prefix else key,
                        item.get("Size", 0),
                        when.timestamp() if when is not None else None,
                    )
        except (ClientError, BotoCoreError) as exc:
            self._fail("listing", prefix.rstrip("/") or None, exc)

    def iter_range(self, key: str, start: int, end: int, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Yield bytes ``start`` through ``end`` inclusive; ``end`` past the last byte is clamped.

        The request is made before this returns, so a missing key raises ``StorageNotFoundError``
        here and not on the first ``next()``.
        """
        if start < 0 or end < start or chunk_size < 1:
            raise located(StorageError(f"invalid byte range {start}-{end} (chunk size {chunk_size})"), key)
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._key(key), Range=f"bytes={start}-{end}")
        except (BotoCoreError, ClientError) as exc:
            self._fail(f"ranged read (bytes {start}-{end})", key, exc)
        return self._stream(key, response, chunk_size)

    def _stream(self, key: str, response: GetObjectOutputTypeDef, chunk_size: int) -> Iterator[bytes]:
        body = response["Body"]
        try:
            yield from body.iter_chunks(chunk_size)
        except (BotoCoreError, ClientError) as exc:
            self._fail("ranged read", key, exc)
        finally:
            body.close()

    def presigned_url(self, key: str, expires_seconds: int, filename: str | None = None) -> str | None:
        """A GET URL valid for ``expires_seconds`` (at most 7 days); ``filename`` sets the download name."""
        if not 1 <= expires_seconds <= _MAX_PRESIGN_SECONDS:
            raise StorageError(f"presigned URL lifetime {expires_seconds}s is outside 1..{_MAX_PRESIGN_SECONDS}s")
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key)}
        if filename:
            params["ResponseContentDisposition"] = _content_disposition(filename)
        try:
            return self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_seconds)
        except (BotoCoreError, ClientError) as exc:
            self._fail("presigning", key, exc)


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
