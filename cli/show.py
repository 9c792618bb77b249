"""How the CLI shows assets, jobs and profiles: rich tables for people, JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from mam.public import AssetPublic, AssetSummary
from transcode.mediainfo import MediaInfo
from transcode.profiles import Profile

__all__ = ["asset_table", "assets_table", "human_size", "print_json", "profiles_table", "qc_summary", "streams_text"]


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes)}:{secs:06.3f}"


def streams_text(probe: MediaInfo | None) -> str:
    if probe is None:
        return "-"
    parts = []
    for v in probe.video:
        scan = {"tff": "i TFF", "bff": "i BFF", "progressive": "p"}.get(v.field_order, "")
        extra = []
        if v.rotation:
            extra.append(f"rotated {v.rotation}°")
        if v.variable_frame_rate:
            extra.append("VFR")
        if v.sample_aspect_ratio != "1:1":
            extra.append(f"SAR {v.sample_aspect_ratio}")
        suffix = f" ({', '.join(extra)})" if extra else ""
        parts.append(f"{v.codec} {v.width}x{v.height} {v.frame_rate:g}{scan}{suffix}")
    audio = probe.audio
    if audio:
        first = audio[0]
        same = all(a.codec == first.codec and a.channels == first.channels for a in audio)
        if len(audio) > 1 and same:
            parts.append(f"{len(audio)}x {first.codec} {first.channel_layout} {first.sample_rate} Hz")
        else:
            parts += [f"{a.codec} {a.channel_layout} {a.sample_rate} Hz" for a in audio]
    else:
        parts.append("no audio")
    if probe.start_timecode:
        parts.append(f"TC {probe.start_timecode}")
    return "\n".join(parts)


def _geometry(width: int, height: int) -> str:
    return f"{width}x{height}" if width else "audio"


def asset_table(asset: AssetPublic) -> Table:
    table = Table(title=f"{asset.title}  [dim]{asset.id}[/dim]", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    status = asset.status + (f": {asset.error}" if asset.error else "")
    table.add_row("status", status)
    container = asset.probe.container if asset.probe else "?"
    table.add_row("file", f"{asset.original_filename} ({human_size(asset.size)}, {container})")
    table.add_row("duration", _duration(asset.duration))
    table.add_row("streams", streams_text(asset.probe))
    table.add_row("sha256", asset.sha256)
    if asset.tags:
        table.add_row("tags", ", ".join(asset.tags))
    if asset.renditions:
        rows = [
            f"{r.profile:<10} {_geometry(r.width, r.height):<10} {human_size(r.size):>9}  {r.seconds:5.2f} s encode"
            for r in asset.renditions
        ]
        table.add_row("renditions", "\n".join(rows))
    for job in asset.jobs[-1:]:
        wall = job.result.wall_seconds
        timing = f", {wall:.2f} s wall" if wall is not None else ""
        table.add_row(
            "job",
            f"{job.state} {job.progress:.0%} (attempt {job.attempts}{timing})"
            + (f"\n{job.error}" if job.error else ""),
        )
    return table


def assets_table(assets: Iterable[AssetSummary], total: int) -> Table:
    table = Table(title=f"{total} asset(s)", title_justify="left")
    for column in ("id", "title", "kind", "status", "duration", "size", "renditions"):
        table.add_column(column)
    for a in assets:
        table.add_row(
            a.id[:8],
            a.title,
            a.media_kind,
            a.status,
            _duration(a.duration),
            human_size(a.size),
            ", ".join(r.profile for r in a.renditions),
        )
    return table


def _profile_output(p: Profile) -> str:
    parts = []
    if p.streaming is not None:
        rungs = "/".join(str(min(r.width, r.height)) for r in p.streaming.ladder)
        parts.append(f"ladder {rungs}, {p.streaming.segment_seconds:g} s segments")
    elif p.video:
        scan = " interlaced TFF" if p.video.scan != "progressive" else ""
        parts.append(f"{p.video.width}x{p.video.height}{scan} {p.video.codec} {p.video.bitrate // 1000} kb/s")
    elif p.image:
        parts.append(f"{p.image.width}x{p.image.height} {p.image.codec}")
    if p.audio and p.audio.layout == "tracks":
        parts.append(f"{p.audio.tracks}x mono {p.audio.codec}")
    elif p.audio:
        parts.append(f"{p.audio.codec} {p.audio.bitrate // 1000} kb/s")
    return " + ".join(parts) + f" .{p.extension}"


def profiles_table(profiles: Iterable[Profile]) -> Table:
    table = Table(title="profiles", title_justify="left")
    for column in ("name", "for", "output", "loudness", "description"):
        table.add_column(column)
    for p in profiles:
        loudness = f"{p.loudness.integrated:g} LUFS" if p.loudness else "source"
        table.add_row(
            p.name,
            ",".join(p.applies_to),
            _profile_output(p),
            loudness if p.audio else "-",
            p.description.split(":")[0],
        )
    return table


_MARK = {"pass": "[green]✓[/green]", "warn": "[yellow]![/yellow]", "fail": "[red]✗[/red]"}


def qc_summary(report: dict[str, Any]) -> str:
    """A few lines: the verdict against the QC profile, then each check that did not pass."""
    verdict = report.get("verdict", "?")
    lines = [
        f"QC 技审 ({report.get('title', report.get('profile'))}): {_MARK.get(verdict, '')} {verdict}, "
        f"{report.get('shots', 0)} shot(s)"
    ]
    for check in report.get("checks", []):
        if check["status"] != "pass":
            detail = f" — {check['detail']}" if check.get("detail") else ""
            lines.append(f"  {_MARK[check['status']]} {check['check']}: {check['value']} ({check['limit']}){detail}")
    return "\n".join(lines)


def print_json(console: Console, data: Any) -> None:
    """Print JSON for scripts; a public model (or a list of them) prints exactly as the API returns it."""
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    elif isinstance(data, list) and all(isinstance(item, BaseModel) for item in data):
        data = [item.model_dump(mode="json") for item in data]
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))
