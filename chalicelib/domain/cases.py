"""The case (*pratica*): one application for a permesso di soggiorno, its checklist, and its lifecycle.

``registered → awaiting_documents → under_review → complete → appointment_booked → at_counter → closed``. The first
four follow from the checklist; booking the counter visit needs a complete checklist (a supervisor may override,
with a reason); the visit attended moves the case to the counter stage, a visit missed or cancelled back to
``complete`` (a new one is chosen); closing ends the case as completed, withdrawn or cancelled. Every change
returns a new ``Case`` and the events that tell it, which the repository stores together with an optimistic-lock
check on ``version``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from chalicelib.domain.errors import DomainError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date, datetime

    from chalicelib.domain.actors import Actor
    from chalicelib.domain.catalogue import Procedure
    from chalicelib.domain.checklist import Checklist, MissingItem


class CaseStatus(StrEnum):
    """Where a case stands."""

    REGISTERED = "registered"
    AWAITING_DOCUMENTS = "awaiting_documents"
    UNDER_REVIEW = "under_review"
    COMPLETE = "complete"
    APPOINTMENT_BOOKED = "appointment_booked"
    AT_COUNTER = "at_counter"  # the applicant came: fingerprints taken, the case goes on in the office
    CLOSED = "closed"


class CloseReason(StrEnum):
    """How a case ended."""

    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset(CaseStatus) - {CaseStatus.CLOSED}
CHECKLIST_STATUSES = frozenset(
    {CaseStatus.REGISTERED, CaseStatus.AWAITING_DOCUMENTS, CaseStatus.UNDER_REVIEW, CaseStatus.COMPLETE}
)
LEGAL_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.REGISTERED: frozenset(CHECKLIST_STATUSES | {CaseStatus.CLOSED}),
    CaseStatus.AWAITING_DOCUMENTS: frozenset(CHECKLIST_STATUSES - {CaseStatus.REGISTERED} | {CaseStatus.CLOSED}),
    CaseStatus.UNDER_REVIEW: frozenset(CHECKLIST_STATUSES - {CaseStatus.REGISTERED} | {CaseStatus.CLOSED}),
    CaseStatus.COMPLETE: frozenset(
        CHECKLIST_STATUSES - {CaseStatus.REGISTERED} | {CaseStatus.APPOINTMENT_BOOKED, CaseStatus.CLOSED}
    ),
    # The visit attended (the counter stage), or missed or cancelled (back to what the checklist says).
    CaseStatus.APPOINTMENT_BOOKED: frozenset(
        CHECKLIST_STATUSES - {CaseStatus.REGISTERED}
        | {CaseStatus.APPOINTMENT_BOOKED, CaseStatus.AT_COUNTER, CaseStatus.CLOSED}
    ),
    CaseStatus.AT_COUNTER: frozenset({CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}


class IllegalTransition(DomainError):
    """The case cannot go from its status to the one asked for."""

    def __init__(self, current: CaseStatus, wanted: CaseStatus) -> None:
        super().__init__(f"a case cannot go from {current.value} to {wanted.value}")
        self.current = current
        self.wanted = wanted


class ChecklistIncomplete(DomainError):
    """The counter visit can only be booked when every needed document is accepted or left for the counter."""

    def __init__(self, missing: tuple[str, ...], items: tuple[MissingItem, ...] = ()) -> None:
        super().__init__("the checklist is not complete")
        self.missing = missing
        self.items = items  # the same, one per document or one_of group (with its alternatives)


def _iso(appointment: Appointment) -> str:
    return appointment.at.isoformat(timespec="minutes")


@dataclass(frozen=True, slots=True)
class CaseApplicant:
    """The applicant of a case, as the office registered them."""

    phone_e164: str | None
    wa_id: str | None
    user_id: str | None
    name: str
    language: str


@dataclass(frozen=True, slots=True)
class Appointment:
    """The counter visit: when (office-local), where, whether a supervisor booked it over an incomplete checklist
    or a full slot, whether it holds a place in the office's calendar, and whether the applicant came."""

    at: datetime
    place: str
    override_reason: str | None = None
    counted: bool = False  # one place of the calendar's slot is taken for it
    attended: bool | None = None


class NoAppointment(DomainError):
    """The case has no counter visit to mark or cancel."""


@dataclass(frozen=True, slots=True)
class MessagePreview:
    """The applicant's latest message for an officer, trimmed: what the inbox shows without opening the case."""

    kind: str  # text, image, document, choice…
    text: str | None
    at_ms: int


PREVIEW_CHARS = 280


@dataclass(frozen=True, slots=True)
class Erasure:
    """The case's personal data were erased (GDPR art. 17): when, by whom (an officer's stable id, never a name),
    and why (a reason code)."""

    at_ms: int
    by: str
    reason: str


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One line of the case timeline (status changes, messages, documents, notes).

    ``event_id`` names a line by what caused it (:meth:`EventCause.identify`): a line with an id is stored once
    however often its cause is handled again (a redelivered message, a retried request); a line without one is
    new each time it is written (officers' actions: their versioned save writes it once or not at all).
    """

    kind: str
    at_ms: int
    actor: Actor
    data: dict[str, Any] = field(default_factory=dict)
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class EventCause:
    """What causes timeline lines, the same on every delivery: ``key`` names it (e.g. ``in.<digest of the
    wamid>``), ``at_ms`` is its own time (when the message was received), never the clock of whoever handles it,
    so that a line's stored key is the same the second time."""

    key: str
    at_ms: int

    def identify(self, events: Iterable[CaseEvent], seen: dict[str, int] | None = None) -> list[CaseEvent]:
        """``events`` as this cause's lines: ``<key>.<kind>``, then ``<key>.<kind>.2``… for a kind met again (counted
        in ``seen`` across calls for one cause), at the cause's time. A line that has an id keeps it."""
        counts = seen if seen is not None else {}
        identified = []
        for event in events:
            if event.event_id is not None:
                identified.append(event)
                continue
            counts[event.kind] = counts.get(event.kind, 0) + 1
            n = counts[event.kind]
            event_id = f"{self.key}.{event.kind}" + (f".{n}" if n > 1 else "")
            identified.append(replace(event, at_ms=self.at_ms, event_id=event_id))
        return identified


@dataclass(frozen=True, slots=True)
class Case:
    """One application and everything the office knows of its progress."""

    case_id: str
    office: str
    procedure: Procedure
    permit_type: str
    applicant: CaseApplicant
    checklist: Checklist
    status: CaseStatus
    created_at_ms: int
    status_since_ms: int
    updated_at_ms: int
    version: int = 0
    pratica_number: str | None = None
    permit_expiry: date | None = None
    assigned_officer: str | None = None
    documents_requested: bool = False
    appointment: Appointment | None = None
    close_reason: CloseReason | None = None
    unanswered_since_ms: int | None = None  # the applicant wrote to an officer and nobody has answered yet
    last_inbound: MessagePreview | None = None  # what they wrote last to an officer
    assigned_officer_name: str | None = None  # the assignee's display name, when the directory knows it
    completed_at_ms: int | None = None  # first time the checklist was complete (for the public waiting times)
    booked_at_ms: int | None = None  # first time the counter visit was booked
    erasure_requested_at_ms: int | None = None  # the applicant asked in the chat to erase their data (art. 17)
    erased: Erasure | None = None  # the personal data are gone: what is left is anonymised

    @property
    def is_open(self) -> bool:
        """Not closed."""
        return self.status is not CaseStatus.CLOSED

    def derived_status(self, checklist: Checklist, documents_requested: bool) -> CaseStatus:
        """The status the checklist implies, while the case is in the checklist part of its life."""
        if self.status not in CHECKLIST_STATUSES:
            return self.status
        if checklist.complete:
            return CaseStatus.COMPLETE
        if checklist.all_arrived:
            return CaseStatus.UNDER_REVIEW
        if documents_requested or any(i.state.value != "missing" for i in checklist.items):
            return CaseStatus.AWAITING_DOCUMENTS
        return CaseStatus.REGISTERED

    def with_checklist(
        self, checklist: Checklist, now_ms: int, actor: Actor, documents_requested: bool | None = None
    ) -> tuple[Case, list[CaseEvent]]:
        """The case with a new checklist, its status following; the status change as an event."""
        requested = self.documents_requested if documents_requested is None else documents_requested
        status = self.derived_status(checklist, requested)
        updated = replace(self, checklist=checklist, documents_requested=requested, updated_at_ms=now_ms)
        return updated._moved_to(status, now_ms, actor)

    def _moved_to(self, status: CaseStatus, now_ms: int, actor: Actor) -> tuple[Case, list[CaseEvent]]:
        if status is self.status:
            return self, []
        if status not in LEGAL_TRANSITIONS[self.status]:
            raise IllegalTransition(self.status, status)
        event = CaseEvent("status_changed", now_ms, actor, {"from": self.status.value, "to": status.value})
        completed = self.completed_at_ms
        if status is CaseStatus.COMPLETE and completed is None:
            completed = now_ms
        moved = replace(self, status=status, status_since_ms=now_ms, updated_at_ms=now_ms, completed_at_ms=completed)
        return moved, [event]

    def book(self, appointment: Appointment, now_ms: int, actor: Actor) -> tuple[Case, list[CaseEvent]]:
        """Book the counter visit: only when complete, unless the appointment carries an override reason."""
        if self.status is CaseStatus.CLOSED:
            raise IllegalTransition(self.status, CaseStatus.APPOINTMENT_BOOKED)
        if not self.checklist.complete and not appointment.override_reason:
            raise ChecklistIncomplete(self.checklist.missing_codes(), self.checklist.missing_items())
        if self.status not in (CaseStatus.COMPLETE, CaseStatus.APPOINTMENT_BOOKED) and not appointment.override_reason:
            raise IllegalTransition(self.status, CaseStatus.APPOINTMENT_BOOKED)
        booked = replace(self, appointment=appointment, updated_at_ms=now_ms, booked_at_ms=self.booked_at_ms or now_ms)
        if booked.status is not CaseStatus.APPOINTMENT_BOOKED:
            # An override may book from any open status: it is the supervisor's call, recorded with its reason.
            event = CaseEvent("status_changed", now_ms, actor, {"from": self.status.value, "to": "appointment_booked"})
            booked = replace(booked, status=CaseStatus.APPOINTMENT_BOOKED, status_since_ms=now_ms)
            return booked, [event]
        return booked, []

    def visit_attended(self, now_ms: int, actor: Actor) -> tuple[Case, list[CaseEvent]]:
        """The applicant came to the counter: the case moves to the counter stage."""
        if self.appointment is None or self.status is not CaseStatus.APPOINTMENT_BOOKED:
            raise NoAppointment(self.case_id)
        visited = replace(self, appointment=replace(self.appointment, attended=True), updated_at_ms=now_ms)
        moved, events = visited._moved_to(CaseStatus.AT_COUNTER, now_ms, actor)
        return moved, [*events, CaseEvent("appointment_attended", now_ms, actor, {"at": _iso(self.appointment)})]

    def visit_dropped(self, now_ms: int, actor: Actor, kind: str) -> tuple[Case, list[CaseEvent]]:
        """The visit was missed (``appointment_missed``) or cancelled (``appointment_cancelled``): the case goes
        back to what its checklist says (``complete``: a new visit is chosen)."""
        if self.appointment is None or self.status is not CaseStatus.APPOINTMENT_BOOKED:
            raise NoAppointment(self.case_id)
        if self.checklist.complete:
            status = CaseStatus.COMPLETE
        else:  # a supervisor had booked over an incomplete checklist
            status = CaseStatus.UNDER_REVIEW if self.checklist.all_arrived else CaseStatus.AWAITING_DOCUMENTS
        dropped = replace(self, appointment=None, updated_at_ms=now_ms)
        moved, events = dropped._moved_to(status, now_ms, actor)
        return moved, [*events, CaseEvent(kind, now_ms, actor, {"at": _iso(self.appointment)})]

    def close(self, reason: CloseReason, now_ms: int, actor: Actor) -> tuple[Case, list[CaseEvent]]:
        """End the case."""
        if not self.is_open:
            raise IllegalTransition(self.status, CaseStatus.CLOSED)
        closed, events = self._moved_to(CaseStatus.CLOSED, now_ms, actor)
        return replace(closed, close_reason=reason), events

    def assign(self, officer: str | None, now_ms: int, name: str | None = None) -> Case:
        """Give the case to an officer, known by ``name`` to colleagues (None: unassign)."""
        return replace(
            self, assigned_officer=officer, assigned_officer_name=name if officer else None, updated_at_ms=now_ms
        )
