"""The audit trail (安全审计): append-only and hash-chained.

Use cases call :func:`record` with the session of the action they record, so both commit together::

    record(session, Actor.of(principal, address), AuditAction.KEY_CREATE, target=key.id, details={"role": "playout"})

:func:`verify` recomputes the chain and names the first edited, removed or inserted entry;
:func:`list_entries` reads a tenant's entries. Nothing updates or deletes an entry (triggers refuse it).
"""

from mam.audit.queries import AuditPage, list_entries
from mam.audit.trail import GENESIS, Actor, AuditAction, changed, entry_hash, record
from mam.audit.verify import AuditProblem, AuditReport, ProblemKind, verify

__all__ = [
    "GENESIS",
    "Actor",
    "AuditAction",
    "AuditPage",
    "AuditProblem",
    "AuditReport",
    "ProblemKind",
    "changed",
    "entry_hash",
    "list_entries",
    "record",
    "verify",
]
