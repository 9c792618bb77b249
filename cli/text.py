"""``mam text``: the on-screen text the analysis read in an asset, as a table, JSON, SRT or WebVTT."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.show import print_json
from mam.errors import MamError
from mam.public import ScreenTextList
from mam.screen_text import list_text, to_srt, to_vtt
from mam.services import open_services
from mam.settings import Settings
from transcode.errors import TranscodeError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("text")
    def text_command(
        asset_id: Annotated[str, typer.Argument(help="The asset's id (in full).")],
        tenant: Annotated[
            str | None, typer.Option(help="The media centre reading it (default: MAM_DEFAULT_TENANT).")
        ] = None,
        region: Annotated[
            str | None, typer.Option(help="Only the lines of one region: subtitle, strap or other.")
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print GET /api/v1/assets/{id}/text's JSON.")] = False,
        srt: Annotated[bool, typer.Option("--srt", help="Print the lines as SubRip (SRT) cues.")] = False,
        vtt: Annotated[bool, typer.Option("--vtt", help="Print the lines as WebVTT cues.")] = False,
    ) -> None:
        """Lines of text seen in the picture (字幕, name straps, captions), with their times and regions.

        Read by a render job when a profile has [analysis] ocr = true or the tenant is in MAM_OCR_TENANTS.
        """
        out, err = Console(), Console(stderr=True)
        if sum((json_out, srt, vtt)) > 1:
            err.print("[red]error:[/red] choose one of --json, --srt and --vtt")
            raise typer.Exit(2)
        if region is not None and region not in ("subtitle", "strap", "other"):
            err.print(f"[red]error:[/red] --region must be subtitle, strap or other, not {escape(region)}")
            raise typer.Exit(2)
        try:
            services = open_services(Settings.from_env())
        except (MamError, TranscodeError) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from exc
        try:
            with services.session() as session:
                lines = list_text(session, tenant or services.settings.default_tenant, asset_id, region)
                listed = ScreenTextList.of(asset_id, lines)
                exported = to_srt(lines) if srt else to_vtt(lines) if vtt else ""
        except MamError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from exc
        finally:
            services.close()
        if json_out:
            print_json(out, listed)
        elif srt or vtt:
            typer.echo(exported, nl=False)
        elif not listed.lines:
            out.print(f"no on-screen text read in {escape(asset_id)}")
        else:
            table = Table("in", "out", "region", "text")
            for line in listed.lines:
                table.add_row(line.start_tc or "", line.end_tc or "", line.region.value, escape(line.text))
            out.print(table)
