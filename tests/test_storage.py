"""The storage backends behave the same: local disk in tmp_path, S3 on a real moto server over HTTP."""

from __future__ import annotations

import random
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import mam.storage.local as local_module
from mam.errors import ConfigError, InvalidKeyError, StorageError, StorageNotFoundError
from mam.storage import LocalStorage, S3Storage, Storage, StoredObject, open_storage

PAYLOAD_SIZE = 3 * 1024 * 1024 + 12_345
ESCAPING_KEYS = [
    "/etc/passwd",
    "../outside",
    "a/../../outside",
    "a/..",
    "a\\b",
    "a//b",
    "a/",
    "",
    ".",
    "a/./b",
]


def _unique_bucket() -> str:
    return f"mam-test-{uuid.uuid4().hex[:16]}"


@pytest.fixture(scope="session")
def payload() -> bytes:
    return random.Random(20240501).randbytes(PAYLOAD_SIZE)


@pytest.fixture
def payload_file(tmp_path: Path, payload: bytes) -> Path:
    path = tmp_path / "source.bin"
    path.write_bytes(payload)
    return path


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "local":
        yield LocalStorage(tmp_path / "store")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        yield S3Storage(_unique_bucket(), prefix="tenant-a", endpoint_url=endpoint, create_bucket=True)


def test_both_backends_satisfy_the_storage_protocol(storage: Storage) -> None:
    assert isinstance(storage, Storage)


def test_put_then_get_round_trips_the_bytes(storage: Storage, payload_file: Path, tmp_path: Path) -> None:
    stored = storage.put_file("default/assets/a1/original.bin", payload_file, "application/octet-stream")
    assert stored == StoredObject(key="default/assets/a1/original.bin", size=PAYLOAD_SIZE)

    destination = tmp_path / "out" / "copy.bin"
    storage.get_file("default/assets/a1/original.bin", destination)

    assert destination.read_bytes() == payload_file.read_bytes()
    assert [p.name for p in destination.parent.iterdir()] == ["copy.bin"]


def test_put_replaces_an_existing_object(storage: Storage, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_bytes(b"first version, longer")
    second.write_bytes(b"second")
    storage.put_file("k/v.txt", first)
    storage.put_file("k/v.txt", second, "text/plain")
    assert storage.size("k/v.txt") == len(b"second")
    assert b"".join(storage.iter_range("k/v.txt", 0, 100)) == b"second"


def test_size_exists_and_delete_follow_the_object(storage: Storage, tmp_path: Path) -> None:
    source = tmp_path / "small.txt"
    source.write_bytes(b"hello, storage")
    assert not storage.exists("x/small.txt")

    storage.put_file("x/small.txt", source, "text/plain")
    assert storage.exists("x/small.txt")
    assert storage.size("x/small.txt") == len(b"hello, storage")

    storage.delete("x/small.txt")
    assert not storage.exists("x/small.txt")
    storage.delete("x/small.txt")  # absent keys are not an error


@pytest.mark.parametrize("chunk_size", [1 << 20, 65_536, 1_000])
def test_iter_range_returns_exactly_the_requested_inclusive_range(
    storage: Storage, payload_file: Path, payload: bytes, chunk_size: int
) -> None:
    storage.put_file("r/data.bin", payload_file)
    last = PAYLOAD_SIZE - 1
    ranges = [(0, 0), (0, 9), (1, 1), (12_345, 12_345), (4_096, 1_500_000), (last - 99, last), (last, last)]
    if chunk_size != 1_000:  # the whole file in 1000-byte chunks is slow and proves nothing more
        ranges.append((0, last))
    for start, end in ranges:
        chunks = list(storage.iter_range("r/data.bin", start, end, chunk_size=chunk_size))
        data = b"".join(chunks)
        assert data == payload[start : end + 1], (start, end)
        assert all(len(chunk) <= chunk_size for chunk in chunks)


def test_iter_range_clamps_an_end_past_the_last_byte(storage: Storage, payload_file: Path, payload: bytes) -> None:
    storage.put_file("r/data.bin", payload_file)
    start = PAYLOAD_SIZE - 10
    assert b"".join(storage.iter_range("r/data.bin", start, PAYLOAD_SIZE + 1_000)) == payload[start:]


def test_iter_range_refuses_a_start_past_the_end_or_a_reversed_range(storage: Storage, tmp_path: Path) -> None:
    source = tmp_path / "ten.bin"
    source.write_bytes(b"0123456789")
    storage.put_file("ten.bin", source)
    with pytest.raises(StorageError):
        list(storage.iter_range("ten.bin", 10, 20))
    with pytest.raises(StorageError):
        list(storage.iter_range("ten.bin", 5, 4))


def _says_nothing_of_where(error: BaseException, storage: Storage, key: str) -> None:
    """A storage error's message may reach a client: no key, bucket or path; the notes (the log) have them."""
    message = str(error)
    for secret in (key, storage.url):
        assert secret not in message, f"{secret!r} in {message!r}"
    assert key in "\n".join(getattr(error, "__notes__", []))


def test_missing_keys_raise_storage_not_found(storage: Storage, tmp_path: Path) -> None:
    key = "tenant-7/assets/a1b2/no-such-key.mp4"
    with pytest.raises(StorageNotFoundError) as caught:
        storage.size(key)
    _says_nothing_of_where(caught.value, storage, key)
    with pytest.raises(StorageNotFoundError) as caught:
        storage.get_file(key, tmp_path / "never.bin")
    _says_nothing_of_where(caught.value, storage, key)
    with pytest.raises(StorageNotFoundError) as caught:
        storage.iter_range(key, 0, 10)  # raised on the call, before any iteration
    _says_nothing_of_where(caught.value, storage, key)
    assert not (tmp_path / "never.bin").exists()
    assert [p for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
    assert not storage.exists("no/such/key")
    assert storage.local_path("no/such/key") is None


@pytest.mark.parametrize("key", ESCAPING_KEYS)
def test_a_key_that_escapes_the_root_is_refused(storage: Storage, payload_file: Path, key: str) -> None:
    with pytest.raises(InvalidKeyError):
        storage.put_file(key, payload_file)
    with pytest.raises(InvalidKeyError):
        storage.exists(key)
    with pytest.raises(InvalidKeyError):
        storage.local_path(key)


@pytest.mark.parametrize("name", ["..", ".", "a\\b", "nul\x00here", ""])
def test_an_invalid_key_is_its_own_error_naming_the_bad_part_and_not_the_key(storage: Storage, name: str) -> None:
    key = f"tenant-7/assets/a1b2/renditions/hls/{name}"
    with pytest.raises(InvalidKeyError) as caught:
        storage.exists(key)
    assert isinstance(caught.value, StorageError) and not isinstance(caught.value, StorageNotFoundError)
    assert "tenant-7/assets" not in str(caught.value) and storage.url not in str(caught.value)


def test_local_storage_never_writes_outside_its_root(tmp_path: Path, payload_file: Path) -> None:
    store = LocalStorage(tmp_path / "root")
    for key in ESCAPING_KEYS:
        with pytest.raises(StorageError):
            store.put_file(key, payload_file)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source.bin"]


def test_local_path_points_at_the_stored_file(tmp_path: Path, payload_file: Path) -> None:
    store = LocalStorage(tmp_path / "root")
    store.put_file("a/b.bin", payload_file)
    path = store.local_path("a/b.bin")
    assert path == (tmp_path / "root" / "a" / "b.bin").absolute()
    assert path.read_bytes() == payload_file.read_bytes()
    assert store.url == str((tmp_path / "root").absolute())
    assert store.presigned_url("a/b.bin", 60) is None


def test_put_file_never_exposes_a_partial_object(
    tmp_path: Path, payload_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStorage(tmp_path / "root")
    old = tmp_path / "old.bin"
    old.write_bytes(b"the complete previous version")
    store.put_file("assets/a1/proxy.mp4", old)
    keys = ("assets/a1/proxy.mp4", "assets/a1/new.mp4")
    seen_mid_copy: list[tuple[str, dict[str, int | bool]]] = []

    def copy_half_then_fail(source: Path, destination: Path) -> None:
        data = source.read_bytes()
        destination.write_bytes(data[: len(data) // 2])
        seen_mid_copy.append((destination.name, {k: store.exists(k) and store.size(k) for k in keys}))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(local_module, "_copy_bytes", copy_half_then_fail)

    with pytest.raises(StorageError, match="No space left on device"):
        store.put_file("assets/a1/proxy.mp4", payload_file)
    with pytest.raises(StorageError):
        store.put_file("assets/a1/new.mp4", payload_file)

    # Mid-copy the bytes went to hidden temp files; readers saw the old version and no new key.
    expected = {"assets/a1/proxy.mp4": len(b"the complete previous version"), "assets/a1/new.mp4": False}
    assert [state for _, state in seen_mid_copy] == [expected, expected]
    assert seen_mid_copy[0][0].startswith(".proxy.mp4.") and seen_mid_copy[0][0].endswith(".part")
    # Afterwards: the old version intact, no new key, no temp file left behind.
    assert not store.exists("assets/a1/new.mp4")
    assert (tmp_path / "root/assets/a1/proxy.mp4").read_bytes() == b"the complete previous version"
    assert sorted(p.name for p in (tmp_path / "root/assets/a1").iterdir()) == ["proxy.mp4"]


@pytest.mark.s3
def test_presigned_url_on_s3_serves_the_bytes_over_http(s3_endpoint: str, payload_file: Path, payload: bytes) -> None:
    store = S3Storage(_unique_bucket(), prefix="p", endpoint_url=s3_endpoint, create_bucket=True)
    store.put_file("v/clip.mp4", payload_file, "video/mp4")

    url = store.presigned_url("v/clip.mp4", 300, filename='晚间新闻 "final".mp4')
    assert url is not None
    response = httpx.get(url, timeout=30.0)

    assert response.status_code == 200
    assert response.content == payload
    assert response.headers["content-type"] == "video/mp4"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E6%99%9A" in disposition
    assert store.local_path("v/clip.mp4") is None


@pytest.mark.s3
def test_s3_put_file_uploads_large_files_in_parts(s3_endpoint: str, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    data = random.Random(7).randbytes(9 * 1024 * 1024 + 17)
    source.write_bytes(data)
    store = S3Storage(_unique_bucket(), endpoint_url=s3_endpoint, create_bucket=True)

    assert store.put_file("big.bin", source).size == len(data)

    head = store._client.head_object(Bucket=store.bucket, Key="big.bin")
    assert head["ETag"].strip('"').endswith("-2")  # a multipart upload's ETag counts its parts
    assert b"".join(store.iter_range("big.bin", 8 * 1024 * 1024 - 1, len(data))) == data[8 * 1024 * 1024 - 1 :]


@pytest.mark.s3
def test_s3_missing_bucket_is_a_storage_error_naming_the_bucket_in_its_note(
    s3_endpoint: str, payload_file: Path
) -> None:
    bucket = _unique_bucket()
    store = S3Storage(bucket, endpoint_url=s3_endpoint)
    with pytest.raises(StorageError) as caught:
        store.put_file("a.bin", payload_file)
    assert not isinstance(caught.value, StorageNotFoundError)
    assert "create_bucket" in str(caught.value) and bucket not in str(caught.value)  # the message may reach a client
    assert bucket in "\n".join(caught.value.__notes__)  # the log says where
    for probe in (store.size, store.exists):  # a HEAD 404 must not pass for "no such key"
        with pytest.raises(StorageError, match=bucket) as caught:
            probe("a.bin")
        assert not isinstance(caught.value, StorageNotFoundError)


@pytest.mark.s3
def test_s3_unreachable_endpoint_is_a_storage_error_naming_the_endpoint_in_its_note(s3_endpoint: str) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{sock.getsockname()[1]}"
    store = S3Storage("some-bucket", endpoint_url=endpoint)
    with pytest.raises(StorageError, match=endpoint.replace(".", r"\.")) as caught:
        store.size("a.bin")
    assert "cannot connect" in str(caught.value) and endpoint not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://media", "media", ""),
        ("s3://media/", "media", ""),
        ("s3://media/tenants/a/", "media", "tenants/a"),
    ],
)
def test_open_storage_parses_s3_urls(url: str, bucket: str, prefix: str) -> None:
    store = open_storage(url, endpoint_url="http://127.0.0.1:1", region="us-east-1")
    assert isinstance(store, S3Storage)
    assert (store.bucket, store.prefix, store.endpoint_url) == (bucket, prefix, "http://127.0.0.1:1")
    assert store.url == (f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}")


def test_open_storage_parses_file_urls_and_plain_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_url = open_storage((tmp_path / "by url").as_uri())
    assert isinstance(from_url, LocalStorage)
    assert from_url.url == str(tmp_path / "by url")
    assert (tmp_path / "by url").is_dir()

    from_localhost = open_storage(f"file://localhost{tmp_path}/host")
    assert isinstance(from_localhost, LocalStorage) and (tmp_path / "host").is_dir()

    from_path = open_storage(str(tmp_path / "plain" / "nested"))
    assert isinstance(from_path, LocalStorage) and (tmp_path / "plain" / "nested").is_dir()

    monkeypatch.chdir(tmp_path)
    relative = open_storage("relative/store")
    assert isinstance(relative, LocalStorage)
    assert relative.url == str(tmp_path / "relative" / "store")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "http://example.com/bucket",
        "ftp://host/dir",
        "s3://",
        "s3:///prefix",
        "s3:bucket",
        "s3://bucket?versioning=1",
        "file://otherhost/data",
        "file:relative/path",
        "gs://bucket/prefix",
    ],
)
def test_open_storage_rejects_other_forms(url: str) -> None:
    with pytest.raises(ConfigError, match="accepted forms"):
        open_storage(url)


def test_open_storage_reports_a_directory_it_cannot_create(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="cannot create"):
        open_storage(str(blocker / "store"))
