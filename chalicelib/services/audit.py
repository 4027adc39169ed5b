"""The audit log port and its use cases: append what officers do; let a supervisor read their office's log.

Entries are append-only: the port has no update or delete, the adapter writes with a condition that never
overwrites, and in AWS the functions' roles cannot update or delete the audit table at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chalicelib.auth.errors import SupervisorOnly
from chalicelib.domain.audit import AuditAction, AuditEntry
from chalicelib.domain.errors import DomainError

if TYPE_CHECKING:
    from chalicelib.auth import Officer

MAX_PAGE = 100


class InvalidAuditQuery(DomainError):
    """The time window or the page size of an audit query is out of range (422)."""


@dataclass(frozen=True, slots=True)
class AuditPage:
    """A page of entries, newest first; ``next_cursor`` (opaque, signed) is None on the last page."""

    entries: tuple[AuditEntry, ...]
    next_cursor: str | None


class AuditLog(Protocol):
    """The office's audit log."""

    def append(self, entry: AuditEntry) -> None:
        """Store ``entry``; an existing entry is never overwritten."""
        ...

    def list(self, office: str, since_ms: int, until_ms: int, limit: int, cursor: str | None) -> AuditPage:
        """Entries of ``office`` with ``since_ms <= at_ms < until_ms``, newest first.

        Raises :class:`~chalicelib.services.pagination.InvalidCursor` for a cursor not issued for this office.
        """
        ...


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """``GET`` parameters of an audit listing: a half-open window in epoch milliseconds, a page size, a cursor."""

    since_ms: int
    until_ms: int
    limit: int = 50
    cursor: str | None = None


def record(
    log: AuditLog, officer: Officer, action: AuditAction, case_id: str | None, at_ms: int, **detail: str
) -> AuditEntry:
    """Append what ``officer`` did and return the entry."""
    entry = AuditEntry(
        at_ms,
        officer.subject,
        officer.role.value,
        officer.office,
        action,
        case_id,
        detail,
        actor_username=officer.username,
        actor_name=officer.display_name,
    )
    log.append(entry)
    return entry


def read_audit_log(log: AuditLog, officer: Officer, query: AuditQuery, now_ms: int) -> AuditPage:
    """A page of the supervisor's own office's log; the reading itself is audited (``audit.view``)."""
    if not officer.is_supervisor:
        raise SupervisorOnly("only a supervisor can read the audit log")
    if not 1 <= query.limit <= MAX_PAGE:
        raise InvalidAuditQuery(f"limit must be from 1 to {MAX_PAGE}")
    if not 0 <= query.since_ms < query.until_ms:
        raise InvalidAuditQuery("the window must start before it ends")
    page = log.list(officer.office, query.since_ms, query.until_ms, query.limit, query.cursor)
    record(log, officer, AuditAction.AUDIT_VIEW, None, now_ms, count=str(len(page.entries)))
    return page
