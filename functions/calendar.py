"""The office's counter calendar under ``/api/calendar``: read it, edit it (supervisors), its free slots, its day."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container
from chalicelib.domain.calendar import WEEKDAYS, BlockedPeriod, CounterHours, OfficeCalendar, slot_key
from chalicelib.services.calendar.day import day_list
from chalicelib.services.calendar.slots import calendar_of, closing_reason, free_slots, update_calendar
from functions import presenters
from functions.api import answer, officer_of
from functions.inputs import InvalidInput, iso_date, json_body, json_response, local_datetime

bp = Blueprint(__name__)
DEFAULT_DAYS = 14


def calendar_json(calendar: OfficeCalendar, closing: list[tuple[date, str]]) -> dict[str, Any]:
    """The calendar as the API shows it, with the closing days of its horizon."""
    return {
        "office": calendar.office,
        "timezone": calendar.timezone,
        "configured": calendar.configured,
        "hours": [
            {"day": WEEKDAYS[h.weekday], "opens": h.opens.strftime("%H:%M"), "closes": h.closes.strftime("%H:%M")}
            for h in sorted(calendar.hours, key=lambda h: (h.weekday, h.opens))
        ],
        "slot_minutes": calendar.slot_minutes,
        "places": calendar.places,
        "closed_dates": [d.isoformat() for d in sorted(calendar.closed_dates)],
        "blocked": [
            {"starts": slot_key(b.starts), "ends": slot_key(b.ends), "reason": b.reason} for b in calendar.blocked
        ],
        "change_hours": calendar.change_hours,
        "horizon_days": calendar.horizon_days,
        "closing_days": [{"date": d.isoformat(), "reason": why} for d, why in closing],
        "version": calendar.version,
        "updated_by": calendar.updated_by,
    }


def _clock(value: Any, name: str) -> time:
    try:
        parsed = time.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a time, HH:MM") from None
    return parsed


def _list(body: dict[str, Any], name: str, limit: int) -> list[Any]:
    value = body.get(name, [])
    if not isinstance(value, list) or len(value) > limit:
        raise InvalidInput(f"{name} must be a list of at most {limit}")
    return value


def _hours(body: dict[str, Any]) -> tuple[CounterHours, ...]:
    hours = []
    for entry in _list(body, "hours", 28):
        if not isinstance(entry, dict) or entry.get("day") not in WEEKDAYS:
            raise InvalidInput(f"each opening needs a day: one of {', '.join(WEEKDAYS)}")
        day = WEEKDAYS.index(entry["day"])
        hours.append(CounterHours(day, _clock(entry.get("opens"), "opens"), _clock(entry.get("closes"), "closes")))
    return tuple(hours)


def _blocked(body: dict[str, Any]) -> tuple[BlockedPeriod, ...]:
    periods = []
    for entry in _list(body, "blocked", 100):
        if not isinstance(entry, dict) or not isinstance(entry.get("reason"), str) or len(entry["reason"]) > 200:
            raise InvalidInput("each blocked period needs starts, ends and a reason (at most 200 characters)")
        periods.append(
            BlockedPeriod(
                local_datetime(entry.get("starts"), "starts"),
                local_datetime(entry.get("ends"), "ends"),
                entry["reason"],
            )
        )
    return tuple(periods)


def _whole(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number")
    return value


def calendar_from_body(body: dict[str, Any], office: str, timezone: str) -> OfficeCalendar:
    """A calendar from a ``PUT /api/calendar`` body (:class:`InvalidCalendar` when it cannot work)."""
    return OfficeCalendar(
        office=office,
        timezone=timezone,
        hours=_hours(body),
        slot_minutes=_whole(body, "slot_minutes"),
        places=_whole(body, "places"),
        closed_dates=tuple(iso_date(d, "closed_dates") for d in _list(body, "closed_dates", 366)),
        blocked=_blocked(body),
        change_hours=_whole(body, "change_hours"),
        horizon_days=_whole(body, "horizon_days"),
        version=_whole(body, "version"),
    )


def _closing(calendar: OfficeCalendar) -> list[tuple[date, str]]:
    deps = container().calendar_deps
    closed = closing_reason(deps, calendar)
    today = calendar.local_now(deps.clock_ms()).date()
    days = (today + timedelta(days=n) for n in range(calendar.horizon_days + 1))
    return [(day, why) for day in days if (why := closed(day))]


@bp.route("/api/calendar", methods=["GET"])
def get_calendar() -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        calendar = calendar_of(container().calendar_deps, officer.office)
        return json_response(calendar_json(calendar, _closing(calendar)))

    return answer(run)


@bp.route("/api/calendar", methods=["PUT"], content_types=["application/json"])
def put_calendar() -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        deps = container().calendar_deps
        current = calendar_of(deps, officer.office)
        wanted = calendar_from_body(json_body(bp.current_request), officer.office, current.timezone)
        saved = update_calendar(deps, officer, wanted)
        return json_response(calendar_json(saved, _closing(saved)))

    return answer(run)


@bp.route("/api/calendar/slots", methods=["GET"])
def get_slots() -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        deps = container().calendar_deps
        params = dict(bp.current_request.query_params or {})
        calendar = calendar_of(deps, officer.office)
        today = calendar.local_now(deps.clock_ms()).date()
        first = iso_date(params["from"], "from") if params.get("from") else today
        last = iso_date(params["to"], "to") if params.get("to") else first + timedelta(days=DEFAULT_DAYS - 1)
        slots = free_slots(deps, calendar, first, last)
        return json_response(
            {"configured": calendar.configured, "slots": [presenters.slot_json(slot) for slot in slots]}
        )

    return answer(run)


@bp.route("/api/calendar/day", methods=["GET"])
def get_day() -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        params = dict(bp.current_request.query_params or {})
        if not params.get("date"):
            raise InvalidInput("date is required, YYYY-MM-DD")
        day = iso_date(params["date"], "date")
        visits = day_list(container().calendar_deps, container().cases, officer, day)
        return json_response(
            {
                "date": day.isoformat(),
                "visits": [
                    {
                        "at": slot_key(visit.at),
                        "case": presenters.case_summary(visit.case),
                        "attended": visit.case.appointment.attended if visit.case.appointment else None,
                    }
                    for visit in visits
                ],
            }
        )

    return answer(run)
