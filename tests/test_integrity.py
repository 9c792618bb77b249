"""The catalog's integrity check (mam/integrity.py, ``mam check``): missing bytes, wrong sizes, orphans."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Media, make_settings
from typer.testing import CliRunner

from cli.main import app
from mam.ingest import ingest_file
from mam.integrity import check_integrity, remove_orphans
from mam.janitor import sweep
from mam.models import Rendition
from mam.processing import process_job
from mam.services import Services, open_services
from mam.storage import Storage
from mam.storage.local import LocalStorage
from mam.storage.s3 import S3Storage

NOW = timedelta(0)


def _rendered(services: Services, media: Media) -> str:
    result = ingest_file(services, media.wav, profiles=["radio"])
    assert result.job is not None
    assert process_job(services, result.job.id).state == "done"
    return result.asset.id


def test_a_rendered_asset_is_consistent_with_no_orphans(services: Services, media: Media) -> None:
    _rendered(services, media)
    report = check_integrity(services, grace=NOW)
    assert report.ok and report.assets == 1 and report.objects >= 2
    assert report.findings == []


def test_a_rendition_missing_from_the_store_is_reported_and_fails_the_check(
    sqlite_services: Services, media: Media
) -> None:
    _rendered(sqlite_services, media)
    with sqlite_services.session() as session:
        key = session.query(Rendition).one().storage_key
    sqlite_services.storage.delete(key)

    report = check_integrity(sqlite_services, grace=NOW)

    assert not report.ok
    assert [(f.kind, f.key) for f in report.findings] == [("missing", key)]


def test_orphans_and_cut_short_copies_are_found_then_removed_and_young_ones_are_left(
    sqlite_services: Services, media: Media, tmp_path: Path
) -> None:
    asset_id = _rendered(sqlite_services, media)
    stray = tmp_path / "stray.bin"
    stray.write_bytes(b"x" * 1000)
    orphan = f"default/assets/{asset_id}/renditions/vertical/0123456789abcdef.mp4"  # stored, never registered
    gone = "default/assets/no-such-asset/original/a.mp4"  # an asset the catalog does not have
    sqlite_services.storage.put_file(orphan, stray)
    sqlite_services.storage.put_file(gone, stray)
    local = sqlite_services.storage.local_path(orphan)
    assert local is not None
    partial = local.with_name(".cut.mp4.0011223344556677.part")  # a copy killed half-way
    partial.write_bytes(b"y" * 10)

    assert check_integrity(sqlite_services).of("orphan") == []  # too young: may still be registered
    report = check_integrity(sqlite_services, grace=NOW)
    assert report.ok
    assert sorted(f.key for f in report.of("orphan")) == sorted(
        [gone, orphan, f"{orphan.rsplit('/', 1)[0]}/{partial.name}"]
    )

    assert remove_orphans(sqlite_services, report) == 3
    assert check_integrity(sqlite_services, grace=NOW).findings == []
    assert not partial.exists()


def test_an_asset_with_a_queued_job_keeps_its_unregistered_objects(
    sqlite_services: Services, media: Media, tmp_path: Path
) -> None:
    result = ingest_file(sqlite_services, media.wav, profiles=["radio"])
    stray = tmp_path / "stray.bin"
    stray.write_bytes(b"z")
    sqlite_services.storage.put_file(f"default/assets/{result.asset.id}/renditions/radio/x.m4a", stray)

    assert check_integrity(sqlite_services, grace=NOW).of("orphan") == []


def test_mam_check_prints_json_and_exits_non_zero_when_bytes_are_missing(
    tmp_path: Path, media: Media, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("MAM_HOME", str(home))
    services = open_services(make_settings(home))
    try:
        asset_id = _rendered(services, media)
        with services.session() as session:
            original = session.query(Rendition).one().asset.original_key
        services.storage.delete(original)
    finally:
        services.close()

    run = CliRunner().invoke(app, ["check", "--json"])

    assert run.exit_code == 1, run.output
    answer = json.loads(run.output)
    assert answer["ok"] is False and answer["missing"] == 1
    assert answer["findings"][0]["asset_id"] == asset_id


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3Storage(f"integrity-{os.getpid()}-{id(request)}", prefix="p", endpoint_url=endpoint, create_bucket=True)


def test_a_store_lists_its_objects_with_size_and_time_under_a_prefix(store: Storage, tmp_path: Path) -> None:
    source = tmp_path / "f.bin"
    source.write_bytes(b"abc")
    for key in ("t/assets/a/original/f.bin", "t/assets/a/renditions/hls/1/master.m3u8", "t/assets/b/original/g.bin"):
        store.put_file(key, source)

    under_a = list(store.iter_objects("t/assets/a/"))
    everything = list(store.iter_objects())

    assert sorted(o.key for o in under_a) == ["t/assets/a/original/f.bin", "t/assets/a/renditions/hls/1/master.m3u8"]
    assert len(everything) == 3
    assert all(o.size == 3 and o.modified is not None and o.modified > 0 for o in everything)


def test_the_janitor_removes_store_orphans_only_when_asked_and_once_they_are_old_enough(
    sqlite_services: Services, tmp_path: Path
) -> None:
    stray = tmp_path / "stray.bin"
    stray.write_bytes(b"x" * 100)
    key = "default/assets/killed-ingest/original/clip.mp4"  # stored, then the ingest was killed
    sqlite_services.storage.put_file(key, stray)
    later = datetime.now(UTC) + timedelta(hours=2)

    assert sqlite_services.storage.exists(key)
    assert [r.kind for r in sweep(sqlite_services, now=later).removed] == []  # the periodic rounds list no store
    assert [r.kind for r in sweep(sqlite_services, store=True).removed] == []  # too young
    removed = sweep(sqlite_services, now=later, store=True).removed

    assert [(r.kind, r.path, r.bytes) for r in removed] == [("store", key, 100)]
    assert not sqlite_services.storage.exists(key)
