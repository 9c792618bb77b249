"""Watch folders take a media file and its sidecar as one unit, merge late sidecars, and fail a file once."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Media
from sqlalchemy.exc import OperationalError
from test_cards_layouts import p2_card
from test_sidecar import NRT, P2
from watch_support import StartWatching, assets_of, clip, watchers

import mam.sidecar.apply as apply_module  # the watcher ingests through mam.sidecar.ingest_item
from mam.models import Asset
from mam.services import Services
from mam.watch import WatchFolder
from mam.watch.config import After

SIDECAR = {"title": "防汛一线", "description": "河口镇堤坝", "tags": ["防汛"], "reporter": "张三"}


@pytest.fixture
def start(sqlite_services: Services) -> Iterator[StartWatching]:
    with watchers(sqlite_services) as begin:
        yield begin


def drop_folder(path: Path, *, quiet: float = 0.4, after: After = "keep", **more: object) -> WatchFolder:
    path.mkdir(parents=True, exist_ok=True)
    return WatchFolder.model_validate({"path": path, "quiet_seconds": quiet, "after": after, "profiles": (), **more})


def the_asset(services: Services, asset_id: str | None) -> Asset:
    with services.session() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        return asset


def sidecar_text() -> str:
    return json.dumps(SIDECAR, ensure_ascii=False)


def test_a_sidecar_written_slowly_is_waited_for_and_applied_whole(
    tmp_path: Path, sqlite_services: Services, start: StartWatching
) -> None:
    drop = tmp_path / "drop"
    _, recorder = start(drop_folder(drop, quiet=0.6, after="move"))
    clip(drop / "flood.wav", 1)
    text = sidecar_text().encode()
    sidecar = drop / "flood.json"
    for i in range(0, len(text), 12):  # half-written JSON for well over the quiet period
        with sidecar.open("ab") as handle:
            handle.write(text[i : i + 12])
        time.sleep(0.15)
        assert recorder.handled == [], "taken while its sidecar was still being written"
    (handled,) = recorder.wait_for(1)
    time.sleep(0.3)
    assert handled.outcome == "ingested" and len(recorder.handled) == 1
    asset = the_asset(sqlite_services, handled.asset_id)
    assert (asset.title, asset.description, asset.tags, asset.reporter) == ("防汛一线", "河口镇堤坝", ["防汛"], "张三")
    assert sorted(p.name for p in (drop / "done").iterdir()) == ["flood.json", "flood.wav"]
    assert not (drop / "failed").exists()


def test_a_sidecar_that_lands_while_its_media_waits_is_taken_with_it(
    tmp_path: Path, sqlite_services: Services, start: StartWatching
) -> None:
    drop = tmp_path / "drop"
    _, recorder = start(drop_folder(drop, quiet=0.6))
    clip(drop / "flood.wav", 2)
    time.sleep(0.4)  # within the media's quiet period
    (drop / "flood.json").write_text(sidecar_text(), encoding="utf-8")
    (handled,) = recorder.wait_for(1)
    assert handled.outcome == "ingested"
    assert the_asset(sqlite_services, handled.asset_id).title == "防汛一线"
    time.sleep(0.8)
    assert len(recorder.handled) == 1  # the kept sidecar is not handled again on its own


def test_a_sidecar_that_lands_after_its_media_was_ingested_is_merged_into_the_asset(
    tmp_path: Path, sqlite_services: Services, start: StartWatching
) -> None:
    drop = tmp_path / "drop"
    _, recorder = start(drop_folder(drop, quiet=0.3, after="move"))
    clip(drop / "flood.wav", 3)
    (media,) = recorder.wait_for(1)
    assert the_asset(sqlite_services, media.asset_id).title == "flood"
    (drop / "flood.json").write_text(sidecar_text(), encoding="utf-8")
    handled = recorder.wait_for(2)
    assert [(h.path.name, h.outcome, h.asset_id) for h in handled] == [
        ("flood.wav", "ingested", media.asset_id),
        ("flood.json", "merged", media.asset_id),
    ]
    asset = the_asset(sqlite_services, media.asset_id)
    assert (asset.title, asset.description, asset.tags, asset.reporter) == ("防汛一线", "河口镇堤坝", ["防汛"], "张三")
    assert sorted(p.name for p in (drop / "done").iterdir()) == ["flood.json", "flood.wav"]


def test_a_late_sidecar_is_merged_after_a_restart_and_one_too_late_is_left_alone(
    tmp_path: Path, sqlite_services: Services, start: StartWatching
) -> None:
    drop, slow = tmp_path / "drop", tmp_path / "slow"
    config = drop_folder(drop, quiet=0.3, after="delete")
    runner, recorder = start(config)
    clip(drop / "flood.wav", 4)
    (media,) = recorder.wait_for(1)
    runner.stop()
    assert not (drop / "flood.wav").exists()
    (drop / "flood.xml").write_text("<mam><title>防汛一线</title><place>河口镇</place></mam>", encoding="utf-8")
    _, recorder = start(config)  # the watcher remembers where flood.wav went
    (merged,) = recorder.wait_for(1)
    assert (merged.path.name, merged.outcome, merged.asset_id) == ("flood.xml", "merged", media.asset_id)
    assert not (drop / "flood.xml").exists()
    asset = the_asset(sqlite_services, media.asset_id)
    assert (asset.title, asset.place) == ("防汛一线", "河口镇")

    _, recorder = start(drop_folder(slow, quiet=0.3, after="move", late_sidecar_seconds=0))
    clip(slow / "radio.wav", 5)
    (radio,) = recorder.wait_for(1)
    (slow / "radio.json").write_text(sidecar_text(), encoding="utf-8")
    time.sleep(1.0)
    assert len(recorder.handled) == 1 and (slow / "radio.json").exists()
    assert the_asset(sqlite_services, radio.asset_id).title == "radio"


def test_an_empty_sidecar_is_refused_into_failed_and_its_media_still_ingests(
    tmp_path: Path, sqlite_services: Services, start: StartWatching
) -> None:
    drop = tmp_path / "drop"
    _, recorder = start(drop_folder(drop, quiet=0.3, after="move"))
    (drop / "flood.json").touch()
    clip(drop / "flood.wav", 6)
    (handled,) = recorder.wait_for(1)
    assert handled.outcome == "ingested"
    assert (drop / "failed" / "flood.json").exists() and (drop / "done" / "flood.wav").exists()
    assert "flood.json" in (drop / "failed" / "flood.json.txt").read_text(encoding="utf-8")


def test_an_unexpected_error_sends_the_file_to_failed_once_and_the_watcher_goes_on(
    tmp_path: Path, sqlite_services: Services, start: StartWatching, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_ingest = apply_module.ingest_file

    def ingest_with_a_bug(services: Services, path: Path, **kwargs: object) -> object:
        if path.name == "cursed.wav":
            raise KeyError("a bug of ours")
        return real_ingest(services, path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(apply_module, "ingest_file", ingest_with_a_bug)
    drop = tmp_path / "drop"
    _, recorder = start(drop_folder(drop, quiet=0.3, after="move"))
    clip(drop / "cursed.wav", 7)
    (drop / "cursed.json").write_text(sidecar_text(), encoding="utf-8")
    clip(drop / "fine.wav", 8)
    recorder.wait_for(2)
    time.sleep(1.0)  # longer than two quiet periods: a retry would show
    outcomes = sorted((h.path.name, h.outcome) for h in recorder.handled)
    assert outcomes == [("cursed.wav", "failed"), ("fine.wav", "ingested")]
    note = (drop / "failed" / "cursed.wav.txt").read_text(encoding="utf-8")
    assert "an unexpected fault of mam stopped it" in note and "KeyError" not in note
    assert (drop / "failed" / "cursed.json").exists()  # the unit failed together
    assert [a.original_filename for a in assets_of(sqlite_services)] == ["fine.wav"]


def test_a_catalog_that_is_briefly_unavailable_delays_the_file_without_failing_it(
    tmp_path: Path, sqlite_services: Services, start: StartWatching, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_ingest = apply_module.ingest_file
    refused: list[str] = []

    def ingest_while_the_catalog_is_down(services: Services, path: Path, **kwargs: object) -> object:
        if len(refused) < 2:
            refused.append(path.name)
            raise OperationalError("INSERT INTO assets", {}, Exception("could not connect to server"))
        return real_ingest(services, path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(apply_module, "ingest_file", ingest_while_the_catalog_is_down)
    drop = tmp_path / "drop"
    _, recorder = start(drop_folder(drop, quiet=0.2, after="move"))
    clip(drop / "bulletin.wav", 9)
    (handled,) = recorder.wait_for(1)
    assert refused == ["bulletin.wav", "bulletin.wav"] and handled.outcome == "ingested"
    assert not (drop / "failed").exists() and (drop / "done" / "bulletin.wav").exists()


def test_camera_cards_copied_into_a_watch_folder_ingest_each_clip_once_with_its_metadata(
    tmp_path: Path, sqlite_services: Services, start: StartWatching, media: Media
) -> None:
    stage = tmp_path / "stage"
    xdcam = stage / "card-xdcam" / "XDROOT"
    (xdcam / "Clip").mkdir(parents=True)
    (xdcam / "Sub").mkdir()
    shutil.copy(media.silent, xdcam / "Clip" / "C0001.MXF")
    (xdcam / "Clip" / "C0001M01.XML").write_text(NRT, encoding="utf-8")
    shutil.copy(media.silent, xdcam / "Sub" / "C0001S03.MXF")
    (xdcam / "MEDIAPRO.XML").write_text("<MediaProfile/>", encoding="utf-8")
    (xdcam / "STATUS.BIN").write_bytes(b"\x00" * 16)
    p2 = stage / "card-p2" / "CONTENTS"
    for sub in ("VIDEO", "AUDIO", "CLIP", "ICON"):
        (p2 / sub).mkdir(parents=True)
    shutil.copy(media.phone, p2 / "VIDEO" / "0001AB.MXF")
    shutil.copy(media.wav, p2 / "AUDIO" / "0001AB00.MXF")
    (p2 / "CLIP" / "0001AB.XML").write_text(P2, encoding="utf-8")
    (p2 / "ICON" / "0001AB.BMP").write_bytes(b"BM" + bytes(62))
    (p2.parent / "LASTCLIP.TXT").write_text("0001AB\n", encoding="utf-8")

    drop = tmp_path / "drop"
    _, recorder = start(drop_folder(drop, quiet=0.4, after="move", recursive=True))
    for card in ("card-xdcam", "card-p2"):
        shutil.copytree(stage / card, drop / card)  # as a reporter copies a card off the reader
    recorder.wait_for(2)
    time.sleep(1.0)
    handled = sorted((h.path.name, h.outcome) for h in recorder.handled)
    assert handled == [("0001AB.MXF", "ingested"), ("C0001.MXF", "ingested")]
    by_name = {a.original_filename: a for a in assets_of(sqlite_services)}
    assert sorted(by_name) == ["0001AB.mov", "C0001.MXF"]  # the P2 clip rewrapped with its audio
    assert by_name["0001AB.mov"].title == "县城防汛现场" and by_name["0001AB.mov"].place == "河口镇"
    assert by_name["C0001.MXF"].tags == ["XDCAM", "PXW-Z280"]
    done = drop / "done"
    assert (done / "card-xdcam" / "XDROOT" / "Clip" / "C0001M01.XML").exists()
    assert (done / "card-p2" / "CONTENTS" / "CLIP" / "0001AB.XML").exists()
    assert not (drop / "failed").exists()  # the card's own files are neither media nor failures
    assert (drop / "card-xdcam" / "XDROOT" / "Sub" / "C0001S03.MXF").exists()
    assert (done / "card-p2" / "CONTENTS" / "AUDIO" / "0001AB00.MXF").exists()  # part of the asset: follows it


def test_two_media_files_with_one_stem_share_no_sidecar_twice_and_nothing_fails(
    tmp_path: Path, sqlite_services: Services, start: StartWatching, media: Media
) -> None:
    drop = tmp_path / "drop"
    _, recorder = start(drop_folder(drop, quiet=0.3, after="move"))
    shutil.copy(media.silent, drop / "flood.mp4")
    clip(drop / "flood.wav", 10)
    (drop / "flood.json").write_text(sidecar_text(), encoding="utf-8")
    recorder.wait_for(2)
    time.sleep(0.8)
    assert sorted((h.path.name, h.outcome) for h in recorder.handled) == [
        ("flood.mp4", "ingested"),
        ("flood.wav", "ingested"),
    ]
    titles = sorted(a.title for a in assets_of(sqlite_services))
    assert titles == sorted(["防汛一线", "flood"])  # the sidecar went to the first, then to done/ with it
    assert not (drop / "failed").exists()
    assert sorted(p.name for p in (drop / "done").iterdir()) == ["flood.json", "flood.mp4", "flood.wav"]


def test_a_p2_card_copied_folder_by_folder_waits_for_its_clip_xml_and_every_audio_channel(
    tmp_path: Path, sqlite_services: Services, start: StartWatching
) -> None:
    contents = p2_card(tmp_path / "stage" / "card-p2", channels=2)
    drop = tmp_path / "drop"
    _, recorder = start(drop_folder(drop, quiet=0.3, after="delete", recursive=True))
    target = drop / "card-p2" / "CONTENTS"
    shutil.copytree(contents / "VIDEO", target / "VIDEO")  # a slow card reader: one folder at a time
    time.sleep(0.9)
    assert recorder.handled == [], "taken without its clip XML"
    shutil.copytree(contents / "CLIP", target / "CLIP")
    time.sleep(0.9)
    assert recorder.handled == [], "taken before the audio its XML lists"
    (target / "AUDIO").mkdir()
    shutil.copy(contents / "AUDIO" / "0001AB00.MXF", target / "AUDIO")
    time.sleep(0.9)
    assert recorder.handled == [], "taken with one of its two audio channels"
    shutil.copy(contents / "AUDIO" / "0001AB01.MXF", target / "AUDIO")
    (handled,) = recorder.wait_for(1)
    assert handled.outcome == "ingested"
    asset = the_asset(sqlite_services, handled.asset_id)
    assert [a["channels"] for a in asset.mediainfo["audio"]] == [1, 1]
    stored = sqlite_services.storage.local_path(asset.original_key)
    assert stored is not None and stored.stat().st_size == asset.size
    left = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert left == []  # deleted once stored: the video, its audio and its XML
