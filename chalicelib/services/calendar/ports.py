"""Ports of the calendar: where an office's calendar and its slots' bookings are kept, and which days are closed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.errors import DomainError

if TYPE_CHECKING:
    from datetime import date, datetime

    from chalicelib.domain.calendar import OfficeCalendar, SlotUse


class SlotTaken(DomainError):
    """Every place of the slot was taken before this booking could have one."""


class CalendarConflict(DomainError):
    """Someone saved the calendar since it was read: reload and try again."""


@dataclass(frozen=True, slots=True)
class SlotClaim:
    """One place of a slot for one case; ``capacity`` None takes it beyond the slot's places (a supervisor's
    booking with a reason)."""

    office: str
    at: datetime
    case_id: str
    capacity: int | None


class CalendarStore(Protocol):
    """An office's calendar and the places taken in its slots."""

    def get(self, office: str) -> OfficeCalendar | None:
        """The office's saved calendar (None: never saved, the office's defaults apply)."""
        ...

    def save(self, calendar: OfficeCalendar) -> OfficeCalendar:
        """Store a new version; :class:`CalendarConflict` if it changed since ``calendar.version`` was read."""
        ...

    def uses(self, office: str, first: date, last: date) -> list[SlotUse]:
        """The slots from ``first`` to ``last`` with places taken (one Query on the office's range)."""
        ...


class ClosingDays(Protocol):
    """Public holidays where the office is: the nation's, and the province's patron saint."""

    def __call__(self, office: str, day: date) -> str | None:
        """The holiday's name if the office is closed on ``day`` for one, else None."""
        ...
