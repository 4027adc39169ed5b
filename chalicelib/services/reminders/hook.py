"""The case repository, with each stored change followed by :func:`schedule_for`: the one place where reminders
follow case events (documents requested, received, rejected; the visit booked; the case closed), whichever use
case, officer's or chat's, made the change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.observability import get_logger
from chalicelib.services.reminders.schedule import schedule_for

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from chalicelib.domain.cases import Case, CaseEvent, MessagePreview
    from chalicelib.domain.documents import CaseDocument
    from chalicelib.services.calendar.ports import SlotClaim
    from chalicelib.services.cases.ports import AssignedFilter, CaseFilter, CasePage, CaseRepository
    from chalicelib.services.messages.ports import OutboxEntry
    from chalicelib.services.reminders.schedule import SchedulerDeps

log = get_logger("reminders")


@dataclass(frozen=True, slots=True)
class SchedulingCases:
    """A :class:`CaseRepository` that keeps reminders in step with every case it adds or saves."""

    inner: CaseRepository
    scheduler: SchedulerDeps

    def _follow(self, case: Case) -> Case:
        try:
            schedule_for(self.scheduler, case)
        except Exception as exc:  # the officer's change is saved; the next change or sweep re-plans
            log.error("reminder_scheduling_failed", extra={"error_type": type(exc).__name__})
        return case

    def get(self, case_id: str) -> Case:
        return self.inner.get(case_id)

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

    def add_events(self, case_id: str, events: Iterable[CaseEvent]) -> None:
        self.inner.add_events(case_id, events)

    def events(self, case_id: str) -> list[CaseEvent]:
        return self.inner.events(case_id)

    def add_document(self, document: CaseDocument) -> None:
        self.inner.add_document(document)

    def documents(self, case_id: str) -> list[CaseDocument]:
        return self.inner.documents(case_id)

    def list(self, office: str, filters: CaseFilter, limit: int, start_key: dict[str, Any] | None) -> CasePage:
        return self.inner.list(office, filters, limit, start_key)

    def open_case_for(self, applicant_key: str) -> Case | None:
        return self.inner.open_case_for(applicant_key)

    def latest_case_for(self, applicant_key: str) -> Case | None:
        return self.inner.latest_case_for(applicant_key)

    def updated_since(self, office: str, since_ms: int) -> Iterator[Case]:
        return self.inner.updated_since(office, since_ms)

    def set_document_item(self, case_id: str, document_id: str, item_code: str) -> None:
        self.inner.set_document_item(case_id, document_id, item_code)

    def inbox(
        self, office: str, assigned: AssignedFilter | None, limit: int, start_key: dict[str, Any] | None
    ) -> CasePage:
        return self.inner.inbox(office, assigned, limit, start_key)

    def touch_from_chat(
        self, case_id: str, *, unanswered: bool, language: str | None, preview: MessagePreview | None = None
    ) -> None:
        self.inner.touch_from_chat(case_id, unanswered=unanswered, language=language, preview=preview)
