"""Camera-card layouts: each clip of a card is one asset with its clip XML; the card's own files are not media."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import Media
from sqlalchemy import select
from test_sidecar import NRT, P2, asset_of

from mam.catalog import ensure_tenant
from mam.models import Asset
from mam.services import Services
from mam.sidecar import ingest_item, pair_files


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_an_xdcam_ex_bpav_card_gives_one_asset_per_clip_with_its_clip_xml(
    tmp_path: Path, services: Services, media: Media
) -> None:
    bpav = tmp_path / "card-ex" / "BPAV"
    clip = bpav / "CLPR" / "434_0012_01"
    clip.mkdir(parents=True)
    shutil.copy(media.silent, clip / "434_0012_01.MP4")
    (clip / "434_0012_01M01.XML").write_text(NRT, encoding="utf-8")
    for extra in ("434_0012_01C01.SMI", "434_0012_01I01.PPN", "434_0012_01R01.BIM"):
        (clip / extra).write_bytes(b"\x00" * 64)  # the card's index, picture pointers and frame data
    take = bpav / "TAKR" / "434_0012"
    take.mkdir(parents=True)
    (take / "434_0012.SMI").write_text("<smil/>", encoding="utf-8")
    (take / "434_0012M01.XML").write_text(NRT, encoding="utf-8")
    (bpav / "MEDIAPRO.XML").write_text("<MediaProfile/>", encoding="utf-8")
    (bpav / "CUEUP.XML").write_text("<CueUpInfo/>", encoding="utf-8")

    (item,) = pair_files(files_under(tmp_path / "card-ex"))
    assert (item.media.name, item.card, item.sidecar) == ("434_0012_01.MP4", "xdcam", clip / "434_0012_01M01.XML")
    with services.session() as session:
        ensure_tenant(session, "default")
    asset = asset_of(services, ingest_item(services, item, tenant_id="default", profiles=[]).result.asset.id)
    assert asset.tags == ["XDCAM", "PXW-Z280"] and str(asset.shoot_date) == "2024-05-01"


def test_avchd_index_files_deep_in_bdmv_are_card_extras_and_each_stream_is_a_clip(tmp_path: Path) -> None:
    bdmv = tmp_path / "card-avchd" / "PRIVATE" / "AVCHD" / "BDMV"
    for sub in ("STREAM", "CLIPINF", "PLAYLIST", "BACKUP/CLIPINF", "BACKUP/PLAYLIST"):
        (bdmv / sub).mkdir(parents=True)
    for n in (0, 1):
        (bdmv / "STREAM" / f"0000{n}.MTS").write_bytes(b"G" + bytes(187))  # an MPEG-TS packet's sync byte
        (bdmv / "CLIPINF" / f"0000{n}.CPI").write_bytes(b"HDMV0200")
        (bdmv / "BACKUP" / "CLIPINF" / f"0000{n}.CPI").write_bytes(b"HDMV0200")
    for index in ("INDEX.BDM", "MOVIEOBJ.BDM", "PLAYLIST/00000.MPL", "BACKUP/INDEX.BDM", "BACKUP/PLAYLIST/00000.MPL"):
        (bdmv / index).write_bytes(b"INDX0200")
    thumbnails = bdmv.parent / "AVCHDTN"
    thumbnails.mkdir()
    (thumbnails / "THUMB.TDT").write_bytes(b"\x00" * 32)
    (thumbnails / "THUMB.TID").write_bytes(b"\x00" * 32)
    items = pair_files(files_under(tmp_path / "card-avchd"))
    assert [(i.media.name, i.card, i.sidecar) for i in items] == [
        ("00000.MTS", "avchd", None),
        ("00001.MTS", "avchd", None),
    ]


def test_a_p2_clips_audio_channels_are_never_assets_and_the_ingest_says_they_were_left(
    tmp_path: Path, services: Services, media: Media
) -> None:
    contents = tmp_path / "card-p2" / "CONTENTS"
    for sub in ("VIDEO", "AUDIO", "CLIP"):
        (contents / sub).mkdir(parents=True)
    shutil.copy(media.silent, contents / "VIDEO" / "0001AB.MXF")
    for channel in ("00", "01"):
        shutil.copy(media.wav, contents / "AUDIO" / f"0001AB{channel}.MXF")
    shutil.copy(media.wav, contents / "AUDIO" / "0002CD00.MXF")  # another clip's channel
    (contents / "CLIP" / "0001AB.XML").write_text(P2, encoding="utf-8")
    (item,) = pair_files(files_under(tmp_path / "card-p2"))
    assert [c.name for c in item.companions] == ["0001AB00.MXF", "0001AB01.MXF"]
    with services.session() as session:
        ensure_tenant(session, "default")
    ingested = ingest_item(services, item, tenant_id="default", profiles=[])
    assert "P2 audio (0001AB00.MXF, 0001AB01.MXF) is not part of the asset" in " ".join(ingested.problems)
    with services.session() as session:
        assert session.scalars(select(Asset.original_filename)).all() == ["0001AB.MXF"]
