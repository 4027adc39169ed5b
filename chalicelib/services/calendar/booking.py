"""Booking the counter visit: one place of one slot, taken atomically with the case's appointment.

The place is taken in the same DynamoDB transaction that saves the case, with a condition on the slot's count (and
on the case not holding it already), so the last place is never given twice, and a retried request books once (the
case already holds that slot: nothing is written again). Moving the visit gives the old place back in the same
transaction. What cannot be booked is refused with a reason code and the next free slots, never silently moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalicelib.domain.calendar import BookingProblem, FreeSlot
from chalicelib.domain.cases import Appointment, CaseEvent
from chalicelib.domain.errors import DomainError
from chalicelib.services.calendar.ports import SlotClaim, SlotTaken
from chalicelib.services.calendar.slots import calendar_of, closing_reason, next_free

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.domain.actors import Actor
    from chalicelib.domain.calendar import OfficeCalendar
    from chalicelib.domain.cases import Case
    from chalicelib.services.calendar.slots import CalendarDeps
    from chalicelib.services.cases.ports import CaseRepository
    from chalicelib.services.messages.ports import OutboxEntry

ALTERNATIVES = 5


class BookingRefused(DomainError):
    """The time cannot be booked; ``alternatives`` are the next free slots (after it, or from now)."""

    def __init__(self, problem: BookingProblem, alternatives: list[FreeSlot]) -> None:
        super().__init__(f"cannot book this time: {problem.value}")
        self.problem = problem
        self.alternatives = alternatives


class ChangeTooLate(DomainError):
    """The visit is too close to be moved or cancelled by the applicant (the office's rule)."""


@dataclass(frozen=True, slots=True)
class Booked:
    """The case with its visit, and the one it replaced (if any)."""

    case: Case
    previous: Appointment | None
    changed: bool  # False: the case already held this slot (a retried request)
    queued: OutboxEntry | None = None  # the message that tells it, saved ``queued`` with the booking (to send now)


def _claim(case: Case, appointment: Appointment, capacity: int | None) -> SlotClaim:
    return SlotClaim(case.office, appointment.at, case.case_id, capacity)


def book_visit(
    deps: CalendarDeps,
    cases: CaseRepository,
    case: Case,
    at: datetime,
    *,
    place: str,
    actor: Actor,
    override_reason: str | None = None,
    beyond_capacity: bool = False,
    tell: Callable[[Case, Appointment | None], OutboxEntry] | None = None,
) -> Booked:
    """Give ``case`` the slot starting at ``at`` (office-local): :class:`BookingRefused` with alternatives when the
    time is not bookable or its places are all taken; ``beyond_capacity`` (a supervisor, with a reason) ignores the
    count but nothing else. ``tell(booked, replaced)`` gives the message that tells the booking: it is queued in
    the same transaction as the place (the outbox), so a slot race or a conflict queues nothing."""
    calendar = calendar_of(deps, case.office)
    current = case.appointment
    if current is not None and current.at == at and current.counted:
        return Booked(case, None, changed=False)
    now = deps.clock_ms()
    appointment = Appointment(at, place, override_reason, counted=True)
    booked, events = case.book(appointment, now, actor)  # an incomplete checklist is refused before the time
    problem = calendar.problem(at, now, closing_reason(deps, calendar))
    if problem is not None:
        raise BookingRefused(problem, next_free(deps, calendar, ALTERNATIVES))
    data = {"at": at.isoformat(timespec="minutes"), "override": bool(override_reason)}
    if current is not None:
        data["replaces"] = current.at.isoformat(timespec="minutes")
    events.append(CaseEvent("appointment_booked", now, actor, data))
    take = _claim(case, appointment, None if beyond_capacity else calendar.places)
    release = _claim(case, current, None) if current is not None and current.counted else None
    queued = tell(booked, current) if tell is not None else None
    try:
        saved = cases.save(booked, events, take=take, release=release, outbox=queued)
    except SlotTaken:
        raise BookingRefused(BookingProblem.SLOT_UNAVAILABLE, next_free(deps, calendar, ALTERNATIVES, at)) from None
    return Booked(saved, current, changed=True, queued=queued)


def may_change(calendar: OfficeCalendar, appointment: Appointment, now_ms: int) -> bool:
    """Whether the applicant may still move or cancel ``appointment`` themselves (up to ``change_hours`` before)."""
    return datetime.fromtimestamp(now_ms / 1000, tz=UTC) < calendar.change_deadline(appointment.at)


def drop_visit(
    cases: CaseRepository, case: Case, actor: Actor, kind: str, now_ms: int, *, outbox: OutboxEntry | None = None
) -> Case:
    """The visit missed or cancelled (``kind``): the case waits for a new one, its place given back; ``outbox``, the
    message that tells it, is queued in the same write."""
    appointment = case.appointment
    dropped, events = case.visit_dropped(now_ms, actor, kind)
    release = _claim(case, appointment, None) if appointment is not None and appointment.counted else None
    return cases.save(dropped, events, release=release, outbox=outbox)


def mark_attended(cases: CaseRepository, case: Case, actor: Actor, now_ms: int) -> Case:
    """The applicant came: the case moves to the counter stage."""
    attended, events = case.visit_attended(now_ms, actor)
    return cases.save(attended, events)
