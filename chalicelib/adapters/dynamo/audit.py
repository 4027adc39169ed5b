"""The audit log on DynamoDB: one partition per office, entries sorted by time, appended with a condition.

``entry_id`` is the zero-padded epoch milliseconds, ``#``, and a random suffix: sorting it sorts by time, the
suffix keeps two entries of the same millisecond apart, and the write's condition makes sure an existing entry
is never replaced. Listings query the office's partition newest first, with the time window in the key condition
and signed cursors scoped to the office (``audit:<office>``).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PutError

from chalicelib.adapters.dynamo.models import AuditModel
from chalicelib.domain.audit import AuditAction, AuditEntry
from chalicelib.domain.retention import RetentionPolicy
from chalicelib.services.audit import AuditPage
from chalicelib.services.pagination import decode_cursor, encode_cursor

if TYPE_CHECKING:
    from collections.abc import Callable

CONDITION_FAILED = "ConditionalCheckFailedException"
MS_DIGITS = 15  # epoch milliseconds fit until the year 33658
APPEND_ATTEMPTS = 3


class AuditWriteConflict(RuntimeError):
    """Every attempt to append hit an existing entry id: the suffix source is broken, not the caller."""


def entry_id(at_ms: int, suffix: str) -> str:
    """The sort key of an entry written at ``at_ms``."""
    return f"{at_ms:0{MS_DIGITS}d}#{suffix}"


def _random_suffix() -> str:
    return secrets.token_hex(8)


class DynamoAuditLog:
    """:class:`~chalicelib.services.audit.AuditLog` on the audit table."""

    def __init__(
        self,
        cursor_secret: Callable[[], bytes],
        suffix: Callable[[], str] = _random_suffix,
        retention: RetentionPolicy | None = None,
    ) -> None:
        self._cursor_secret = cursor_secret
        self._suffix = suffix
        self._retention = retention or RetentionPolicy()

    def append(self, entry: AuditEntry) -> None:
        for _ in range(APPEND_ATTEMPTS):
            item = AuditModel(
                entry.office,
                entry_id(entry.at_ms, self._suffix()),
                at_ms=entry.at_ms,
                actor=entry.actor,
                actor_role=entry.actor_role,
                actor_username=entry.actor_username,
                actor_name=entry.actor_name,
                action=entry.action.value,
                case_id=entry.case_id,
                detail=dict(entry.detail),
                expires_at=datetime.fromtimestamp(self._retention.audit_until_ms(entry.at_ms) / 1000, UTC),
            )
            try:
                item.save(condition=AuditModel.entry_id.does_not_exist())
                return
            except PutError as exc:
                if exc.cause_response_code != CONDITION_FAILED:
                    raise
                # Same millisecond and same random suffix: keep the stored entry, try another id.
        raise AuditWriteConflict("could not find a free audit entry id")

    def list(self, office: str, since_ms: int, until_ms: int, limit: int, cursor: str | None) -> AuditPage:
        scope, secret = f"audit:{office}", self._cursor_secret()
        start = decode_cursor(cursor, scope, secret)
        # Half-open window: "<since>" sorts before every id of that millisecond, "<until - 1>~" after every
        # id of the millisecond before ``until`` ("~" sorts after "#").
        window = AuditModel.entry_id.between(f"{since_ms:0{MS_DIGITS}d}", f"{until_ms - 1:0{MS_DIGITS}d}~")
        items = list(
            AuditModel.query(
                office,
                range_key_condition=window,
                scan_index_forward=False,
                limit=limit + 1,  # one more than asked: the last page then has no cursor, not an empty next page
                last_evaluated_key=start,
            )
        )
        page, more = items[:limit], len(items) > limit
        last_key = _key(page[-1]) if more and page else None
        return AuditPage(tuple(_entry(item) for item in page), encode_cursor(last_key, scope, secret))


def _key(item: AuditModel) -> dict[str, Any]:
    return {"office": {"S": item.office}, "entry_id": {"S": item.entry_id}}


def _entry(item: AuditModel) -> AuditEntry:
    return AuditEntry(
        at_ms=int(item.at_ms),
        actor=item.actor,
        actor_role=item.actor_role,
        actor_username=item.actor_username,
        actor_name=item.actor_name,
        office=item.office,
        action=AuditAction(item.action),
        case_id=item.case_id,
        detail={str(k): str(v) for k, v in (item.detail.attribute_values if item.detail else {}).items()},
    )
