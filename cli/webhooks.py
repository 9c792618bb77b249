"""``mam webhooks``: a tenant's webhook endpoints, their delivery log and redelivery (the local
administrator's tool, like the other commands acting on the catalog directly)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.show import print_json
from mam.errors import MamError
from mam.public.webhooks import DeliveryList, DeliveryPublic, WebhookCreated, WebhookList, WebhookPublic
from mam.services import Services, open_services
from mam.settings import Settings
from mam.webhooks import create_endpoint, delete_endpoint, list_deliveries, list_endpoints, redeliver
from transcode.errors import TranscodeError

__all__ = ["register"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
TenantOpt = Annotated[str | None, typer.Option(help="The tenant (default MAM_DEFAULT_TENANT).")]


def _open(err: Console) -> Services:
    try:
        return open_services(Settings.from_env())
    except (MamError, TranscodeError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc


def _deliveries_table(page: DeliveryList) -> Table:
    table = Table(title=f"{page.total} deliver{'y' if page.total == 1 else 'ies'}", title_justify="left")
    for column in ("id", "event", "type", "state", "attempts", "last status", "last error", "next attempt (UTC)"):
        table.add_column(column, overflow="fold")
    for d in page.items:
        nxt = d.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S") if d.next_attempt_at else ""
        status = "" if d.last_status is None else str(d.last_status)
        table.add_row(
            d.id,
            str(d.event_id),
            d.event_type.value,
            d.state.value,
            str(d.attempts),
            status,
            escape(d.last_error or ""),
            nxt,
        )
    return table


def register(app: typer.Typer) -> None:
    hooks = typer.Typer(help="Webhook endpoints of a tenant, their deliveries and redelivery.", no_args_is_help=True)
    app.add_typer(hooks, name="webhooks")
    out, err = Console(), Console(stderr=True)

    def tenant_of(services: Services, tenant: str | None) -> str:
        return tenant or services.settings.default_tenant

    @hooks.command("list")
    def list_cmd(tenant: TenantOpt = None, as_json: JsonOpt = False) -> None:
        """The tenant's endpoints (never their secrets)."""
        services = _open(err)
        with services.session() as session:
            found = WebhookList(
                items=[WebhookPublic.of(e) for e in list_endpoints(session, tenant_of(services, tenant))]
            )
        if as_json:
            print_json(out, found)
            return
        table = Table(title=f"{len(found.items)} webhook(s)", title_justify="left")
        for column in ("id", "url", "types", "active", "description"):
            table.add_column(column, overflow="fold")
        for hook in found.items:
            types = ", ".join(t.value for t in hook.event_types) or "all but job.progress"
            table.add_row(
                hook.id, escape(hook.url), types, "yes" if hook.active else "paused", escape(hook.description)
            )
        out.print(table)

    @hooks.command("create")
    def create_cmd(
        url: str,
        event_type: Annotated[list[str] | None, typer.Option("--type", help="An event type to send (repeat).")] = None,
        description: Annotated[str, typer.Option(help="What the endpoint is.")] = "",
        tenant: TenantOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Register an endpoint; its secret is printed this once."""
        services = _open(err)
        try:
            with services.session() as session:
                endpoint, secret = create_endpoint(
                    session,
                    tenant_of(services, tenant),
                    url,
                    event_type or [],
                    description,
                    allow_private=services.settings.events.webhook_allow_private,
                )
                made = WebhookCreated(**WebhookPublic.of(endpoint).model_dump(), secret=secret)
        except MamError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from exc
        if as_json:
            print_json(out, made)
            return
        out.print(f"webhook {made.id} -> {escape(made.url)}")
        out.print(f"secret (shown this once): {made.secret}")

    @hooks.command("delete")
    def delete_cmd(webhook_id: str, tenant: TenantOpt = None) -> None:
        """Remove an endpoint with its deliveries and their log."""
        services = _open(err)
        try:
            with services.session() as session:
                delete_endpoint(session, tenant_of(services, tenant), webhook_id)
        except MamError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from exc
        out.print(f"webhook {webhook_id} removed")

    @hooks.command("deliveries")
    def deliveries_cmd(
        webhook_id: str,
        state: Annotated[str | None, typer.Option(help="pending, succeeded or dead")] = None,
        limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
        tenant: TenantOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The endpoint's delivery log, newest first."""
        services = _open(err)
        try:
            with services.session() as session:
                rows, total = list_deliveries(
                    session, tenant_of(services, tenant), webhook_id, state=state, limit=limit
                )
                page = DeliveryList(items=[DeliveryPublic.of(d, e, a) for d, e, a in rows], total=total)
        except MamError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from exc
        if as_json:
            print_json(out, page)
        else:
            out.print(_deliveries_table(page))

    @hooks.command("redeliver")
    def redeliver_cmd(webhook_id: str, delivery_id: str, tenant: TenantOpt = None) -> None:
        """Send a delivery again (a dead one too); a running `mam worker` or `mam serve` sends it."""
        services = _open(err)
        try:
            with services.session() as session:
                redeliver(session, tenant_of(services, tenant), webhook_id, delivery_id)
        except MamError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from exc
        out.print(f"delivery {delivery_id} pending again")
