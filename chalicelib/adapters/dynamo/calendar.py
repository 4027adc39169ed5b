"""The calendar table: each office's calendar (``config``) and the places taken in its slots (``slot#<local time>``).

One partition per office, sorted by slot: the free places of any range of days are one Query that reads only the
slots someone booked (a slot nobody booked has no item). A place is taken in the same transaction that saves the
case's appointment (see :mod:`chalicelib.adapters.dynamo.cases`), with a condition on the slot's count.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from chalicelib.domain.calendar import BlockedPeriod, CounterHours, OfficeCalendar, SlotUse, parse_slot_key, slot_key
from chalicelib.services.calendar.ports import CalendarConflict, SlotClaim

UNBOUND = "unbound-table"
CONFIG = "config"
SLOT = "slot#"
KEEP_SLOTS_DAYS = 90  # a slot's count is kept this long after its day (case ids only), then TTL removes it


class CalendarModel(Model):
    """A calendar's settings, or one slot's taken places and the cases that hold them."""

    class Meta:
        table_name = UNBOUND

    office = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    data = JSONAttribute(null=True)
    version = NumberAttribute(null=True)
    taken = NumberAttribute(null=True)
    cases = UnicodeSetAttribute(null=True)
    expires_at = TTLAttribute(null=True)


def calendar_to_json(calendar: OfficeCalendar) -> dict[str, Any]:
    """The stored (and published) settings of a calendar."""
    return {
        "timezone": calendar.timezone,
        "hours": [
            {"weekday": h.weekday, "opens": h.opens.strftime("%H:%M"), "closes": h.closes.strftime("%H:%M")}
            for h in calendar.hours
        ],
        "slot_minutes": calendar.slot_minutes,
        "places": calendar.places,
        "closed_dates": [d.isoformat() for d in calendar.closed_dates],
        "blocked": [
            {"starts": slot_key(b.starts), "ends": slot_key(b.ends), "reason": b.reason} for b in calendar.blocked
        ],
        "change_hours": calendar.change_hours,
        "horizon_days": calendar.horizon_days,
        "updated_by": calendar.updated_by,
    }


def calendar_from_json(office: str, data: dict[str, Any], version: int) -> OfficeCalendar:
    """A calendar from its stored settings."""
    return OfficeCalendar(
        office=office,
        timezone=str(data["timezone"]),
        hours=tuple(
            CounterHours(int(h["weekday"]), time.fromisoformat(h["opens"]), time.fromisoformat(h["closes"]))
            for h in data.get("hours", [])
        ),
        slot_minutes=int(data["slot_minutes"]),
        places=int(data["places"]),
        closed_dates=tuple(date.fromisoformat(d) for d in data.get("closed_dates", [])),
        blocked=tuple(
            BlockedPeriod(datetime.fromisoformat(b["starts"]), datetime.fromisoformat(b["ends"]), str(b["reason"]))
            for b in data.get("blocked", [])
        ),
        change_hours=int(data.get("change_hours", 24)),
        horizon_days=int(data.get("horizon_days", 60)),
        version=version,
        updated_by=data.get("updated_by"),
    )


def slot_item_key(at: datetime) -> str:
    """The sort key of the slot starting at ``at`` (office-local)."""
    return f"{SLOT}{slot_key(at)}"


def take_action(claim: SlotClaim) -> tuple[CalendarModel, list[Any], Any]:
    """The item, actions and condition that take one place of ``claim``'s slot for its case, once."""
    item = CalendarModel(claim.office, slot_item_key(claim.at))
    keep_until = datetime.combine(claim.at.date(), time(), tzinfo=UTC) + timedelta(days=KEEP_SLOTS_DAYS)
    actions = [
        CalendarModel.taken.add(1),
        CalendarModel.cases.add({claim.case_id}),
        CalendarModel.expires_at.set(keep_until),
    ]
    condition: Any = ~CalendarModel.cases.contains(claim.case_id)
    if claim.capacity is not None:
        room = CalendarModel.taken.does_not_exist() | (CalendarModel.taken < claim.capacity)
        condition = room & condition
    return item, actions, condition


def release_action(claim: SlotClaim) -> tuple[CalendarModel, list[Any], Any]:
    """The item, actions and condition that give ``claim``'s place back (only if its case holds one there)."""
    item = CalendarModel(claim.office, slot_item_key(claim.at))
    actions = [CalendarModel.taken.add(-1), CalendarModel.cases.delete({claim.case_id})]
    return item, actions, CalendarModel.cases.contains(claim.case_id)


class DynamoCalendarStore:
    """:class:`~chalicelib.services.calendar.ports.CalendarStore` on the calendar table."""

    def get(self, office: str) -> OfficeCalendar | None:
        try:
            item = CalendarModel.get(office, CONFIG, consistent_read=True)
        except CalendarModel.DoesNotExist:
            return None
        return calendar_from_json(office, dict(item.data or {}), int(item.version or 0))

    def save(self, calendar: OfficeCalendar) -> OfficeCalendar:
        version = calendar.version + 1
        item = CalendarModel(calendar.office, CONFIG, data=calendar_to_json(calendar), version=version)
        condition = (
            CalendarModel.key.does_not_exist() if calendar.version == 0 else CalendarModel.version == calendar.version
        )
        try:
            item.save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise CalendarConflict(calendar.office) from None
            raise
        return calendar_from_json(calendar.office, calendar_to_json(calendar), version)

    def uses(self, office: str, first: date, last: date) -> list[SlotUse]:
        window = CalendarModel.key.between(f"{SLOT}{first.isoformat()}", f"{SLOT}{last.isoformat()}~")
        found = []
        for item in CalendarModel.query(office, window):
            at = parse_slot_key(item.key.removeprefix(SLOT))
            if at is not None:
                found.append(SlotUse(at, int(item.taken or 0), frozenset(item.cases or ())))
        return found
