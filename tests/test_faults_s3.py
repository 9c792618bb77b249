"""S3 faults, with a fault-injecting proxy (tests/fault_proxy.py) in front of moto's real S3 server.

The store answers 500 and 503 and stalls past the client's read timeout: uploads are tried again
with backoff and succeed. A multipart upload that cannot finish is aborted even when the store
refuses the first aborts: no upload is left in the bucket. A rendition whose bytes cannot all be
stored is never registered.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from conftest import Media
from fault_proxy import Fault, FaultProxy
from sqlalchemy import select

from mam.errors import StorageError
from mam.ingest import ingest_file
from mam.janitor import MULTIPART_GRACE, sweep
from mam.models import JobState, Rendition
from mam.processing import process_job
from mam.services import Services, open_services
from mam.settings import Settings
from mam.storage import S3Retries, S3Storage


@pytest.fixture
def proxy(s3_endpoint: str) -> Iterator[FaultProxy]:
    with FaultProxy(s3_endpoint) as running:
        yield running


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    name = f"faults-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


def _direct(s3_endpoint: str) -> object:
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")


def test_uploads_to_a_store_that_answers_500_and_503_and_stalls_are_tried_again_with_backoff_and_succeed(
    proxy: FaultProxy, bucket: str, s3_endpoint: str, tmp_path: Path
) -> None:
    store = S3Storage(bucket, endpoint_url=proxy.url, region="us-east-1", retries=S3Retries(5, read_timeout=1.0))
    proxy.add(Fault(method="PUT", status=503, times=2))
    proxy.add(Fault(method="PUT", status=500))
    proxy.add(Fault(method="PUT", stall=2.5, drop=True))  # silent past the read timeout, then gone
    source = tmp_path / "clip.bin"
    source.write_bytes(os.urandom(64 * 1024))

    started = time.monotonic()
    stored = store.put_file("county/clip.bin", source)
    took = time.monotonic() - started

    assert stored.size == source.stat().st_size
    assert proxy.answers("PUT") == ["503", "503", "500", "dropped", "forwarded 200"]
    puts = [s.at for s in proxy.seen if s.method == "PUT"]
    print(f"\n5 tries of one upload (503, 503, 500, stalled 2.5 s, ok) took {took:.1f} s; gaps {_gaps(puts)}")
    body = _direct(s3_endpoint).get_object(Bucket=bucket, Key="county/clip.bin")["Body"].read()  # type: ignore[attr-defined]
    assert body == source.read_bytes()


def test_a_multipart_upload_that_cannot_finish_is_aborted_even_when_the_store_refuses_the_first_aborts(
    proxy: FaultProxy, bucket: str, s3_endpoint: str, tmp_path: Path
) -> None:
    store = S3Storage(bucket, endpoint_url=proxy.url, region="us-east-1", retries=S3Retries(2))
    proxy.add(Fault(method="PUT", query="partNumber=", status=500, times=None))  # no part ever stored
    proxy.add(Fault(method="DELETE", query="uploadId=", status=503, times=3))  # s3transfer's abort fails
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(9 << 20))  # above the 8 MiB multipart threshold: two parts

    with pytest.raises(StorageError, match="upload failed"):
        store.put_file("county/big.bin", source)

    aborts = proxy.answers("DELETE", "uploadId=")
    assert aborts[:3] == ["503", "503", "503"] and aborts[-1] == "forwarded 204", aborts
    direct = _direct(s3_endpoint)
    assert direct.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []  # type: ignore[attr-defined]
    assert direct.list_objects_v2(Bucket=bucket).get("KeyCount") == 0  # type: ignore[attr-defined]


def _services(tmp_path: Path, proxy: FaultProxy, bucket: str, **env: str) -> Services:
    return open_services(
        Settings.from_env(
            {
                "MAM_HOME": str(tmp_path / "home"),
                "MAM_STORAGE_URL": f"s3://{bucket}/county-a",
                "MAM_S3_ENDPOINT_URL": proxy.url,
                "MAM_S3_REGION": "us-east-1",
                "MAM_S3_MAX_ATTEMPTS": "3",
                "MAM_JOB_BACKOFF_SECONDS": "0",
                **env,
            }
        )
    )


def test_a_rendition_whose_bytes_cannot_all_be_stored_is_never_registered_and_is_made_once_the_store_recovers(
    proxy: FaultProxy, bucket: str, s3_endpoint: str, tmp_path: Path, media: Media
) -> None:
    services = _services(tmp_path, proxy, bucket, MAM_JOB_MAX_ATTEMPTS="2")
    try:
        result = ingest_file(services, media.silent, profiles=["proxy"])
        assert result.job is not None
        refusing = proxy.add(Fault(method="PUT", path="/renditions/", status=503, times=None))
        with pytest.raises(StorageError):  # a passing fault: back in the queue for its second attempt
            process_job(services, result.job.id)
        with services.session() as session:
            assert session.scalars(select(Rendition).where(Rendition.asset_id == result.asset.id)).all() == []
        stored = _direct(s3_endpoint).list_objects_v2(Bucket=bucket, Prefix="county-a/")  # type: ignore[attr-defined]
        assert [o["Key"] for o in stored.get("Contents", []) if "/renditions/" in o["Key"]] == []
        assert set(proxy.answers("PUT")) >= {"503"}

        proxy.faults.remove(refusing)
        proxy.add(Fault(method="PUT", path="/renditions/", status=500))  # the store is recovering
        done = process_job(services, result.job.id)
        assert done.state == JobState.DONE, done.error
        with services.session() as session:
            made = session.scalars(select(Rendition).where(Rendition.asset_id == result.asset.id)).all()
            assert [(r.profile, r.size > 0) for r in made] == [("proxy", True)]
            key, size = made[0].storage_key, made[0].size
        assert services.storage.size(key) == size
    finally:
        services.close()


def _gaps(times: list[float]) -> str:
    return ", ".join(f"{b - a:.2f}" for a, b in itertools.pairwise(times)) + " s"


def test_the_janitor_aborts_an_upload_a_killed_worker_left_unfinished_after_a_day(
    proxy: FaultProxy, bucket: str, s3_endpoint: str, tmp_path: Path
) -> None:
    services = _services(tmp_path, proxy, bucket)
    try:
        direct = _direct(s3_endpoint)
        key = "county-a/default/assets/x/renditions/proxy/killed.mp4"
        left = direct.create_multipart_upload(Bucket=bucket, Key=key)  # type: ignore[attr-defined]
        direct.upload_part(Bucket=bucket, Key=key, UploadId=left["UploadId"], PartNumber=1, Body=b"\0" * 1024)  # type: ignore[attr-defined]
        other = direct.create_multipart_upload(Bucket=bucket, Key="elsewhere/not-ours.bin")  # type: ignore[attr-defined]

        # (moto dates every upload 2010-11-10, so it cannot show the grace; the janitor is asked a day on)
        report = sweep(services, store=True, now=datetime.now(UTC) + MULTIPART_GRACE + timedelta(minutes=1))

        aborted = [r for r in report.removed if "multipart" in r.reason]
        assert [(r.path, left["UploadId"] in r.reason) for r in aborted] == [(key.removeprefix("county-a/"), True)]
        uploads = direct.list_multipart_uploads(Bucket=bucket).get("Uploads", [])  # type: ignore[attr-defined]
        assert [u["UploadId"] for u in uploads] == [other["UploadId"]]  # outside the store's prefix: not ours
    finally:
        services.close()
