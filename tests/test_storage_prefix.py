"""Storage.delete_prefix: removes one folder of keys (an asset's), nothing beside it, on both backends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mam.errors import StorageError
from mam.storage import LocalStorage, S3Storage, Storage


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "local":
        yield LocalStorage(tmp_path / "store")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        yield S3Storage(f"mam-test-{uuid.uuid4().hex[:16]}", prefix="p", endpoint_url=endpoint, create_bucket=True)


def test_delete_prefix_removes_every_key_under_the_folder_and_nothing_beside_it(
    storage: Storage, tmp_path: Path
) -> None:
    source = tmp_path / "bytes.bin"
    source.write_bytes(b"x" * 100)
    inside = ["t/assets/a1/original/新闻.mp4", "t/assets/a1/renditions/hls/0123/v0/seg_1.m4s", "t/assets/a1/poster.jpg"]
    beside = ["t/assets/a10/original/x.mp4", "t/assets/a1-copy", "t/assets/b2/original/x.mp4"]
    for key in inside + beside:
        storage.put_file(key, source)
    assert storage.delete_prefix("t/assets/a1/") == 3
    assert [k for k in inside + beside if storage.exists(k)] == beside
    assert storage.delete_prefix("t/assets/a1/") == 0  # again: nothing left, not an error
    with pytest.raises(StorageError, match="ends with '/'"):
        storage.delete_prefix("t/assets/a")
