"""Demo data for the local system: closed cases of the past weeks, so that the public waiting times show figures,
and a counter calendar for Ancona, whose real counter hours ``offices.json`` does not know (it never guesses them).

The applicants are synthetic (a business-scoped id, no phone number, so nothing is ever sent to them), the cases
belong to office AN and have fixed ids, so seeding twice changes nothing; the calendar is saved only where none is.
"""

from __future__ import annotations

from dataclasses import replace

from chalicelib.bootstrap import Container, now_ms
from chalicelib.catalogue import load_catalogue
from chalicelib.domain.actors import SERVICE
from chalicelib.domain.cases import Case, CaseApplicant, CaseEvent, CaseStatus, CloseReason
from chalicelib.domain.catalogue import Procedure
from chalicelib.domain.checklist import Checklist
from chalicelib.services.cases.ports import VersionConflict
from chalicelib.services.cases.registry import ID_ALPHABET
from chalicelib.settings import Settings

DAY_MS = 24 * 60 * 60 * 1000
# (permit type, days from registration to a complete checklist, then days to the appointment)
DEMO = [
    ("studio", 9, 5),
    ("studio", 12, 4),
    ("studio", 15, 7),
    ("studio", 7, 3),
    ("studio", 11, 6),
    ("studio", 20, 9),
    ("lavoro_subordinato", 14, 8),
    ("lavoro_subordinato", 18, 6),
    ("lavoro_subordinato", 10, 5),
    ("lavoro_subordinato", 25, 10),
    ("lavoro_subordinato", 16, 7),
    ("famiglia", 21, 12),
    ("famiglia", 13, 9),
]


def demo_case_id(n: int) -> str:
    """``AN-DEMZZZ..``: a fixed id in the same alphabet as real ones (no 0, O, 1, I or L)."""
    return f"AN-DEMZZZ{ID_ALPHABET[n // len(ID_ALPHABET)]}{ID_ALPHABET[n % len(ID_ALPHABET)]}"


def seed(container: Container) -> int:
    """Add the demo cases that are missing and recompute the waiting times; returns how many were added."""
    now = now_ms()
    catalogue = load_catalogue()
    added = 0
    for n, (permit, to_complete, to_visit) in enumerate(DEMO, start=1):
        created = now - (40 + n) * DAY_MS
        spec = catalogue.procedure(permit, Procedure.RINNOVO)
        applicant = CaseApplicant(None, None, f"IT.DEMO{n:04d}", f"Demo applicant {n}", "it")
        completed = created + to_complete * DAY_MS
        booked = completed + to_visit * DAY_MS
        case = Case(
            demo_case_id(n),
            "AN",
            Procedure.RINNOVO,
            permit,
            applicant,
            Checklist.for_procedure(spec),
            CaseStatus.CLOSED,
            created,
            booked + DAY_MS,
            booked + DAY_MS,
            close_reason=CloseReason.COMPLETED,
            completed_at_ms=completed,
            booked_at_ms=booked,
        )
        try:
            container.cases.add(
                replace(case), [CaseEvent("case_registered", created, SERVICE, {"permit_type": permit, "demo": True})]
            )
            added += 1
        except VersionConflict:
            continue
    seed_calendar(container)
    from chalicelib.handlers import refresh_waiting_times

    refresh_waiting_times()
    return added


def seed_calendar(container: Container) -> bool:
    """A demo counter for Ancona (weekday mornings, Tuesday and Thursday afternoons; 15-minute slots, 2 places),
    unless a calendar is saved already; True when it saved one."""
    from datetime import time

    from chalicelib.domain.calendar import CounterHours, OfficeCalendar
    from chalicelib.offices import office
    from chalicelib.services.calendar.ports import CalendarConflict

    store = container.calendar_deps.store
    if store.get("AN") is not None:
        return False
    mornings = tuple(CounterHours(day, time(8, 30), time(12, 30)) for day in range(5))
    afternoons = tuple(CounterHours(day, time(14, 30), time(16, 30)) for day in (1, 3))
    calendar = OfficeCalendar("AN", office("AN").timezone, mornings + afternoons, slot_minutes=15, places=2)
    try:
        store.save(replace(calendar, updated_by="demo"))
    except CalendarConflict:
        return False
    return True


def main() -> None:
    """``python -m devtools.demo`` against whatever endpoint the environment names."""
    print(f"demo cases added: {seed(Container(Settings.from_env()))}")


if __name__ == "__main__":
    main()
