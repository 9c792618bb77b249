"""Watch folders: files dropped by recorders and reporters are ingested once, complete, never lost."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from watch_support import StartWatching, assets_of, clip, watchers

from mam.errors import ConfigError
from mam.models import Asset
from mam.services import Services
from mam.watch import WatchFolder, load_watch_config
from mam.watch.config import After


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder(path: Path, *, quiet: float = 0.3, after: After = "keep", tenant: str | None = None) -> WatchFolder:
    path.mkdir(parents=True, exist_ok=True)
    return WatchFolder(path=path, tenant=tenant, quiet_seconds=quiet, after=after, profiles=("proxy",))


@pytest.fixture
def start_watching(sqlite_services: Services) -> Iterator[StartWatching]:
    with watchers(sqlite_services) as start:
        yield start


def test_a_file_written_in_bursts_is_ingested_once_after_the_last_write_with_its_final_checksum(
    tmp_path: Path, sqlite_services: Services, start_watching: StartWatching
) -> None:
    source = clip(tmp_path / "src" / "recorder.wav", 40)
    data = source.read_bytes()
    drop = tmp_path / "drop"
    _, recorder = start_watching(folder(drop, quiet=2.0))  # well above the pauses, even on a loaded machine
    bursts = [data[i : i + len(data) // 4 + 1] for i in range(0, len(data), len(data) // 4 + 1)]
    target = drop / "recorder.wav"
    last_write = 0.0
    for n, burst in enumerate(bursts):
        with target.open("ab") as handle:
            handle.write(burst)
        last_write = time.monotonic()
        if n < len(bursts) - 1:
            time.sleep(1.2)  # a pause longer than a second, shorter than the quiet period
            assert recorder.handled == [], "ingested while still being written"
    results = recorder.wait_for(1)
    time.sleep(0.5)  # nothing more should come
    assert [r.outcome for r in recorder.handled] == ["ingested"]
    ingested_at = recorder.results[0][0]
    delay = ingested_at - last_write
    print(f"\n{len(bursts)} bursts, {len(data)} bytes; ingested {delay:.2f} s after the last write")
    assert delay >= 2.0  # a full quiet period after the last write (how much later depends on the machine's load)
    (asset,) = assets_of(sqlite_services)
    assert asset.id == results[0].asset_id and asset.sha256 == sha256(source) == sha256(target)
    assert asset.size == len(data)


def test_renamed_copied_and_cross_filesystem_moved_files_are_ingested_once_each(
    tmp_path: Path, sqlite_services: Services, start_watching: StartWatching
) -> None:
    sources = [clip(tmp_path / "src" / f"{name}.wav", n) for n, name in enumerate(("renamed", "copied", "moved"))]
    drop = tmp_path / "drop"
    _, recorder = start_watching(folder(drop, quiet=0.5))

    part = drop / "renamed.wav.part"  # a recorder writing under a temporary name, slowly
    data = sources[0].read_bytes()
    for i in range(0, len(data), 4096):
        with part.open("ab") as handle:
            handle.write(data[i : i + 4096])
        time.sleep(0.05)
    time.sleep(0.8)  # longer than the quiet period: a .part file is never taken
    assert recorder.handled == []
    part.rename(drop / "renamed.wav")

    with sources[1].open("rb") as src, (drop / "copied.wav").open("wb") as dst:  # a slow copy
        while chunk := src.read(4096):
            dst.write(chunk)
            dst.flush()
            time.sleep(0.05)

    other_fs = Path("/dev/shm") / f"mam-test-{tmp_path.name}"
    other_fs.mkdir(exist_ok=True)
    try:
        staged = shutil.copy(sources[2], other_fs / "moved.wav")
        shutil.move(staged, drop / "moved.wav")  # across devices: copy, then remove the source
    finally:
        shutil.rmtree(other_fs, ignore_errors=True)

    recorder.wait_for(3)
    time.sleep(0.8)
    handled = recorder.handled
    assert sorted(r.path.name for r in handled) == ["copied.wav", "moved.wav", "renamed.wav"]
    assert {r.outcome for r in handled} == {"ingested"}
    assert sorted(a.sha256 for a in assets_of(sqlite_services)) == sorted(sha256(s) for s in sources)


def test_fifty_files_dropped_at_once_make_one_asset_per_distinct_content_per_tenant(
    tmp_path: Path, services: Services, start_watching: StartWatching
) -> None:
    distinct = [clip(tmp_path / "src" / f"c{n}.wav", n) for n in range(30)]
    names = [(f"f{i:02d}.wav", distinct[i % 30]) for i in range(50)]  # 20 files repeat content
    stage = tmp_path / "stage"
    for tenant in ("county-a", "county-b"):
        (stage / tenant).mkdir(parents=True)
        for name, src in names:
            shutil.copy(src, stage / tenant / name)
    drops = {t: tmp_path / "drop" / t for t in ("county-a", "county-b")}
    _, recorder = start_watching(
        *(folder(path, tenant=t, after="move") for t, path in drops.items()), services=services
    )
    started = time.monotonic()
    for tenant, path in drops.items():
        for name, _ in names:
            (stage / tenant / name).rename(path / name)  # all dropped at once
    handled = recorder.wait_for(100, timeout=60)
    elapsed = time.monotonic() - started
    print(f"\n100 files in 2 tenants handled in {elapsed:.2f} s")
    assert len(handled) == 100
    for tenant, path in drops.items():
        outcomes = [r.outcome for r in handled if r.path.parent == path]
        assert outcomes.count("ingested") == 30 and outcomes.count("duplicate") == 20
        assets = assets_of(services, tenant)
        assert len(assets) == 30
        assert {a.sha256 for a in assets} == {sha256(s) for s in distinct}
        assert sorted(p.name for p in (path / "done").iterdir()) == sorted(n for n, _ in names)
        assert [p for p in path.iterdir() if p.is_file()] == []
    with services.session() as session:
        assert session.scalar(select(func.count()).select_from(Asset)) == 60


def test_files_dropped_while_the_watcher_was_stopped_are_all_ingested_on_restart(
    tmp_path: Path, sqlite_services: Services, start_watching: StartWatching
) -> None:
    drop = tmp_path / "drop"
    config = folder(drop, quiet=0.3, after="keep")
    runner, recorder = start_watching(config)
    clip(drop / "kept.wav", 999)
    assert [r.outcome for r in recorder.wait_for(1)] == ["ingested"]
    runner.stop()

    for n in range(100):
        clip(drop / f"while_down_{n:03d}.wav", n)
    started = time.monotonic()
    _, recorder = start_watching(config)
    handled = recorder.wait_for(100)
    elapsed = time.monotonic() - started
    time.sleep(0.5)
    print(f"\n100 files found after a restart and ingested in {elapsed:.2f} s")
    assert sorted(r.path.name for r in recorder.handled) == [f"while_down_{n:03d}.wav" for n in range(100)]
    assert {r.outcome for r in handled} == {"ingested"}
    assert len(assets_of(sqlite_services)) == 101  # the file kept in place was not handled again


def test_a_file_that_is_not_media_goes_to_failed_with_the_reason_and_temp_names_are_left_alone(
    tmp_path: Path, sqlite_services: Services, start_watching: StartWatching
) -> None:
    drop = tmp_path / "drop"
    _, recorder = start_watching(folder(drop, after="move"))
    (drop / "notes.mp4").write_bytes(b"this is not media\n" * 100)
    (drop / ".hidden.wav").write_bytes(clip(tmp_path / "h.wav", 1).read_bytes())
    (drop / "upload.tmp").write_bytes(clip(tmp_path / "t.wav", 2).read_bytes())
    (handled,) = recorder.wait_for(1)
    time.sleep(0.6)
    assert handled.outcome == "failed" and recorder.handled == [handled]
    assert (drop / "failed" / "notes.mp4").exists() and not (drop / "notes.mp4").exists()
    note = (drop / "failed" / "notes.mp4.txt").read_text(encoding="utf-8")
    assert "not a media file" in note and note.count("notes.mp4") == 1
    assert (drop / ".hidden.wav").exists() and (drop / "upload.tmp").exists()
    assert assets_of(sqlite_services) == []


def test_the_source_is_deleted_only_after_the_original_is_stored(
    tmp_path: Path, sqlite_services: Services, start_watching: StartWatching
) -> None:
    drop = tmp_path / "drop"
    _, recorder = start_watching(folder(drop, after="delete"))
    source = clip(tmp_path / "src.wav", 3)
    shutil.copy(source, drop / "bulletin.wav")
    (handled,) = recorder.wait_for(1)
    assert handled.outcome == "ingested" and not (drop / "bulletin.wav").exists()
    (asset,) = assets_of(sqlite_services)
    stored = sqlite_services.storage.local_path(asset.original_key)
    assert stored is not None and sha256(stored) == sha256(source)


def test_the_watch_configuration_is_data_and_unknown_keys_are_refused(tmp_path: Path) -> None:
    good = tmp_path / "watch.toml"
    good.write_text(
        'poll_seconds = 0.5\n[[folder]]\npath = "/srv/drop"\ntenant = "county-a"\n'
        'profiles = ["proxy"]\nquiet_seconds = 10\nafter = "move"\nrecursive = true\n'
        '[folder.metadata]\ntitle = "录播"\ntags = ["新闻"]\n',
        encoding="utf-8",
    )
    config = load_watch_config(good)
    (entry,) = config.folder
    assert entry.path == Path("/srv/drop") and entry.after == "move" and entry.metadata.tags == ("新闻",)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[folder]]\npath = "/srv/drop"\nquiet = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="quiet"):
        load_watch_config(bad)
    bad.write_text('[[folder]]\npath = "/srv/drop"\nafter = "shred"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="after"):
        load_watch_config(bad)


def test_a_file_that_grows_while_it_is_ingested_is_not_deleted_and_is_ingested_again_when_complete(
    tmp_path: Path, sqlite_services: Services, start_watching: StartWatching, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mam.sidecar.apply as folder_module  # the watcher ingests through mam.sidecar.ingest_item

    real_ingest = folder_module.ingest_file
    full = clip(tmp_path / "full.wav", 7).read_bytes()
    calls: list[int] = []

    def ingest_while_the_writer_resumes(services: Services, path: Path, **kwargs: object) -> object:
        result = real_ingest(services, path, **kwargs)  # type: ignore[arg-type]
        calls.append(path.stat().st_size)
        if len(calls) == 1:
            path.write_bytes(full)  # the recorder resumes after a pause longer than the quiet period
        return result

    monkeypatch.setattr(folder_module, "ingest_file", ingest_while_the_writer_resumes)
    drop = tmp_path / "drop"
    _, recorder = start_watching(folder(drop, after="delete"))
    (drop / "live.wav").write_bytes(full[: len(full) // 2])
    (handled,) = recorder.wait_for(1)
    assert len(calls) == 2 and calls[1] == len(full)
    assert handled.outcome == "ingested" and not (drop / "live.wav").exists()
    with sqlite_services.session() as session:
        final = session.get(Asset, handled.asset_id)
        assert final is not None and final.sha256 == hashlib.sha256(full).hexdigest()
