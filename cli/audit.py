"""``mam audit``: the audit trail, newest first; ``mam audit verify``: check its hash chain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.show import print_json
from mam.audit import AuditAction, list_entries, verify
from mam.errors import MamError
from mam.public import AuditList, AuditReportPublic
from mam.services import Services, open_services
from mam.settings import Settings
from transcode.errors import TranscodeError

__all__ = ["audit_table", "register"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]


def audit_table(page: AuditList) -> Table:
    shown = f"{page.offset + 1}-{page.offset + len(page.items)} of " if page.items else ""
    table = Table(title=f"{shown}{page.total} audit entr{'y' if page.total == 1 else 'ies'}", title_justify="left")
    for column in ("id", "at (UTC)", "tenant", "actor", "address", "action", "target", "details"):
        table.add_column(column, overflow="fold")
    for entry in page.items:
        details = ", ".join(f"{k}={v}" for k, v in entry.details.items())
        table.add_row(
            str(entry.id),
            entry.at.strftime("%Y-%m-%d %H:%M:%S"),
            entry.tenant_id,
            escape(entry.actor),
            entry.address or "",
            entry.action.value,
            escape(entry.target),
            escape(details[:300]),
        )
    return table


def _open(err: Console) -> Services:
    try:
        return open_services(Settings.from_env())
    except (MamError, TranscodeError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc


def register(app: typer.Typer) -> None:
    audit_app = typer.Typer(
        help="The audit trail (安全审计): who did what, to what, from where, when.", no_args_is_help=False
    )
    app.add_typer(audit_app, name="audit")

    @audit_app.callback(invoke_without_command=True)
    def audit_command(
        ctx: typer.Context,
        tenant: Annotated[
            str | None, typer.Option(help="Only this media centre's entries (default: every one).")
        ] = None,
        action: Annotated[
            list[AuditAction] | None, typer.Option("--action", "-a", help="Only this action; repeat for several.")
        ] = None,
        target: Annotated[str | None, typer.Option(help="Only entries about this asset, key, user or tenant.")] = None,
        since: Annotated[datetime | None, typer.Option(help="From this moment (UTC unless it says otherwise).")] = None,
        until: Annotated[datetime | None, typer.Option(help="Before this moment.")] = None,
        limit: Annotated[int, typer.Option(min=1, max=500, help="Entries per page.")] = 50,
        offset: Annotated[int, typer.Option(min=0, help="Skip this many entries.")] = 0,
        json_out: JsonOpt = False,
    ) -> None:
        """List the audit trail, newest first (the JSON is what GET /api/v1/audit answers).

        Examples: mam audit --tenant county-a; mam audit -a asset.delete --json; mam audit verify.
        """
        if ctx.invoked_subcommand is not None:
            return
        out, err = Console(), Console(stderr=True)
        services = _open(err)
        try:
            with services.session() as session:
                found = list_entries(
                    session,
                    tenant,
                    actions=[a.value for a in action or ()],
                    since=_utc(since),
                    until=_utc(until),
                    target=target,
                    limit=limit,
                    offset=offset,
                )
                page = AuditList.of(found)
        finally:
            services.close()
        if json_out:
            print_json(out, page)
        else:
            out.print(audit_table(page))

    @audit_app.command("verify")
    def verify_command(json_out: JsonOpt = False) -> None:
        """Recompute the trail's hash chain; exit 1 naming the first edited, removed or inserted entry.

        Keep the head it prints (id and hash) elsewhere: a later head that does not contain it shows
        entries cut off the end, which the chain alone cannot."""
        out, err = Console(), Console(stderr=True)
        services = _open(err)
        try:
            with services.session() as session:
                report = AuditReportPublic.of(verify(session))
        finally:
            services.close()
        if json_out:
            print_json(out, report)
        elif report.problem is None:
            head = f"; head: entry {report.head_id}, {report.head_hash}" if report.head_id is not None else ""
            out.print(f"audit trail intact: {report.entries} entries{head}")
        else:
            err.print(
                f"[red]audit trail broken at entry {report.problem.entry_id} ({report.problem.kind}):[/red] "
                f"{escape(report.problem.message)}"
            )
        if not report.ok:
            raise typer.Exit(1)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
