"""``mam delete``: remove an asset for good, from the catalog and from the store."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from cli.show import human_size, print_json
from mam.audit import Actor
from mam.catalog import get_asset
from mam.deletion import delete_asset
from mam.errors import MamError
from mam.public import AssetDeleted, AssetSummary
from mam.services import open_services
from mam.settings import Settings
from transcode.errors import TranscodeError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("delete")
    def delete_command(
        asset_id: Annotated[str, typer.Argument(help="The asset's id (in full).")],
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
        tenant: Annotated[
            str | None, typer.Option(help="The media centre that owns the asset (default: MAM_DEFAULT_TENANT).")
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print what was removed as JSON.")] = False,
    ) -> None:
        """Delete an asset for good: its original, renditions, analysis, exports, shares and jobs.

        A hard delete: nothing can be restored. Queued or running jobs on it are cancelled first.
        Only the owning media centre may delete an asset. Without --yes, asks first. The JSON is the
        same as DELETE /api/v1/assets/{id} answers.
        """
        out, err = Console(), Console(stderr=True)
        try:
            services = open_services(Settings.from_env())
        except (MamError, TranscodeError) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from exc
        owner = tenant or services.settings.default_tenant
        try:
            if not yes:
                with services.session() as session:
                    asset = AssetSummary.of(get_asset(session, owner, asset_id))
                err.print(
                    f"{escape(asset.title)} [dim]{asset.id}[/dim]: {human_size(asset.size)} original, "
                    f"{len(asset.renditions)} rendition(s)"
                )
                typer.confirm("Delete this asset and all its files for good?", abort=True, err=True)
            removed = AssetDeleted.of(delete_asset(services, owner, asset_id, actor=Actor.local(owner)))
        except MamError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from exc
        finally:
            services.close()
        if json_out:
            print_json(out, removed)
        else:
            out.print(
                f"deleted {removed.asset_id}: {removed.renditions} rendition(s), {removed.jobs} job(s) "
                f"({removed.cancelled_jobs} cancelled), {removed.shares} share(s), {removed.objects} file(s)"
            )
