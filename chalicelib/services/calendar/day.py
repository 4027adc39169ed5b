"""The counter's day: who comes when, for the staff at the counter (audited: it lists people)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.audit import AuditAction
from chalicelib.services.audit import record
from chalicelib.services.cases.ports import CaseNotFound

if TYPE_CHECKING:
    from datetime import date, datetime

    from chalicelib.auth import Officer
    from chalicelib.domain.cases import Case
    from chalicelib.services.calendar.slots import CalendarDeps
    from chalicelib.services.cases.ports import CaseRepository


@dataclass(frozen=True, slots=True)
class Visit:
    """One expected visit: the slot and the case (whose appointment is at that slot)."""

    at: datetime
    case: Case


def day_list(deps: CalendarDeps, cases: CaseRepository, officer: Officer, day: date) -> list[Visit]:
    """The visits booked on ``day`` at the officer's office, in order (one Query for the day's slots, then the
    cases in them)."""
    visits = []
    for use in sorted(deps.store.uses(officer.office, day, day), key=lambda u: u.at):
        for case_id in sorted(use.cases):
            try:
                case = cases.get(case_id)
            except CaseNotFound:
                continue  # erased since: its place is no one's
            if case.office == officer.office and case.appointment is not None and case.appointment.at == use.at:
                visits.append(Visit(use.at, case))
    record(deps.audit, officer, AuditAction.CALENDAR_DAY_VIEW, None, deps.clock_ms(), count=str(len(visits)))
    return visits
