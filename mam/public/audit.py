"""The audit trail as clients read it: entries newest first, a page at a time, and the chain's check."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from mam.audit import AuditAction, AuditPage, AuditReport, ProblemKind
from mam.models import AuditEntry

__all__ = ["AuditEntryPublic", "AuditList", "AuditProblemPublic", "AuditReportPublic"]


class AuditEntryPublic(BaseModel):
    id: int = Field(description="1, 2, 3... in the order entries were written")
    at: AwareDatetime
    tenant_id: str
    actor: str = Field(description="who acted: a user, an API key, a sign-on token, or the local administrator")
    actor_kind: str
    actor_id: str
    address: str | None = Field(description="the client's address (none at the CLI)")
    action: AuditAction
    target: str = Field(description="what was acted on: an asset, key, user or tenant id")
    details: dict[str, Any] = Field(description="for asset.update, the changed fields' before and after")
    prev_hash: str
    hash: str = Field(description="SHA-256 of this entry's canonical JSON and prev_hash")

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryPublic:
        return cls(
            id=entry.id,
            at=entry.at,
            tenant_id=entry.tenant_id,
            actor=entry.actor,
            actor_kind=entry.actor_kind,
            actor_id=entry.actor_id,
            address=entry.address,
            action=AuditAction(entry.action),
            target=entry.target,
            details=entry.details,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )


class AuditList(BaseModel):
    items: list[AuditEntryPublic]
    total: int = Field(description="entries matching the filters, on every page")
    limit: int
    offset: int

    @classmethod
    def of(cls, page: AuditPage) -> AuditList:
        return cls(
            items=[AuditEntryPublic.of(e) for e in page.items], total=page.total, limit=page.limit, offset=page.offset
        )


class AuditProblemPublic(BaseModel):
    kind: ProblemKind
    entry_id: int = Field(description="the first bad entry (for removed: the first missing id)")
    message: str


class AuditReportPublic(BaseModel):
    ok: bool
    entries: int = Field(description="entries checked, up to the first bad one")
    head_id: int | None = Field(description="the last entry's id (none when the chain is empty or broken)")
    head_hash: str | None = Field(description="the last entry's hash: keep it to see later that none was cut off")
    problem: AuditProblemPublic | None

    @classmethod
    def of(cls, report: AuditReport) -> AuditReportPublic:
        problem = report.problem
        return cls(
            ok=report.ok,
            entries=report.entries,
            head_id=report.head_id,
            head_hash=report.head_hash,
            problem=AuditProblemPublic(kind=problem.kind, entry_id=problem.entry_id, message=problem.message)
            if problem
            else None,
        )
