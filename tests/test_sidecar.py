"""Sidecar metadata and camera cards: the metadata beside a file lands on its asset and is searchable."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from conftest import Media, client_headers, signed_in
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.errors import SidecarError
from mam.models import Asset
from mam.services import Services
from mam.sidecar import ingest_item, pair_files, read_sidecar
from mam.watch import Handled, WatchConfig, WatchFolder, WatchRunner

NRT = """<?xml version="1.0" encoding="UTF-8"?>
<NonRealTimeMeta xmlns="urn:schemas-professionalDisc:nonRealTimeMeta:ver.2.00" lastUpdate="2024-05-01T10:22:40+08:00">
  <TargetMaterial umidRef="060A2B340101010501010D4313000000"/>
  <Duration value="50"/>
  <LtcChangeTable tcFps="25" halfStep="false">
    <LtcChange frameCount="0" value="00000010" status="increment"/>
    <LtcChange frameCount="49" value="24010010" status="end"/>
  </LtcChangeTable>
  <CreationDate value="2024-05-01T10:22:33+08:00"/>
  <Device manufacturer="Sony" modelName="PXW-Z280" serialNo="0012345"/>
</NonRealTimeMeta>
"""

P2 = """<?xml version="1.0" encoding="UTF-8"?>
<P2Main xmlns="urn:schemas-Professional-Plug-in:P2:ClipMetadata:v3.1">
  <ClipContent>
    <ClipName>0001AB</ClipName>
    <Duration>50</Duration>
    <EditUnit>1/25</EditUnit>
    <EssenceList><Video><StartTimecode>10:00:00:00</StartTimecode></Video></EssenceList>
    <ClipMetadata>
      <UserClipName>县城防汛现场</UserClipName>
      <Access><Creator>李记者</Creator></Access>
      <Device><Manufacturer>Panasonic</Manufacturer><ModelName>AJ-PX270</ModelName></Device>
      <Shoot>
        <Shooter>王摄像</Shooter>
        <StartDate>2024-06-18T08:01:02+08:00</StartDate>
        <Location><PlaceName>河口镇</PlaceName></Location>
      </Shoot>
      <Memo><Text>堤坝加固</Text></Memo>
    </ClipMetadata>
  </ClipContent>
</P2Main>
"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<mam><title>&lol3;</title></mam>
"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE mam [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<mam><title>&secret;</title></mam>
"""


def asset_of(services: Services, asset_id: str) -> Asset:
    with services.session() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        return asset


def search_ids(services: Services, q: str) -> list[str]:
    with signed_in(TestClient(create_app(services=services, run_workers=False))) as client:
        body = client.get("/api/v1/search", params={"q": q}).json()
    return [h["asset"]["id"] for h in body["items"]]


def test_a_json_sidecar_and_an_xml_sidecar_land_in_the_asset_metadata_and_are_found_by_search(
    tmp_path: Path, services: Services, media: Media
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(media.silent, drop / "flood.mp4")
    shutil.copy(media.wav, drop / "radio.wav")
    (drop / "flood.json").write_text(
        json.dumps(
            {
                "title": "防汛一线",
                "description": "河口镇堤坝",
                "tags": ["防汛", "民生"],
                "programme": "新闻联播",
                "reporter": "张三",
                "shoot_date": "2024-06-18",
                "colour": "red",
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    (drop / "radio.xml").write_text(
        "<mam><title>乡村广播</title><tags><tag>广播</tag></tags><place>石桥村</place>"
        "<shoot_date>2024-07-01</shoot_date></mam>",
        encoding="utf-8",
    )
    items = pair_files(sorted(drop.iterdir()))
    assert [(i.media.name, i.sidecar.name if i.sidecar else None) for i in items] == [
        ("flood.mp4", "flood.json"),
        ("radio.wav", "radio.xml"),
    ]
    flood, radio = (ingest_item(services, i, tenant_id="default", profiles=[]) for i in items)
    assert flood.problems == ("unknown field 'colour' ignored",)
    a = asset_of(services, flood.result.asset.id)
    assert (a.title, a.description, a.tags, a.programme, a.reporter) == (
        "防汛一线",
        "河口镇堤坝",
        ["防汛", "民生"],
        "新闻联播",
        "张三",
    )
    assert str(a.shoot_date) == "2024-06-18"
    b = asset_of(services, radio.result.asset.id)
    assert (b.title, b.tags, b.place, str(b.shoot_date)) == ("乡村广播", ["广播"], "石桥村", "2024-07-01")
    assert search_ids(services, "防汛") == [a.id]
    assert search_ids(services, "石桥村") == [b.id]


def test_an_xdcam_card_and_a_p2_card_ingest_one_asset_per_clip_with_the_card_metadata(
    tmp_path: Path, services: Services, media: Media
) -> None:
    xdcam = tmp_path / "cards" / "card-xdcam" / "XDROOT"
    (xdcam / "Clip").mkdir(parents=True)
    (xdcam / "Sub").mkdir()
    shutil.copy(media.broadcast, xdcam / "Clip" / "C0001.MXF")
    (xdcam / "Clip" / "C0001M01.XML").write_text(NRT, encoding="utf-8")
    shutil.copy(media.silent, xdcam / "Sub" / "C0001S03.MXF")  # the card's own proxy: not an asset
    (xdcam / "MEDIAPRO.XML").write_text("<MediaProfile/>", encoding="utf-8")
    p2 = tmp_path / "cards" / "card-p2" / "CONTENTS"
    for sub in ("VIDEO", "AUDIO", "CLIP", "ICON"):
        (p2 / sub).mkdir(parents=True)
    shutil.copy(media.phone, p2 / "VIDEO" / "0001AB.MXF")
    shutil.copy(media.wav, p2 / "AUDIO" / "0001AB00.MXF")
    (p2 / "CLIP" / "0001AB.XML").write_text(P2, encoding="utf-8")
    (p2.parent / "LASTCLIP.TXT").write_text("0001AB\n")  # the card's index file: not an asset
    (xdcam / "STATUS.BIN").write_bytes(b"\x00" * 16)
    (xdcam.parent / "INDEX.BIN").write_bytes(b"\x00" * 16)
    files = sorted(p for p in (tmp_path / "cards").rglob("*") if p.is_file())
    items = pair_files(files)
    assert [(i.media.name, i.card, i.sidecar.name if i.sidecar else None) for i in items] == [
        ("0001AB.MXF", "p2", "0001AB.XML"),
        ("C0001.MXF", "xdcam", "C0001M01.XML"),
    ]
    with services.session() as session:
        ensure_tenant(session, "default")
    results = [ingest_item(services, i, tenant_id="default", profiles=[]) for i in items if i.card]
    p2_asset, xd_asset = (asset_of(services, r.result.asset.id) for r in results)
    assert (p2_asset.title, p2_asset.description, p2_asset.reporter, p2_asset.place) == (
        "县城防汛现场",
        "堤坝加固",
        "王摄像",
        "河口镇",
    )
    assert str(p2_asset.shoot_date) == "2024-06-18" and p2_asset.tags == ["P2", "AJ-PX270"]
    assert str(xd_asset.shoot_date) == "2024-05-01" and xd_asset.tags == ["XDCAM", "PXW-Z280"]
    assert xd_asset.title == "C0001"
    facts = read_sidecar(xdcam / "Clip" / "C0001M01.XML").facts
    assert facts == {
        "camera": "Sony PXW-Z280",
        "start_timecode": "10:00:00:00",
        "duration_frames": "50",
        "clip": "C0001",
    }
    with services.session() as session:
        assert len(session.scalars(select(Asset)).all()) == 2


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_a_malicious_xml_sidecar_is_refused_with_a_reason_and_the_media_still_ingests(
    tmp_path: Path, services: Services, media: Media, body: str
) -> None:
    shutil.copy(media.wav, tmp_path / "bulletin.wav")
    (tmp_path / "bulletin.xml").write_text(body, encoding="utf-8")
    with pytest.raises(SidecarError, match="DTD"):
        read_sidecar(tmp_path / "bulletin.xml")
    (item,) = pair_files([tmp_path / "bulletin.wav", tmp_path / "bulletin.xml"])
    ingested = ingest_item(services, item, tenant_id="default", profiles=[])
    assert ingested.refused is not None and "DTD" in ingested.refused
    asset = asset_of(services, ingested.result.asset.id)
    assert asset.title == "bulletin" and "lol" not in asset.title


def test_a_feed_folder_ingests_once_and_both_subscribers_see_the_asset(
    tmp_path: Path, services: Services, media: Media
) -> None:
    feed = tmp_path / "feed"
    feed.mkdir()
    folder = WatchFolder(
        path=feed, tenant="province", quiet_seconds=0.2, profiles=(), share_with=("county-a", "county-b")
    )
    runner = WatchRunner(services, WatchConfig(poll_seconds=0.05, folder=(folder,)))
    shutil.copy(media.wav, feed / "省台快讯.wav")
    sidecar = {"title": "全省防汛调度快讯", "tags": ["防汛"]}  # not the file's stem: the sidecar must be applied
    (feed / "省台快讯.json").write_text(json.dumps(sidecar, ensure_ascii=False), encoding="utf-8")
    handled: list[Handled] = []
    deadline = time.monotonic() + 20
    while not handled and time.monotonic() < deadline:
        handled = runner.poll_once()
        time.sleep(0.05)
    assert [h.outcome for h in handled] == ["ingested"]
    time.sleep(0.3)
    assert runner.poll_once() == []  # once
    with services.session() as session:
        ensure_tenant(session, "county-c")
    with signed_in(TestClient(create_app(services=services, run_workers=False))) as client:
        for county in ("county-a", "county-b"):
            as_county = client_headers(client, county)
            items = client.get("/api/v1/assets", headers=as_county).json()["items"]
            assert [(i["title"], i["owner"], i["shared"]) for i in items] == [("全省防汛调度快讯", "province", True)]
            hits = client.get("/api/v1/search", params={"q": "tag:防汛 调度"}, headers=as_county).json()
            assert [h["asset"]["id"] for h in hits["items"]] == [items[0]["id"]]
        assert client.get("/api/v1/assets", headers=client_headers(client, "county-c")).json()["items"] == []
        outsider = client.get("/api/v1/search", params={"q": "调度"}, headers=client_headers(client, "county-c")).json()
        assert outsider["items"] == []


def test_a_wav_beside_a_card_folder_is_still_media_while_the_card_index_files_are_not(
    tmp_path: Path, media: Media
) -> None:
    root = tmp_path / "dump"
    (root / "M4ROOT" / "CLIP").mkdir(parents=True)
    (root / "M4ROOT" / "STATUS.BIN").write_bytes(b"\x00" * 16)
    (root / "INDEX.BIN").write_bytes(b"\x00" * 16)
    shutil.copy(media.wav, root / "field_sound.wav")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    assert [i.media.name for i in pair_files(files)] == ["field_sound.wav"]
