"""Reminders tied to a case's own dates: what is due when, and the quiet hours no message may fall in.

:func:`plan` is pure: from a case and the timing policy it computes every reminder the case should have. Each
reminder's identity is ``(case, kind, due date)``: the store keeps one item per identity and the outbound id of its
message derives from it, so a reminder is sent at most once however often it is planned, swept or delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from chalicelib.domain.cases import CaseStatus, CloseReason
from chalicelib.domain.checklist import ItemState

if TYPE_CHECKING:
    from chalicelib.domain.cases import Case
    from chalicelib.domain.checklist import ChecklistItem

DAY_MS = 24 * 60 * 60 * 1000


class ReminderKind(StrEnum):
    """What a reminder is about."""

    MISSING_DOCUMENTS = "missing_documents"
    REJECTED_DOCUMENTS = "rejected_documents"
    APPOINTMENT = "appointment"
    PERMIT_EXPIRY = "permit_expiry"


class ReminderState(StrEnum):
    """Where a reminder stands; only ``pending`` (and ``queued`` with an expired lease) is in the due index."""

    PENDING = "pending"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATES = frozenset({ReminderState.SENT, ReminderState.SKIPPED, ReminderState.FAILED, ReminderState.CANCELLED})


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """Configurable timing (office-local times); ``timezone`` is the office's (see :meth:`in_zone`)."""

    timezone: str = "Europe/Rome"
    document_days: tuple[int, ...] = (3, 7)  # after a request (or a rejection) with nothing sent
    max_document_reminders: int = 2  # K: at most this many per request
    send_at: time = time(9, 0)  # the local time of day-based reminders
    appointment_day_before_at: time = time(10, 0)
    appointment_morning_at: time = time(8, 0)
    expiry_days: tuple[int, ...] = (60, 45)
    quiet_start: time = time(20, 0)
    quiet_end: time = time(8, 0)

    @property
    def zone(self) -> ZoneInfo:
        """The office's time zone."""
        return ZoneInfo(self.timezone)

    def in_zone(self, timezone: str) -> ReminderPolicy:
        """The same timing at an office in ``timezone``: its 09:00 and its quiet hours are its own wall clock's."""
        return replace(self, timezone=timezone)


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """One reminder a case should have."""

    kind: ReminderKind
    due_at_ms: int
    due_date: date  # the local date of the first due time: part of the identity, unchanged by deferral
    attempt: int  # 1 for the first reminder of its kind and cycle, 2 for the second...

    @property
    def reminder_id(self) -> str:
        """The identity within the case: ``kind#YYYY-MM-DD``."""
        return f"{self.kind.value}#{self.due_date.isoformat()}"


@dataclass(frozen=True, slots=True)
class Reminder:
    """A stored reminder."""

    case_id: str
    office: str
    applicant_key: str
    kind: ReminderKind
    reminder_id: str
    due_at_ms: int
    attempt: int
    state: ReminderState
    created_at_ms: int
    outcome: str | None = None  # why it ended: sent, opted_out, undeliverable...


def outbound_id(case_id: str, reminder_id: str) -> str:
    """The idempotency key of a reminder's message: one per (case, kind, due date)."""
    return f"reminder.{case_id}.{reminder_id.replace('#', '.')}"


def _at(day: date, moment: time, policy: ReminderPolicy) -> int:
    return int(datetime.combine(day, moment, tzinfo=policy.zone).timestamp() * 1000)


def _local_date(ms: int, policy: ReminderPolicy) -> date:
    return datetime.fromtimestamp(ms / 1000, policy.zone).date()


def _after(start_ms: int, kind: ReminderKind, policy: ReminderPolicy) -> list[PlannedReminder]:
    days = policy.document_days[: policy.max_document_reminders]
    start = _local_date(start_ms, policy)
    planned = []
    for attempt, offset in enumerate(days, start=1):
        day = start + timedelta(days=offset)
        planned.append(PlannedReminder(kind, _at(day, policy.send_at, policy), day, attempt))
    return planned


def refused_items(case: Case) -> list[ChecklistItem]:
    """Refused documents still to be sent again (not those whose one_of group another document satisfied)."""
    waiting = {code for unit in case.checklist.missing_items() for code in unit.codes}
    return [i for i in case.checklist.items if i.outstanding and i.state is ItemState.REJECTED and i.code in waiting]


def _document_reminders(case: Case, policy: ReminderPolicy) -> list[PlannedReminder]:
    if case.status not in (CaseStatus.AWAITING_DOCUMENTS, CaseStatus.REGISTERED, CaseStatus.UNDER_REVIEW):
        return []
    # Only what the office asked for and has not arrived (by the page, the chat or an officer's attach): a
    # one_of group counts once, and is not missing when any of its alternatives arrived.
    asked = [u.requested_at_ms for u in case.checklist.requested_missing() if not u.rejected]
    missing = [at for at in asked if at is not None]
    rejected = [i.rejected_at_ms for i in refused_items(case) if i.rejected_at_ms is not None]
    planned: list[PlannedReminder] = []
    if missing:
        planned += _after(max(missing), ReminderKind.MISSING_DOCUMENTS, policy)
    if rejected:
        planned += _after(max(rejected), ReminderKind.REJECTED_DOCUMENTS, policy)
    return planned


def _appointment_reminders(case: Case, policy: ReminderPolicy) -> list[PlannedReminder]:
    if case.status is not CaseStatus.APPOINTMENT_BOOKED or case.appointment is None:
        return []
    visit = case.appointment.at.replace(tzinfo=policy.zone)
    visit_ms = int(visit.timestamp() * 1000)
    day_before = visit.date() - timedelta(days=1)
    planned = [
        PlannedReminder(
            ReminderKind.APPOINTMENT, _at(day_before, policy.appointment_day_before_at, policy), day_before, 1
        )
    ]
    morning = _at(visit.date(), policy.appointment_morning_at, policy)
    if morning < visit_ms:
        planned.append(PlannedReminder(ReminderKind.APPOINTMENT, morning, visit.date(), 2))
    return planned


def _expiry_reminders(case: Case, policy: ReminderPolicy) -> list[PlannedReminder]:
    if case.permit_expiry is None or case.close_reason in (CloseReason.WITHDRAWN, CloseReason.CANCELLED):
        return []
    planned = []
    for attempt, days in enumerate(policy.expiry_days, start=1):
        day = case.permit_expiry - timedelta(days=days)
        planned.append(PlannedReminder(ReminderKind.PERMIT_EXPIRY, _at(day, policy.send_at, policy), day, attempt))
    return planned


def plan(case: Case, policy: ReminderPolicy) -> list[PlannedReminder]:
    """Every reminder ``case`` should have now (past ones included: the store keeps what was already sent)."""
    if case.erased is not None:  # nobody is left to remind
        return []
    return _document_reminders(case, policy) + _appointment_reminders(case, policy) + _expiry_reminders(case, policy)


def quiet_until(now_ms: int, policy: ReminderPolicy) -> int | None:
    """When the quiet hours that ``now_ms`` falls in end (ms), or None outside them."""
    local = datetime.fromtimestamp(now_ms / 1000, policy.zone)
    moment = local.time()
    start, end = policy.quiet_start, policy.quiet_end
    inside = (moment >= start or moment < end) if start > end else start <= moment < end
    if not inside:
        return None
    day = local.date() if moment < end else local.date() + timedelta(days=1)
    return _at(day, end, policy)


def local_date_of(ms: int, policy: ReminderPolicy) -> date:
    """The office-local date of an instant."""
    return _local_date(ms, policy)


def utc_iso(ms: int) -> str:
    """An instant as ISO 8601 UTC."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")
