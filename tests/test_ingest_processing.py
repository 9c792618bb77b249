"""Ingest and job processing on the embedded default and PostgreSQL, called directly (no broker)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import Media

from mam.catalog import get_asset
from mam.errors import IngestError
from mam.ingest import ingest_file
from mam.models import Asset
from mam.processing import process_job
from mam.services import Services
from transcode.probe import probe


def _stored_files(services: Services) -> list[Path]:
    root = Path(services.storage.url)
    return [p for p in root.rglob("*") if p.is_file()]


def test_ingest_stores_the_original_with_its_checksum_and_probe(services: Services, media: Media) -> None:
    sent: list[str] = []
    services.enqueue = sent.append
    result = ingest_file(services, media.phone, title="街头采访", tags=["民生", "采访"])
    asset = result.asset
    assert asset.sha256 == hashlib.sha256(media.phone.read_bytes()).hexdigest()
    assert asset.title == "街头采访" and asset.tags == ["民生", "采访"]
    assert asset.mediainfo["video"][0]["rotation"] == 90
    assert result.job is not None and sent == [result.job.id]
    assert sorted(result.job.profiles) == ["poster", "proxy", "web_720p"]
    stored = services.storage.local_path(asset.original_key)
    assert stored is not None and stored.read_bytes() == media.phone.read_bytes()


def test_the_same_content_twice_in_a_tenant_is_one_asset(services: Services, media: Media, tmp_path: Path) -> None:
    copy = tmp_path / "renamed copy.mp4"
    copy.write_bytes(media.silent.read_bytes())
    first = ingest_file(services, media.silent)
    second = ingest_file(services, copy)
    assert second.duplicate and second.asset.id == first.asset.id and second.job is None
    with services.session() as session:
        assert session.query(Asset).count() == 1


def test_a_non_media_file_is_refused_and_leaves_nothing_behind(services: Services, media: Media) -> None:
    with pytest.raises(IngestError, match="not a media file"):
        ingest_file(services, media.garbage)
    with services.session() as session:
        assert session.query(Asset).count() == 0
    assert _stored_files(services) == []


def test_an_unknown_profile_is_refused_before_anything_is_stored(services: Services, media: Media) -> None:
    with pytest.raises(IngestError, match="unknown profile 'hd_master'"):
        ingest_file(services, media.silent, profiles=["proxy", "hd_master"])
    assert _stored_files(services) == []


def test_a_profile_asked_for_that_the_media_cannot_feed_is_refused_before_anything_is_stored(
    services: Services, media: Media
) -> None:
    with pytest.raises(IngestError, match=r"radio\.wav: web_720p is not made from audio sources; this audio"):
        ingest_file(services, media.wav, profiles=["proxy", "web_720p"])
    assert _stored_files(services) == []
    watched = ingest_file(services, media.wav, profiles=["proxy", "web_720p"], where_applicable=True)
    assert watched.job is not None and watched.job.profiles == ["proxy"] and watched.skipped_profiles == ("web_720p",)


def test_audio_only_material_gets_audio_renditions_only(services: Services, media: Media) -> None:
    result = ingest_file(services, media.wav)
    assert result.asset.media_kind == "audio"
    assert result.job is not None and result.job.profiles == ["proxy"]
    assert set(result.skipped_profiles) == {"web_720p", "poster"}
    assert process_job(services, result.job.id).state == "done"


def test_processing_registers_complete_renditions_and_doing_it_again_makes_nothing_twice(
    services: Services, media: Media
) -> None:
    result = ingest_file(services, media.broadcast, profiles=["proxy", "poster"])
    assert result.job is not None
    outcome = process_job(services, result.job.id)
    assert outcome.state == "done", outcome.error
    again = process_job(services, result.job.id)
    assert again.state == "done"
    with services.session() as session:
        asset = get_asset(session, services.settings.default_tenant, result.asset.id)
        assert asset.status == "ready"
        assert sorted(r.profile for r in asset.renditions) == ["poster", "proxy"]
        proxy = next(r for r in asset.renditions if r.profile == "proxy")
        path = services.storage.local_path(proxy.storage_key)
        assert path is not None and path.stat().st_size == proxy.size and asset.duration is not None
        assert abs(probe(path).duration - asset.duration) <= 1 / 25 + 0.03
        job = asset.jobs[0]
        assert job.attempts == 1 and job.progress == 1.0
    leftovers = [p for p in services.settings.work_dir.rglob("*") if p.is_file()]
    assert leftovers == []


def test_a_truncated_file_fails_its_asset_with_a_reason_and_the_next_job_succeeds(
    services: Services, media: Media
) -> None:
    bad = ingest_file(services, media.truncated)
    good = ingest_file(services, media.silent, profiles=["proxy"])
    assert bad.job is not None and good.job is not None
    failed = process_job(services, bad.job.id)
    assert failed.state == "failed" and failed.error and "truncated or corrupt" in failed.error
    assert process_job(services, good.job.id).state == "done"
    with services.session() as session:
        asset = get_asset(session, services.settings.default_tenant, bad.asset.id)
        assert asset.status == "failed" and asset.error and "truncated" in asset.error
        assert asset.renditions == []
