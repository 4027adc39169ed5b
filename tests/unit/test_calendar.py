"""The counter calendar's rules: slots, what cannot be booked and why, clocks that change, holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from chalicelib.adapters.holidays import ItalianHolidays
from chalicelib.domain.calendar import (
    BlockedPeriod,
    BookingProblem,
    CounterHours,
    InvalidCalendar,
    OfficeCalendar,
    parse_slot_key,
    slot_key,
)
from chalicelib.offices import office

ROME = "Europe/Rome"
MONDAY, TUESDAY = 0, 1
NOW = int(datetime(2026, 12, 3, 8, 0, tzinfo=UTC).timestamp() * 1000)  # Thursday 3 Dec 2026, 09:00 in Rome


def _calendar(**changes: object) -> OfficeCalendar:
    hours = (
        CounterHours(MONDAY, time(9), time(12, 30)),
        CounterHours(TUESDAY, time(9), time(12)),
        CounterHours(TUESDAY, time(15), time(16)),
        *(CounterHours(day, time(9), time(12)) for day in range(2, 5)),
    )
    settings: dict[str, object] = {"hours": hours, "slot_minutes": 30, "places": 2, **changes}
    return OfficeCalendar("AN", ROME, **settings)  # type: ignore[arg-type]


def _open(day: date) -> str | None:
    return None


def test_a_day_is_cut_into_whole_slots_of_each_opening() -> None:
    calendar = _calendar()
    tuesday = date(2026, 12, 8)
    assert [t.strftime("%H:%M") for t in calendar.starts_on(tuesday)] == [
        "09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "15:00", "15:30",
    ]  # fmt: skip
    assert calendar.starts_on(date(2026, 12, 7))[-1] == time(12)  # 12:00-12:30 fits; 12:30 does not start one
    assert calendar.starts_on(date(2026, 12, 6)) == []  # Sunday


@pytest.mark.parametrize(
    ("at", "problem"),
    [
        (datetime(2020, 1, 6, 9, 0), BookingProblem.IN_THE_PAST),
        (datetime(2026, 12, 3, 9, 0), BookingProblem.IN_THE_PAST),  # now, to the minute
        (datetime(2026, 12, 3, 9, 30), None),
        (datetime(2026, 12, 13, 3, 0), BookingProblem.OUTSIDE_COUNTER_HOURS),  # a Sunday, 3 a.m. (seen in a trial)
        (datetime(2026, 12, 9, 9, 15), BookingProblem.OUTSIDE_COUNTER_HOURS),  # not a slot's start
        (datetime(2026, 12, 9, 12, 0), BookingProblem.OUTSIDE_COUNTER_HOURS),  # closing time
        (datetime(2026, 12, 9, 9, 0, 30), BookingProblem.OUTSIDE_COUNTER_HOURS),
        (datetime(2026, 12, 25, 9, 0), BookingProblem.CLOSING_DAY),  # Christmas, a Friday
        (datetime(2026, 12, 10, 9, 0), BookingProblem.CLOSING_DAY),  # the office's own closure
        (datetime(2026, 12, 11, 10, 30), BookingProblem.BLOCKED_PERIOD),
        (datetime(2026, 12, 11, 9, 30), None),  # ends as the blocked period starts
        (datetime(2027, 3, 1, 9, 0), BookingProblem.TOO_FAR_AHEAD),
    ],
)
def test_what_cannot_be_booked_says_why(at: datetime, problem: BookingProblem | None) -> None:
    calendar = _calendar(
        closed_dates=(date(2026, 12, 10),),
        blocked=(BlockedPeriod(datetime(2026, 12, 11, 10), datetime(2026, 12, 11, 11), "training"),),
    )
    holidays = ItalianHolidays(office)
    assert calendar.problem(at, NOW, lambda day: holidays("AN", day)) is problem


def test_an_office_without_counter_hours_books_nothing() -> None:
    calendar = OfficeCalendar("AN", ROME)
    assert calendar.problem(datetime(2026, 12, 9, 9, 0), NOW, _open) is BookingProblem.NOT_CONFIGURED
    assert list(calendar.open_slots(date(2026, 12, 7), date(2026, 12, 11), NOW, _open)) == []


def test_the_hours_before_a_visit_are_real_hours_across_a_change_of_clocks() -> None:
    """Clocks go back on Sunday 25 October 2026: 24 hours before Monday 09:00 is Sunday 09:00 CET = 08:00 UTC...
    and before the change, Saturday 24 October 2026 at 10:00 CEST is 08:00 UTC too."""
    calendar = _calendar(change_hours=24)
    monday = datetime(2026, 10, 26, 9, 0)
    assert calendar.change_deadline(monday) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    assert calendar.instant(monday).utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    spring = datetime(2027, 3, 29, 9, 0)  # the Monday after clocks go forward (28 March 2027)
    assert calendar.instant(spring).utcoffset().total_seconds() == 7200  # type: ignore[union-attr]
    assert calendar.change_deadline(spring) == datetime(2027, 3, 28, 7, 0, tzinfo=UTC)


def test_slots_keep_the_wall_clock_on_the_days_the_clocks_change() -> None:
    """A counter open on Sundays would still open at 09:00 on the day of the change, every slot 30 minutes."""
    calendar = OfficeCalendar("AN", ROME, (CounterHours(6, time(9), time(11)),), slot_minutes=30)
    change = date(2026, 10, 25)
    assert [t.strftime("%H:%M") for t in calendar.starts_on(change)] == ["09:00", "09:30", "10:00", "10:30"]
    october = int(datetime(2026, 10, 20, 12, tzinfo=UTC).timestamp() * 1000)
    assert calendar.problem(datetime(2026, 10, 25, 10, 30), october, _open) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"slot_minutes": 1},
        {"places": 0},
        {"places": 51},
        {"horizon_days": 0},
        {"hours": (CounterHours(MONDAY, time(12), time(9)),)},
        {"hours": (CounterHours(MONDAY, time(9), time(12)), CounterHours(MONDAY, time(11), time(13)))},
        {"blocked": (BlockedPeriod(datetime(2026, 12, 11, 11), datetime(2026, 12, 11, 10), "x"),)},
    ],
)
def test_a_calendar_that_cannot_work_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidCalendar):
        _calendar(**changes)


def test_ancona_closes_for_its_patron_saint_and_macerata_for_its_own() -> None:
    holidays = ItalianHolidays(office)
    assert holidays("AN", date(2026, 5, 4)) == "San Ciriaco"
    assert holidays("MC", date(2026, 5, 4)) is None
    assert holidays("MC", date(2026, 8, 31)) is not None  # San Giuliano, Macerata's patron saint
    assert holidays("AN", date(2026, 12, 25)) is not None and holidays("AN", date(2026, 12, 9)) is None


def test_slot_keys_round_trip_and_refuse_anything_else() -> None:
    at = datetime(2026, 12, 9, 9, 30)
    assert parse_slot_key(slot_key(at)) == at
    assert parse_slot_key("2026-12-09T25:00") is None and parse_slot_key("2026-12-09 09:30") is None
