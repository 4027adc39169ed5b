"""Access (GDPR art. 15): everything held about a case's applicant, for a supervisor to hand over.

One audited read of the case, its timeline, its documents (with short-lived links to the files), the whole thread,
the upload links (never their tokens: only hashes are stored), the reminders and the applicant's own record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.audit import AuditAction
from chalicelib.services.cases.erasure import require_supervisor
from chalicelib.services.cases.registry import DocumentLink, audit, load_case
from chalicelib.services.messages.notices import applicant_ref

if TYPE_CHECKING:
    from collections.abc import Mapping

    from chalicelib.auth import Officer
    from chalicelib.domain.cases import Case, CaseEvent
    from chalicelib.domain.reminders import Reminder
    from chalicelib.domain.thread import ThreadEntry
    from chalicelib.domain.upload_links import UploadLink
    from chalicelib.services.cases.registry import CaseDeps
    from chalicelib.services.reminders.ports import ReminderStore
    from chalicelib.services.uploads.ports import UploadLinkStore

THREAD_PAGE = 100
MAX_THREAD_PAGES = 100  # 10,000 messages: far beyond a case's thread, and a bound on one request's work


class ApplicantRecords(Protocol):
    """The applicant's own record, as stored (WhatsApp ids, profile name, language, conversation state...)."""

    def record(self, applicant_key: str) -> Mapping[str, Any] | None:
        """The stored fields, or None."""
        ...


@dataclass(frozen=True, slots=True)
class ExportDeps:
    """What the export reads besides the case use cases' stores."""

    case: CaseDeps
    links: UploadLinkStore
    reminders: ReminderStore
    applicants: ApplicantRecords


@dataclass(frozen=True, slots=True)
class CaseExport:
    """Everything held about the applicant of one case."""

    case: Case
    events: list[CaseEvent]
    documents: list[DocumentLink]
    thread: list[ThreadEntry]
    thread_complete: bool
    links: list[UploadLink]
    reminders: list[Reminder]
    applicant: Mapping[str, Any] | None
    exported_at_ms: int


def _thread(deps: ExportDeps, case_id: str) -> tuple[list[ThreadEntry], bool]:
    entries: list[ThreadEntry] = []
    before: str | None = None
    for _ in range(MAX_THREAD_PAGES):
        page = deps.case.thread.page(case_id, before, THREAD_PAGE)
        entries[:0] = page.entries  # pages come newest first, each oldest first
        if page.older is None:
            return entries, True
        before = page.older
    return entries, False


def export_case(deps: ExportDeps, officer: Officer, case_id: str) -> CaseExport:
    """``GET /api/cases/{id}/export`` (supervisors; audited)."""
    require_supervisor(officer)
    case = load_case(deps.case, officer, case_id)
    audit(deps.case, officer, AuditAction.CASE_EXPORT, case_id)
    documents = []
    for document in deps.case.cases.documents(case_id):
        url = deps.case.storage.link(document.storage_key, deps.case.link_seconds, content_type=document.content_type)
        audit(deps.case, officer, AuditAction.DOCUMENT_VIEW, case_id, document_id=document.document_id)
        documents.append(DocumentLink(document, url, deps.case.link_seconds))
    thread, complete = _thread(deps, case_id)
    applicant = None if case.erased is not None else deps.applicants.record(applicant_ref(case).key)
    return CaseExport(
        case=case,
        events=deps.case.cases.events(case_id),
        documents=documents,
        thread=thread,
        thread_complete=complete,
        links=deps.links.for_case(case_id),
        reminders=deps.reminders.for_case(case_id),
        applicant=applicant,
        exported_at_ms=deps.case.clock_ms(),
    )
