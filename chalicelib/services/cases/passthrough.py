"""A case repository that hands every call to another: the base of the repositories that add one behaviour to
the stored changes (reminders following them, retention clocks, a turn's named timeline lines), so that each
overrides only the calls it changes and a method added to the port is passed through in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from chalicelib.domain.cases import Case, CaseEvent, MessagePreview
    from chalicelib.domain.documents import CaseDocument
    from chalicelib.services.calendar.ports import SlotClaim
    from chalicelib.services.cases.ports import AssignedFilter, CaseFilter, CasePage, CaseRepository
    from chalicelib.services.messages.ports import OutboxEntry


class PassThroughCases:
    """Every :class:`CaseRepository` call, handed to ``inner`` (a field of the subclass, a frozen dataclass)."""

    __slots__ = ()
    inner: CaseRepository

    def get(self, case_id: str) -> Case:
        return self.inner.get(case_id)

    def add(self, case: Case, events: Iterable[CaseEvent], *, outbox: OutboxEntry | None = None) -> Case:
        return self.inner.add(case, events, outbox=outbox)

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
        return self.inner.save(case, events, take, release, documents, outbox=outbox)

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

    def inbox(
        self, office: str, assigned: AssignedFilter | None, limit: int, start_key: dict[str, Any] | None
    ) -> CasePage:
        return self.inner.inbox(office, assigned, limit, start_key)

    def open_case_for(self, applicant_key: str) -> Case | None:
        return self.inner.open_case_for(applicant_key)

    def latest_case_for(self, applicant_key: str) -> Case | None:
        return self.inner.latest_case_for(applicant_key)

    def updated_since(self, office: str, since_ms: int) -> Iterator[Case]:
        return self.inner.updated_since(office, since_ms)

    def set_document_item(self, case_id: str, document_id: str, item_code: str) -> None:
        self.inner.set_document_item(case_id, document_id, item_code)

    def touch_from_chat(
        self, case_id: str, *, unanswered: bool, language: str | None, preview: MessagePreview | None = None
    ) -> None:
        self.inner.touch_from_chat(case_id, unanswered=unanswered, language=language, preview=preview)
