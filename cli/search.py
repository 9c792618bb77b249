"""``mam search``: find assets, shots, markers and subtitle lines, as a table or JSON."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.show import print_json
from mam.errors import MamError
from mam.public import FacetsPublic, HitPublic, SearchResponse, marked
from mam.search import SearchRequest, optimize_index, reindex_all, search
from mam.services import open_services
from mam.settings import Settings

__all__ = ["register"]

_MARK = re.compile(r"<mark>(.*?)</mark>")


def _rich(snippet: str | None) -> str:
    import html

    if not snippet:
        return ""
    return _MARK.sub(lambda m: f"[bold yellow]{m.group(1)}[/bold yellow]", escape(html.unescape(snippet)))


def _table(response: SearchResponse) -> Table:
    about = "about " if response.total_is_estimate else ""
    table = Table(title=f"{about}{response.total} found", title_justify="left")
    for column in ("#", "asset", "title / match", "programme", "shot", "type", "inside (timecode)"):
        table.add_column(column, overflow="fold")
    for n, hit in enumerate(response.items, start=response.offset + 1):
        table.add_row(
            str(n),
            hit.asset.id[:8],
            _rich(hit.snippet) or escape(hit.asset.title),
            escape(hit.programme),
            str(hit.shoot_date or ""),
            hit.asset.media_kind,
            _inner(hit),
        )
    return table


def _inner(hit: HitPublic) -> str:
    lines = [f"{i.start_tc} {i.kind}: {_rich(i.snippet)}" for i in hit.inner_hits]
    if hit.inner_total > len(hit.inner_hits):
        lines.append(f"… {hit.inner_total - len(hit.inner_hits)} more")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("search")
    def search_command(
        query: Annotated[str, typer.Argument(help='Words, "phrases", programme:/tag:/reporter: filters, pinyin.')] = "",
        status: Annotated[str | None, typer.Option(help="processing, ready or failed.")] = None,
        media_type: Annotated[str | None, typer.Option("--type", help="video, audio or image.")] = None,
        date_from: Annotated[str | None, typer.Option("--from", help="Shot on or after YYYY-MM-DD.")] = None,
        date_to: Annotated[str | None, typer.Option("--to", help="Shot on or before YYYY-MM-DD.")] = None,
        min_duration: Annotated[
            float | None, typer.Option("--min-duration", min=0, help="At least this many seconds long.")
        ] = None,
        max_duration: Annotated[
            float | None, typer.Option("--max-duration", min=0, help="At most this many seconds long.")
        ] = None,
        sort: Annotated[str, typer.Option(help="relevance, newest, oldest, shoot_date or duration.")] = "relevance",
        limit: Annotated[int, typer.Option(min=1, max=200, help="Hits per page.")] = 20,
        offset: Annotated[int, typer.Option(min=0, help="Skip this many hits (or use --cursor).")] = 0,
        cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page.")] = None,
        tenant: Annotated[
            str | None, typer.Option(help="Search as this media centre (default: MAM_DEFAULT_TENANT).")
        ] = None,
        facets: Annotated[bool, typer.Option(help="Count programme, tags, media type and shoot month.")] = True,
        json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")] = False,
    ) -> None:
        """Search the catalog: Chinese (simplified or traditional), pinyin, phrases, filters, facets.

        Examples: mam search 防汛 --from 2024-06-01; mam search "programme:新闻联播 xx" --json;
        mam search 湘乡 --min-duration 60 --limit 50 --cursor <next_cursor>.
        """
        out, err = Console(), Console(stderr=True)
        try:
            services = open_services(Settings.from_env())
            request = SearchRequest(
                q=query,
                status=status,
                media_type=media_type,
                date_from=date.fromisoformat(date_from) if date_from else None,
                date_to=date.fromisoformat(date_to) if date_to else None,
                duration_min=min_duration,
                duration_max=max_duration,
                sort=sort,
                limit=limit,
                offset=offset,
                cursor=cursor,
                facets=facets,
            )
            viewer = tenant or services.settings.default_tenant
            with services.session() as session:
                result = search(session, viewer, request)
                response = SearchResponse(
                    total=result.total,
                    total_is_estimate=result.total_is_estimate,
                    facets_over=result.facets_over,
                    limit=result.limit,
                    offset=result.offset,
                    next_cursor=result.next_cursor,
                    items=[marked(HitPublic.of(h), viewer) for h in result.hits],
                    facets=FacetsPublic.of(result.facets) if result.facets else None,
                )
            services.close()
        except (MamError, ValueError) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from exc
        if json_out:
            print_json(out, response.model_dump(mode="json"))
            return
        out.print(_table(response))
        if response.facets and response.facets.programme:
            top = ", ".join(f"{escape(f.value)} ({f.count})" for f in response.facets.programme[:8])
            out.print(f"[dim]programme: {top}[/dim]")
        if response.next_cursor:
            out.print(f"[dim]more: --cursor {response.next_cursor}[/dim]")

    @app.command("reindex")
    def reindex_command(
        tenant: Annotated[str | None, typer.Option(help="Only this media centre's assets (default: all).")] = None,
    ) -> None:
        """Rebuild the search index from the catalog: once after an upgrade that changed what is indexed."""
        out, err = Console(), Console(stderr=True)
        try:
            services = open_services(Settings.from_env())
            with services.session() as session:
                count = reindex_all(session, tenant)
            services.close()
        except MamError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from exc
        out.print(f"{count} documents indexed (assets, spans and subtitle lines)")

    @app.command("optimize-index")
    def optimize_command() -> None:
        """Compact the search index after a bulk import (SQLite: merge the full-text segments;
        PostgreSQL: gather the token statistics again and, in a catalog of 400,000 entries or more,
        build the indexes of the newest 200,000 and 25,000 entries again once they have grown by
        half). Safe while the service runs; run it nightly on a busy catalog."""
        out, err = Console(), Console(stderr=True)
        try:
            services = open_services(Settings.from_env())
            with services.session() as session:
                done = optimize_index(session)
            services.close()
        except MamError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from exc
        out.print(done)
