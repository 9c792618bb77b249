"""Fifty uploads at once through a real server on the embedded default (SQLite): no request holds
a catalog connection while it waits for bytes, every distinct file is registered once, and
duplicates are recognised."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import random
import time
import wave
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest
from conftest import auth_headers, make_settings
from live_server import live_server
from sqlalchemy import func, select

from api.app import create_app
from mam.models import Asset
from mam.services import Services, open_services

DISTINCT = 30
UPLOADS = 50
TUS_UPLOADS = 10


def small_wav(seed: int) -> bytes:
    """A tenth of a second of 8 kHz noise: a valid, distinct media file of about 1.6 kB."""
    samples = np.random.default_rng(seed).integers(-3000, 3000, size=800, dtype=np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str
    tus: bool


@dataclass(frozen=True)
class Answer:
    status: int
    asset_id: str | None
    duplicate: bool | None
    sha256: str


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = open_services(make_settings(tmp_path / "home"))
    try:
        yield svc
    finally:
        svc.close()


def planned_uploads() -> list[Upload]:
    files = [small_wav(seed) for seed in range(DISTINCT)]
    contents = files + [files[i % DISTINCT] for i in range(UPLOADS - DISTINCT)]  # 20 duplicates
    rng = random.Random(14)
    rng.shuffle(contents)
    return [Upload(data, f"clip-{n}.wav", tus=n < TUS_UPLOADS) for n, data in enumerate(contents)]


class Gate:
    """Holds every upload's last bytes back until all of them are streaming at once."""

    def __init__(self, expected: int) -> None:
        self.expected, self.started, self.open = expected, 0, asyncio.Event()
        self.all_started = asyncio.Event()

    async def body(self, parts: list[bytes]) -> AsyncIterator[bytes]:
        yield parts[0]
        self.started += 1
        if self.started == self.expected:
            self.all_started.set()
        await self.open.wait()
        for part in parts[1:]:
            yield part


def multipart_parts(upload: Upload) -> tuple[str, list[bytes]]:
    boundary = "mamtestboundary7d0e"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n{upload.filename}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="profiles"\r\n\r\nproxy\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{upload.filename}"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    half = len(upload.data) // 2
    return boundary, [head + upload.data[:half], upload.data[half:], f"\r\n--{boundary}--\r\n".encode()]


async def send(client: httpx.AsyncClient, upload: Upload, gate: Gate) -> Answer:
    digest = hashlib.sha256(upload.data).hexdigest()
    half = len(upload.data) // 2
    if upload.tus:
        name = base64.b64encode(upload.filename.encode()).decode()
        headers = {
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(upload.data)),
            "Upload-Metadata": f"filename {name},profiles {base64.b64encode(b'proxy').decode()}",
            "Content-Type": "application/offset+octet-stream",
        }
        r = await client.post(
            "/api/v1/uploads", headers=headers, content=gate.body([upload.data[:half], upload.data[half:]])
        )
        duplicate = r.headers.get("mam-asset-duplicate")
        return Answer(
            r.status_code, r.headers.get("mam-asset-id"), None if duplicate is None else duplicate == "true", digest
        )
    boundary, parts = multipart_parts(upload)
    r = await client.post(
        "/api/v1/assets",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=gate.body(parts),
    )
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    return Answer(r.status_code, body.get("id"), body.get("duplicate"), digest)


async def upload_all(base: str, uploads: list[Upload], services: Services) -> tuple[list[Answer], int]:
    gate = Gate(len(uploads))
    timeout = httpx.Timeout(300.0)
    limits, auth = httpx.Limits(max_connections=100), auth_headers(services, role="editor")
    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=timeout, limits=limits) as client:
        tasks = [asyncio.create_task(send(client, u, gate)) for u in uploads]
        await asyncio.wait_for(gate.all_started.wait(), 120)
        tus_root = services.settings.work_dir / "tus"
        deadline = time.monotonic() + 120  # the tus uploads are created before their bytes are read
        while len(list(tus_root.glob("*/info.json"))) < TUS_UPLOADS and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        held = services.engine.pool.checkedout()  # type: ignore[attr-defined]
        gate.open.set()
        return list(await asyncio.gather(*tasks)), held


def test_fifty_concurrent_uploads_register_each_distinct_file_once_and_recognise_duplicates(
    services: Services,
) -> None:
    uploads = planned_uploads()
    with live_server(create_app(services=services, run_workers=False)) as base:
        answers, held_while_streaming = asyncio.run(upload_all(base, uploads, services))

    assert held_while_streaming == 0, "a request held a catalog connection while waiting for its bytes"
    assert [a.status for a in answers if a.status >= 500] == []
    assert all(a.status in (200, 201) and a.asset_id for a in answers), [a.status for a in answers]
    by_content: dict[str, set[str]] = {}
    for answer in answers:
        assert answer.asset_id is not None
        by_content.setdefault(answer.sha256, set()).add(answer.asset_id)
    assert len(by_content) == DISTINCT and all(len(ids) == 1 for ids in by_content.values())
    assert sum(1 for a in answers if a.duplicate is False) == DISTINCT
    assert sum(1 for a in answers if a.duplicate is True) == UPLOADS - DISTINCT
    with services.session() as session:
        assert session.scalar(select(func.count()).select_from(Asset)) == DISTINCT
        stored = set(session.scalars(select(Asset.sha256)))
    assert stored == set(by_content)
