"""The case repository, with each stored change followed by :func:`schedule_for`: the one place where reminders
follow case events (documents requested, received, rejected; the visit booked; the case closed), whichever use
case, officer's or chat's, made the change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.observability import get_logger
from chalicelib.services.cases.passthrough import PassThroughCases
from chalicelib.services.reminders.schedule import schedule_for

if TYPE_CHECKING:
    from collections.abc import Iterable

    from chalicelib.domain.cases import Case, CaseEvent
    from chalicelib.domain.documents import CaseDocument
    from chalicelib.services.calendar.ports import SlotClaim
    from chalicelib.services.cases.ports import CaseRepository
    from chalicelib.services.messages.ports import OutboxEntry
    from chalicelib.services.reminders.schedule import SchedulerDeps

log = get_logger("reminders")


@dataclass(frozen=True, slots=True)
class SchedulingCases(PassThroughCases):
    """A :class:`CaseRepository` that keeps reminders in step with every case it adds or saves."""

    inner: CaseRepository
    scheduler: SchedulerDeps

    def _follow(self, case: Case) -> Case:
        try:
            schedule_for(self.scheduler, case)
        except Exception as exc:  # the officer's change is saved; the next change or sweep re-plans
            log.error("reminder_scheduling_failed", extra={"error_type": type(exc).__name__})
        return case

    def add(self, case: Case, events: Iterable[CaseEvent], *, outbox: OutboxEntry | None = None) -> Case:
        return self._follow(self.inner.add(case, events, outbox=outbox))

    def save(
        self,
        case: Case,
        events: Iterable[CaseEvent],
        take: SlotClaim | None = None,
        release: SlotClaim | None = None,
        documents: Iterable[CaseDocument] = (),
        *,
        outbox: OutboxEntry | None = None,
    ) -> Case:
        return self._follow(self.inner.save(case, events, take, release, documents, outbox=outbox))
