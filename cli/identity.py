"""``mam tenants``, ``mam keys``, ``mam users``: the local administrator's identity commands. They act on
the catalog directly (like ``psql`` for its OS user), so they need no credential of their own."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.show import print_json
from mam.errors import MamError
from mam.identity import (
    FIRST_ADMIN,
    create_key,
    create_tenant,
    create_user,
    disable_user,
    first_administrator,
    list_keys,
    list_tenants,
    list_users,
    revoke_key,
)
from mam.models import utcnow
from mam.public.identity import ApiKeyCreated, ApiKeyPublic, TenantPublic, UserPublic
from mam.services import Services, open_services
from mam.settings import Settings
from transcode.errors import TranscodeError

__all__ = ["announce_first_administrator", "register"]

out = Console(highlight=False)
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
TenantFilter = Annotated[str | None, typer.Option("--tenant", metavar="TENANT", help="Only this tenant's.")]

tenants_app = typer.Typer(help="Tenants (media centres): the province and its counties.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys of tools (playout, newsroom systems, scripts).", no_args_is_help=True)
users_app = typer.Typer(help="People who sign in to the web page.", no_args_is_help=True)


@contextmanager
def _services() -> Iterator[Services]:
    """The catalog, with a package error printed as ``error: ...`` and exit status 2."""
    with _services_of(None) as services:
        yield services


@contextmanager
def _services_of(settings: Settings | None) -> Iterator[Services]:
    try:
        services = open_services(settings or Settings.from_env())
    except (MamError, TranscodeError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    try:
        yield services
    except MamError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    finally:
        services.close()


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else ""


@tenants_app.command("create")
def tenants_create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The tenant's id: lowercase letters, digits, '-', '_'.")],
    parent: Annotated[
        str | None,
        typer.Option("--parent", metavar="PARENT", help="The tenant above it (the province above a county)."),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", metavar="TITLE", help="A readable name (default: NAME).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Create a tenant. Example: mam tenants create county-a --parent province."""
    with _services() as services, services.session() as session:
        tenant = TenantPublic.of(create_tenant(session, name, title, parent))
    if json_out:
        print_json(out, tenant)
    else:
        out.print(f"tenant {escape(tenant.id)} created" + (f" under {escape(parent)}" if parent else ""))


@tenants_app.command("list")
def tenants_list(json_out: JsonOpt = False) -> None:
    """List the tenants."""
    with _services() as services, services.session() as session:
        tenants = [TenantPublic.of(t) for t in list_tenants(session)]
    if json_out:
        print_json(out, tenants)
        return
    table = Table(title=f"{len(tenants)} tenant(s)", title_justify="left")
    for column in ("id", "name", "parent", "created (UTC)"):
        table.add_column(column, overflow="fold")
    for t in tenants:
        table.add_row(escape(t.id), escape(t.name), escape(t.parent_id or ""), _when(t.created_at))
    out.print(table)


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option("--tenant", metavar="TENANT", help="The tenant the key acts for.")],
    role: Annotated[
        str, typer.Option("--role", metavar="ROLE", help="Its role: admin, editor, playout, newsroom, viewer...")
    ],
    name: Annotated[
        str, typer.Option("--name", metavar="NAME", help="What the key is for (e.g. 'playout server 2').")
    ] = "",
    expires: Annotated[
        float | None,
        typer.Option("--expires", metavar="DAYS", min=0.001, help="Days until it expires (default: never)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Create an API key and print it once (it is stored only as a digest: copy it now).

    Tools send it as the header Authorization: Bearer <key>. The JSON has `key`.
    """
    with _services() as services, services.session() as session:
        made = create_key(session, services.roles, tenant, role, name, expires)
        created = ApiKeyCreated(**ApiKeyPublic.of(made.row).model_dump(), key=made.key)
    if json_out:
        print_json(out, created)
        return
    out.print(f"key {created.id} ({escape(created.name)}, {created.role} of {escape(created.tenant_id)}):")
    out.print(created.key, markup=False, highlight=False, soft_wrap=True)
    err.print("shown once: store it now (send it as Authorization: Bearer <key>)")


@keys_app.command("list")
def keys_list(tenant: TenantFilter = None, json_out: JsonOpt = False) -> None:
    """List keys: id and visible prefix, never the key itself."""
    with _services() as services, services.session() as session:
        keys = [ApiKeyPublic.of(k) for k in list_keys(session, tenant)]
    if json_out:
        print_json(out, keys)
        return
    title = f"{len(keys)} key(s); revoke one with `mam keys revoke PREFIX` (--json has each id)"
    table = Table(title=title, title_justify="left", box=box.SIMPLE, pad_edge=False)
    table.add_column("prefix", no_wrap=True)
    for column in ("tenant", "role", "name", "expires", "last used (UTC)", "state"):
        table.add_column(column, overflow="fold")
    now = utcnow()
    for k in keys:
        state = "revoked" if k.revoked_at else "expired" if k.expires_at and k.expires_at <= now else "active"
        expires = k.expires_at.strftime("%Y-%m-%d") if k.expires_at else "never"
        table.add_row(k.prefix, escape(k.tenant_id), k.role, escape(k.name), expires, _when(k.last_used_at), state)
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(metavar="ID", help="The key's id or its prefix.")]) -> None:
    """Revoke a key: the next request with it is refused (401)."""
    with _services() as services, services.session() as session:
        row = revoke_key(session, key_id)
        prefix, revoked = row.prefix, row.revoked_at
    out.print(f"key mam_{prefix}_… revoked at {_when(revoked)} UTC")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            err.print("[red]error:[/red] no password on standard input")
            raise typer.Exit(2)
        return password
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        err.print("[red]error:[/red] the two passwords differ; run the command again")
        raise typer.Exit(2)
    return first


@users_app.command("create")
def users_create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The user's sign-in name (unique across tenants).")],
    tenant: Annotated[str, typer.Option("--tenant", metavar="TENANT", help="The tenant the user belongs to.")],
    role: Annotated[
        str, typer.Option("--role", metavar="ROLE", help="Its role: admin, editor, playout, newsroom, viewer...")
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Create a user; the password is asked twice (or read from standard input), never an argument."""
    password = _read_password(password_stdin)
    with _services() as services, services.session() as session:
        user = UserPublic.of(create_user(session, services.roles, name, tenant, role, password))
    if json_out:
        print_json(out, user)
    else:
        out.print(f"user {escape(user.name)} created ({user.role} of {escape(user.tenant_id)})")


@users_app.command("list")
def users_list(tenant: TenantFilter = None, json_out: JsonOpt = False) -> None:
    """List users."""
    with _services() as services, services.session() as session:
        users = [UserPublic.of(u) for u in list_users(session, tenant)]
    if json_out:
        print_json(out, users)
        return
    table = Table(title=f"{len(users)} user(s)", title_justify="left")
    for column in ("name", "tenant", "role", "disabled", "created", "last sign-in"):
        table.add_column(column, overflow="fold")
    for u in users:
        disabled = "yes" if u.disabled else ""
        table.add_row(
            escape(u.name), escape(u.tenant_id), u.role, disabled, _when(u.created_at), _when(u.last_login_at)
        )
    out.print(table)


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(metavar="NAME", help="The user's name.")]) -> None:
    """Disable a user: it cannot sign in, and its open sessions end now."""
    with _services() as services, services.session() as session:
        disable_user(session, name)
    out.print(f"user {escape(name)} disabled; its sessions ended")


def announce_first_administrator(settings: Settings) -> None:
    """On an empty catalog (no users, no keys), make user ``admin`` of the default tenant and print its
    password once, to the terminal only (never to a log)."""
    with _services_of(settings) as services, services.session() as session:
        password = first_administrator(session, services.roles, settings.default_tenant)
    if password is None:
        return
    message = (
        "\nmam: first start on an empty catalog: an administrator was made. Sign in on the web page with\n"
        f"    user:     {FIRST_ADMIN}\n"
        f"    password: {password}\n"
        "This password is shown only now. Make your own users with "
        f"`mam users create NAME --tenant {settings.default_tenant} --role admin`, and keys with `mam keys create`.\n"
    )
    out.print(message, markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(tenants_app, name="tenants")
    app.add_typer(keys_app, name="keys")
    app.add_typer(users_app, name="users")
