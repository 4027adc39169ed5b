"""The office's calendar and its free places: read it, edit it (supervisors), list the free slots of some days.

An office's calendar is the one a supervisor saved, else the defaults of ``offices.json`` (whose counter hours may
be unknown: then nothing can be booked, and the API says so rather than guess). Listing a range of days is one
Query for the places taken there; days beyond the calendar's horizon, closing days and blocked periods offer none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from chalicelib.auth.errors import SupervisorOnly
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.calendar import WEEKDAYS, CounterHours, FreeSlot, OfficeCalendar
from chalicelib.domain.errors import DomainError
from chalicelib.services.audit import record

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.auth import Officer
    from chalicelib.offices import Office
    from chalicelib.services.audit import AuditLog
    from chalicelib.services.calendar.ports import CalendarStore, ClosingDays

MAX_RANGE_DAYS = 31
WINDOW_DAYS = 14  # the next free slots are looked for two weeks at a time


class InvalidRange(DomainError):
    """A listing's days are reversed or too many at once."""


@dataclass(frozen=True, slots=True)
class CalendarDeps:
    """What the calendar's use cases need, wired by bootstrap."""

    store: CalendarStore
    closing: ClosingDays
    office: Callable[[str], Office]
    audit: AuditLog
    clock_ms: Callable[[], int]


def default_calendar(office: Office) -> OfficeCalendar:
    """The office's calendar as ``offices.json`` sets it (no counter hours: not configured)."""
    hours = tuple(
        CounterHours(WEEKDAYS.index(day), time.fromisoformat(h.opens), time.fromisoformat(h.closes))
        for h in office.counter_hours or ()
        for day in h.days
    )
    settings = office.calendar
    return OfficeCalendar(
        office=office.code,
        timezone=office.timezone,
        hours=hours,
        slot_minutes=int(settings.get("slot_minutes", 15)),
        places=int(settings.get("places", 1)),
        closed_dates=tuple(date.fromisoformat(d) for d in settings.get("closed_dates", [])),
        change_hours=int(settings.get("change_hours", 24)),
        horizon_days=int(settings.get("horizon_days", 60)),
    )


def calendar_of(deps: CalendarDeps, office: str) -> OfficeCalendar:
    """The office's calendar in force."""
    return deps.store.get(office) or default_calendar(deps.office(office))


def closing_reason(deps: CalendarDeps, calendar: OfficeCalendar) -> Callable[[date], str | None]:
    """Why the office is closed on a day (a holiday's name, or its own closure), or None when it is open."""

    def closed(day: date) -> str | None:
        if day in calendar.closed_dates:
            return "office closure"
        return deps.closing(calendar.office, day)

    return closed


def free_slots(
    deps: CalendarDeps, calendar: OfficeCalendar, first: date, last: date, only_free: bool = False
) -> list[FreeSlot]:
    """The bookable slots from ``first`` to ``last`` with their free places (full ones too, unless ``only_free``)."""
    if last < first or (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidRange(f"a listing covers 1 to {MAX_RANGE_DAYS} days")
    now = deps.clock_ms()
    starts = list(calendar.open_slots(first, last, now, closing_reason(deps, calendar)))
    if not starts:
        return []
    taken = {use.at: use.taken for use in deps.store.uses(calendar.office, first, last)}
    slots = [FreeSlot(at, calendar.places, taken.get(at, 0)) for at in starts]
    return [slot for slot in slots if slot.free] if only_free else slots


def next_free(
    deps: CalendarDeps, calendar: OfficeCalendar, count: int, after: datetime | None = None
) -> list[FreeSlot]:
    """The first ``count`` slots with a free place from now (or ``after``), up to the calendar's horizon."""
    if not calendar.configured:
        return []
    today = calendar.local_now(deps.clock_ms()).date()
    first = max(today, after.date()) if after else today
    horizon = today + timedelta(days=calendar.horizon_days)
    found: list[FreeSlot] = []
    while first <= horizon and len(found) < count:
        last = min(first + timedelta(days=WINDOW_DAYS - 1), horizon)
        found += [s for s in free_slots(deps, calendar, first, last, only_free=True) if after is None or s.at > after]
        first = last + timedelta(days=1)
    return found[:count]


def update_calendar(deps: CalendarDeps, officer: Officer, calendar: OfficeCalendar) -> OfficeCalendar:
    """Save the officer's office's calendar (supervisors; ``calendar.version`` is the one they read). Audited."""
    if not officer.is_supervisor:
        raise SupervisorOnly("only a supervisor can change the counter calendar")
    current = calendar_of(deps, officer.office)
    saved = deps.store.save(
        replace(calendar, office=officer.office, timezone=current.timezone, updated_by=officer.username)
    )
    record(deps.audit, officer, AuditAction.CALENDAR_UPDATE, None, deps.clock_ms(), version=str(saved.version))
    return saved
