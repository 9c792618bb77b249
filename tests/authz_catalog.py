"""A seeded catalog for the authorization tests: assets with renditions (a proxy, a broadcast file, an HLS
folder), analysis (shots, QC, storyboard), jobs, an export's output, shares, spans, fields and tus
uploads, written straight into the catalog and the store (no render: the tests are about who may read
them, not how they are made). Every asset carries the media information of a real generated clip, so
exports and renditions can be asked for as they would be of an ingested asset."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from mam.catalog import ensure_tenant
from mam.identity import create_key, create_tenant, create_user, revoke_key
from mam.layout import analysis_prefix, asset_prefix, original_key
from mam.metadata import add_span, define_field
from mam.models import Asset, AssetAnalysis, AssetStatus, Job, JobState, Rendition, Share, ShotRow
from mam.services import Services
from mam.tus import UploadStore
from transcode import generate
from transcode.analysis.qc import judge
from transcode.probe import probe

__all__ = ["PASSWORD", "SeededCatalog", "seed"]

PASSWORD = "correct horse battery staple"
_HLS_MASTER = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=320x240\nv0/index.m3u8\n"
_HLS_VARIANT = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:1.0,\nseg_1.m4s\n#EXT-X-ENDLIST\n'
_VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nstoryboard/0.jpg#xywh=0,0,160,90\n"


@dataclass
class SeededCatalog:
    """What :func:`seed` made, and how to make more of it (fresh objects for requests that use them up)."""

    services: Services
    folder: Path
    clip: Path
    mediainfo: dict[str, Any]
    keys: dict[str, dict[str, str]] = field(default_factory=dict)
    """``Authorization`` headers by name: each role of the own tenant, ``revoked``, ``other_tenant``."""
    sha256: dict[str, str] = field(default_factory=dict)
    """The (made-up) checksum of each seeded asset's original, which its renditions are made from."""

    def _write(self, key: str, content: bytes | Path, content_type: str) -> None:
        source = content if isinstance(content, Path) else self.folder / uuid.uuid4().hex
        if not isinstance(content, Path):
            source.write_bytes(content)
        self.services.storage.put_file(key, source, content_type)

    def asset(
        self, tenant: str, title: str, *, tags: tuple[str, ...] = (), description: str = "", programme: str = ""
    ) -> str:
        """A ready video asset of ``tenant`` with its original stored; returns its id."""
        asset_id = str(uuid.uuid4())
        self.sha256[asset_id] = uuid.uuid4().hex * 2
        key = original_key(tenant, asset_id, "clip.mp4")
        self._write(key, self.clip, "video/mp4")
        with self.services.session() as session:
            session.add(
                Asset(
                    id=asset_id,
                    tenant_id=tenant,
                    title=title,
                    description=description,
                    tags=list(tags),
                    programme=programme,
                    media_kind="video",
                    status=AssetStatus.READY,
                    original_filename="clip.mp4",
                    original_key=key,
                    content_type="video/mp4",
                    size=self.clip.stat().st_size,
                    sha256=self.sha256[asset_id],
                    xxh3="0" * 16,
                    duration=self.mediainfo.get("duration"),
                    mediainfo=self.mediainfo,
                )
            )
            session.commit()
        return asset_id

    def renditions(self, tenant: str, asset_id: str) -> None:
        """A proxy, a broadcast file and an HLS folder (master, variant playlist, init and one segment)."""
        base = f"{asset_prefix(tenant, asset_id)}renditions"
        hls = f"{base}/hls/seeded"
        files: list[tuple[str, str, bytes | Path, str]] = [
            ("proxy", f"{base}/proxy/seeded.mp4", self.clip, "video/mp4"),
            ("broadcast_hd", f"{base}/broadcast_hd/seeded.mxf", b"\x06\x0e\x2b\x34" * 64, "application/mxf"),
            ("hls", f"{hls}/master.m3u8", _HLS_MASTER.encode(), "application/vnd.apple.mpegurl"),
        ]
        for _, key, content, kind in files:
            self._write(key, content, kind)
        self._write(f"{hls}/v0/index.m3u8", _HLS_VARIANT.encode(), "application/vnd.apple.mpegurl")
        self._write(f"{hls}/v0/init.mp4", b"\x00" * 64, "video/mp4")
        self._write(f"{hls}/v0/seg_1.m4s", b"\x00" * 256, "video/iso.segment")
        with self.services.session() as session:
            for profile, key, content, kind in files:
                size = content.stat().st_size if isinstance(content, Path) else len(content)
                session.add(
                    Rendition(
                        asset_id=asset_id,
                        profile=profile,
                        source_sha256=self.sha256[asset_id],
                        storage_key=key,
                        content_type=kind,
                        size=size,
                        duration=1.0,
                    )
                )
            session.commit()

    def analysis(self, tenant: str, asset_id: str) -> None:
        """Two shots with keyframes, a poster, a storyboard sheet and its WebVTT track, and a QC report."""
        prefix = analysis_prefix(tenant, asset_id, self.sha256[asset_id])
        jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 60 + b"\xff\xd9"
        for key in (
            f"{prefix}/shots/0.jpg",
            f"{prefix}/shots/1.jpg",
            f"{prefix}/poster.jpg",
            f"{prefix}/storyboard/0.jpg",
        ):
            self._write(key, jpeg, "image/jpeg")
        self._write(f"{prefix}/storyboard.vtt", _VTT.encode(), "text/vtt")
        qc_name = next(iter(self.services.qc_profiles))
        with self.services.session() as session:
            session.add(
                AssetAnalysis(
                    asset_id=asset_id,
                    source_sha256=self.sha256[asset_id],
                    measurements={},
                    qc_profile=qc_name,
                    qc=judge({}, self.services.qc_profiles[qc_name]),
                    storage_prefix=prefix,
                    poster_key=f"{prefix}/poster.jpg",
                    storyboard_sheets=1,
                    storyboard_interval=1.0,
                )
            )
            for number in (0, 1):
                session.add(
                    ShotRow(
                        asset_id=asset_id,
                        number=number,
                        first_frame=number * 12,
                        last_frame=number * 12 + 11,
                        start=number * 0.48,
                        end=(number + 1) * 0.48,
                        start_timecode="00:00:00:00",
                        end_timecode="00:00:00:12",
                        transition="start" if number == 0 else "cut",
                        keyframe_frame=number * 12,
                        keyframe_key=f"{prefix}/shots/{number}.jpg",
                    )
                )
            session.commit()

    def job(self, asset_id: str, *, kind: str = "render", state: str = JobState.QUEUED, profile: str = "proxy") -> str:
        with self.services.session() as session:
            job = Job(asset_id=asset_id, kind=kind, profiles=[profile], state=state)
            if state == JobState.FAILED:
                job.error = "seeded: the render failed"
            session.add(job)
            session.commit()
            return job.id

    def export(self, tenant: str, asset_id: str, profile: str) -> str:
        """A finished export job of ``profile`` whose output is in the store."""
        job_id = self.job(asset_id, kind="export", state=JobState.DONE, profile=profile)
        key = f"{asset_prefix(tenant, asset_id)}exports/{job_id}/{profile}.mp4"
        self._write(key, self.clip, "video/mp4")
        output = {"profile": profile, "key": key, "content_type": "video/mp4", "size": self.clip.stat().st_size}
        with self.services.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            job.result = {"output": output}
            session.commit()
        return job_id

    def share(self, asset_id: str, tenant: str) -> None:
        """Share ``asset_id`` with ``tenant`` (nothing if it already is)."""
        with self.services.session() as session:
            if session.query(Share).filter_by(asset_id=asset_id, tenant_id=tenant).first() is None:
                session.add(Share(asset_id=asset_id, tenant_id=tenant))
                session.commit()

    def span(self, tenant: str, asset_id: str) -> str:
        with self.services.session() as session:
            return add_span(session, tenant, asset_id, "marker", 0.2, None, "seeded marker").id

    def field(self, tenant: str) -> str:
        name = f"f_{uuid.uuid4().hex[:10]}"
        with self.services.session() as session:
            define_field(session, tenant, name, "text", "seeded", [], False)
        return name

    def key(self, tenant: str, role: str = "viewer") -> str:
        """A fresh key of ``tenant``; returns its id."""
        with self.services.session() as session:
            return create_key(session, self.services.roles, tenant, role, "seeded key").row.id

    def user(self, tenant: str, role: str = "viewer") -> str:
        """A fresh user of ``tenant`` (password :data:`PASSWORD`); returns its name."""
        name = f"{tenant}-{uuid.uuid4().hex[:8]}"
        with self.services.session() as session:
            create_user(session, self.services.roles, name, tenant, role, PASSWORD)
        return name

    def child(self, parent: str) -> str:
        """A fresh tenant below ``parent``; returns its id."""
        tenant = f"{parent}-{uuid.uuid4().hex[:8]}"
        with self.services.session() as session:
            create_tenant(session, tenant, parent=parent)
        return tenant

    def upload(self, tenant: str, length: int = 1000) -> str:
        """An unfinished tus upload of ``tenant`` (nothing received yet)."""
        return UploadStore.of(self.services.settings).create(tenant, length, {"filename": "clip.mp4"}).id


def _key(session: Session, services: Services, tenant: str, role: str) -> dict[str, str]:
    made = create_key(session, services.roles, tenant, role, f"authz tests ({role})")
    return {"Authorization": f"Bearer {made.key}"}


def seed(services: Services, folder: Path, own: str, other: str, third: str) -> SeededCatalog:
    """Tenants ``own``, ``other`` and ``third``; a key of every role of ``own`` (and a revoked one), an
    administrator's key of ``other``, and a user ``<own>-editor`` (password :data:`PASSWORD`)."""
    folder.mkdir(parents=True, exist_ok=True)
    clip = generate.silent_clip(folder / "clip.mp4", seconds=1.0, width=320, height=240)
    catalog = SeededCatalog(services, folder, clip, probe(clip).model_dump(mode="json"))
    with services.session() as session:
        for tenant in (own, other, third):
            ensure_tenant(session, tenant)
        for role in services.roles:
            catalog.keys[role] = _key(session, services, own, role)
        catalog.keys["other_tenant"] = _key(session, services, other, "admin")
        revoked = create_key(session, services.roles, own, "admin", "authz tests (revoked)")
        revoke_key(session, revoked.row.id)
        catalog.keys["revoked"] = {"Authorization": f"Bearer {revoked.key}"}
        create_user(session, services.roles, f"{own}-editor", own, "editor", PASSWORD)
    return catalog
