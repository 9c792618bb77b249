"""Camera-card layouts: each clip of a card is one asset with its clip XML; the card's own files are not media."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import numpy as np
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


def p2_card(root: Path, clip: str = "0001AB", channels: int = 2) -> Path:
    """A P2 card as the camera writes it: a video-only MXF, one OP-Atom MXF per audio channel, the clip
    XML listing them. Returns its CONTENTS folder."""
    contents = root / "CONTENTS"
    for sub in ("VIDEO", "AUDIO", "CLIP", "ICON"):
        (contents / sub).mkdir(parents=True, exist_ok=True)
    with av.open(str(contents / "VIDEO" / f"{clip}.MXF"), "w", format="mxf") as out:
        out.metadata["timecode"] = "10:00:00:00"
        video = out.add_stream("mpeg2video", rate=25, options={"g": "12"})
        video.width, video.height, video.pix_fmt, video.bit_rate = 320, 240, "yuv422p", 2_000_000
        for n in range(25):
            picture = np.full((240, 320, 3), n * 9, np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv422p")
            frame.pts = n
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    for channel in range(channels):
        with av.open(str(contents / "AUDIO" / f"{clip}{channel:02d}.MXF"), "w", format="mxf_opatom") as out:
            audio = out.add_stream("pcm_s24le", rate=48000, layout="mono")
            tone = np.sin(2 * np.pi * (440 + 220 * channel) * np.arange(48000) / 48000) * 0.25 * 2**31
            for start in range(0, 48000, 1920):
                frame = av.AudioFrame.from_ndarray(
                    tone[None, start : start + 1920].astype(np.int32), format="s32", layout="mono"
                )
                frame.sample_rate, frame.pts = 48000, start
                out.mux(audio.encode(frame))
            out.mux(audio.encode(None))
    listed = "<Audio><SamplingRate>48000</SamplingRate></Audio>" * channels
    xml = P2.replace("0001AB", clip).replace("</Video></EssenceList>", f"</Video>{listed}</EssenceList>")
    (contents / "CLIP" / f"{clip}.XML").write_text(xml, encoding="utf-8")
    return contents


def packets(path: Path, kind: str, index: int = 0) -> list[bytes]:
    """The packets of the ``index``-th stream of ``kind`` in ``path``, as bytes."""
    with av.open(str(path)) as container:
        stream = [s for s in container.streams if s.type == kind][index]
        return [bytes(p) for p in container.demux(stream) if p.size]


def test_a_p2_clip_is_rewrapped_with_its_audio_channels_into_one_original_essence_untouched(
    tmp_path: Path, services: Services
) -> None:
    contents = p2_card(tmp_path / "card-p2")
    shutil.copy(contents / "AUDIO" / "0001AB00.MXF", contents / "AUDIO" / "0002CD00.MXF")  # another clip's
    (item,) = pair_files(files_under(tmp_path / "card-p2"))
    assert [c.name for c in item.companions] == ["0001AB00.MXF", "0001AB01.MXF"]
    with services.session() as session:
        ensure_tenant(session, "default")
    ingested = ingest_item(services, item, tenant_id="default", profiles=[])
    assert ingested.rewrapped and ingested.problems == ()
    asset = asset_of(services, ingested.result.asset.id)
    assert asset.original_filename == "0001AB.mov" and asset.title == "县城防汛现场"
    probe = asset.mediainfo
    assert probe["start_timecode"] == "10:00:00:00" and probe["video"][0]["codec"] == "mpeg2video"
    assert [(a["codec"], a["channels"]) for a in probe["audio"]] == [("pcm_s24le", 1), ("pcm_s24le", 1)]
    stored = services.storage.local_path(asset.original_key)
    assert stored is not None
    assert packets(stored, "video") == packets(contents / "VIDEO" / "0001AB.MXF", "video")
    for n in (0, 1):  # each channel's samples, bit for bit, in its own track
        channel = b"".join(packets(contents / "AUDIO" / f"0001AB0{n}.MXF", "audio"))
        assert b"".join(packets(stored, "audio", n)) == channel and len(channel) == 48000 * 3
    again = ingest_item(services, item, tenant_id="default", profiles=[])  # the rewrap is byte-exact
    assert again.result.duplicate and again.result.asset.id == asset.id
    with services.session() as session:
        assert session.scalars(select(Asset.original_filename)).all() == ["0001AB.mov"]


def test_a_p2_card_ingested_with_mam_ingest_renders_a_proxy_with_its_sound(tmp_path: Path) -> None:
    from test_bulk_ingest import run

    p2_card(tmp_path / "card-p2")
    result = run(tmp_path / "home", "ingest", str(tmp_path / "card-p2"), "-r", "--wait", "-p", "proxy", "--json")
    assert result.returncode == 0, result.stderr
    (report,) = json.loads(result.stdout)
    asset = report["asset"]
    assert asset["status"] == "ready" and asset["original_filename"] == "0001AB.mov"
    (proxy,) = (tmp_path / "home" / "storage").rglob(f"*/assets/{asset['id']}/renditions/proxy/*")
    with av.open(str(proxy)) as container:
        samples = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio=0)])
    assert samples.size > 40000 and float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) > 0.05
