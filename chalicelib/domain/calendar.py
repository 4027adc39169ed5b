"""The office's counter calendar: when the counter is open, cut into slots of a set length with places in parallel.

Everything here is the office's own wall-clock time (``09:30`` is half past nine in Ancona whatever the season):
the counter keeps local hours, and a slot's start is stored as the local date and time. Converting to instants is
only needed to compare with "now" and to count hours before a slot, and is done with the office's zone, so days
when the clocks change count right (the Sunday in October has 25 hours).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from chalicelib.domain.errors import DomainError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SLOT_KEY = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
MAX_PLACES = 50


class InvalidCalendar(DomainError):
    """A calendar that cannot work: hours that end before they start, a slot length out of range…"""


class BookingProblem(StrEnum):
    """Why a time cannot be booked (each is a 422 with this code, and the next free slots)."""

    IN_THE_PAST = "in_the_past"
    OUTSIDE_COUNTER_HOURS = "outside_counter_hours"  # not the start of a slot in the day's counter hours
    CLOSING_DAY = "closing_day"  # a public holiday, the patron saint's day, or a day the office closed
    BLOCKED_PERIOD = "blocked_period"
    TOO_FAR_AHEAD = "too_far_ahead"
    SLOT_UNAVAILABLE = "slot_unavailable"  # every place of the slot is taken
    NOT_CONFIGURED = "calendar_not_configured"  # the office has not set its counter hours yet


@dataclass(frozen=True, slots=True)
class CounterHours:
    """One opening of the counter on one weekday (0: Monday), e.g. Tuesday 14:30-16:30."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True, slots=True)
class BlockedPeriod:
    """A stretch of office-local time with no bookings (training, a strike, works), with why."""

    starts: datetime
    ends: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class OfficeCalendar:
    """An office's counter calendar; ``version`` guards edits (a supervisor's save on a stale copy is refused)."""

    office: str
    timezone: str
    hours: tuple[CounterHours, ...] = ()
    slot_minutes: int = 15
    places: int = 1
    closed_dates: tuple[date, ...] = ()  # the office's own closures, besides public holidays
    blocked: tuple[BlockedPeriod, ...] = ()
    change_hours: int = 24  # an applicant may move or cancel up to this long before the visit
    horizon_days: int = 60  # slots are offered up to this far ahead
    version: int = 0
    updated_by: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not 5 <= self.slot_minutes <= 240:
            raise InvalidCalendar("slot_minutes must be from 5 to 240")
        if not 1 <= self.places <= MAX_PLACES:
            raise InvalidCalendar(f"places must be from 1 to {MAX_PLACES}")
        if not 0 <= self.change_hours <= 24 * 14 or not 1 <= self.horizon_days <= 366:
            raise InvalidCalendar("change_hours must be 0-336 and horizon_days 1-366")
        for opening in self.hours:
            if not 0 <= opening.weekday <= 6 or opening.opens >= opening.closes:
                raise InvalidCalendar("each opening must end after it starts, on a weekday 0-6")
        for period in self.blocked:
            if period.starts >= period.ends:
                raise InvalidCalendar("a blocked period must end after it starts")
        by_day = sorted(self.hours, key=lambda h: (h.weekday, h.opens))
        for before, after in pairwise(by_day):
            if before.weekday == after.weekday and after.opens < before.closes:
                raise InvalidCalendar("the openings of one day must not overlap")

    @property
    def zone(self) -> ZoneInfo:
        """The office's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def configured(self) -> bool:
        """The office has counter hours (no hours: nothing can be booked)."""
        return bool(self.hours)

    def starts_on(self, day: date) -> list[time]:
        """The slot starts of ``day``'s openings (a slot fits wholly inside its opening)."""
        starts: list[time] = []
        length = timedelta(minutes=self.slot_minutes)
        for opening in sorted(self.hours, key=lambda h: h.opens):
            if opening.weekday != day.weekday():
                continue
            moment = datetime.combine(day, opening.opens)
            while moment + length <= datetime.combine(day, opening.closes):
                starts.append(moment.time())
                moment += length
        return starts

    def blocked_at(self, at: datetime) -> BlockedPeriod | None:
        """The blocked period the slot starting at ``at`` overlaps, if any."""
        end = at + timedelta(minutes=self.slot_minutes)
        return next((p for p in self.blocked if p.starts < end and at < p.ends), None)

    def instant(self, at: datetime) -> datetime:
        """The office-local ``at`` as an aware instant in the office's zone."""
        return at.replace(tzinfo=self.zone)

    def local_now(self, now_ms: int) -> datetime:
        """Now, as the office's wall clock reads it (naive)."""
        return datetime.fromtimestamp(now_ms / 1000, tz=self.zone).replace(tzinfo=None)

    def change_deadline(self, at: datetime) -> datetime:
        """The last instant (aware) an applicant may move or cancel a visit at ``at``: real hours, not clock hours."""
        return self.instant(at).astimezone(ZoneInfo("UTC")) - timedelta(hours=self.change_hours)

    def problem(self, at: datetime, now_ms: int, closed: Callable[[date], str | None]) -> BookingProblem | None:
        """Why ``at`` (office-local) is not a bookable slot start, whatever its places; None when it is one."""
        if not self.configured:
            return BookingProblem.NOT_CONFIGURED
        now = self.local_now(now_ms)
        if at <= now:
            return BookingProblem.IN_THE_PAST
        if at.date() > now.date() + timedelta(days=self.horizon_days):
            return BookingProblem.TOO_FAR_AHEAD
        if at.date() in self.closed_dates or closed(at.date()):
            return BookingProblem.CLOSING_DAY
        if at.second or at.microsecond or at.time() not in self.starts_on(at.date()):
            return BookingProblem.OUTSIDE_COUNTER_HOURS
        if self.blocked_at(at) is not None:
            return BookingProblem.BLOCKED_PERIOD
        return None

    def open_slots(
        self, first: date, last: date, now_ms: int, closed: Callable[[date], str | None]
    ) -> Iterator[datetime]:
        """Every bookable slot start from ``first`` to ``last`` (office-local days, both included), in order."""
        day = first
        while day <= last:
            for start in self.starts_on(day):
                at = datetime.combine(day, start)
                if self.problem(at, now_ms, closed) is None:
                    yield at
            day += timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SlotUse:
    """How many places of one slot are taken, and by which cases."""

    at: datetime
    taken: int
    cases: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class FreeSlot:
    """A slot with its free places."""

    at: datetime
    places: int
    taken: int

    @property
    def free(self) -> int:
        """Places left (never below 0: a supervisor may book beyond capacity)."""
        return max(0, self.places - self.taken)


def slot_key(at: datetime) -> str:
    """``2026-12-10T09:30``: how a slot is named in ids, in the chat and in storage."""
    return at.strftime("%Y-%m-%dT%H:%M")


def parse_slot_key(value: str) -> datetime | None:
    """The office-local start named by :func:`slot_key` (None if it is not one)."""
    if not SLOT_KEY.fullmatch(value):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
