"""Case use cases for officers: register, read, list. Every read of a case or a document is audited.

Office scoping lives here, not in the HTTP layer: a case of another office is reported exactly like a case that
does not exist, so that ids cannot be probed across offices.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.auth.errors import SupervisorOnly
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.cases import Case, CaseApplicant, CaseEvent, CaseStatus
from chalicelib.domain.checklist import Checklist
from chalicelib.domain.files import content_disposition
from chalicelib.domain.templates import CASE_OPENED
from chalicelib.services.audit import record
from chalicelib.services.cases.ports import CaseNotFound, VersionConflict
from chalicelib.services.messages.notices import Notice
from chalicelib.services.officers import display_name

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import date

    from chalicelib.auth import Officer
    from chalicelib.domain.catalogue import Catalogue, Procedure
    from chalicelib.domain.documents import CaseDocument
    from chalicelib.domain.upload_links import IssuedLink, LinkPurpose
    from chalicelib.services.audit import AuditLog
    from chalicelib.services.calendar.slots import CalendarDeps
    from chalicelib.services.cases.ports import CaseFilter, CasePage, CaseRepository, DocumentStorage
    from chalicelib.services.messages.notices import Notifier
    from chalicelib.services.messages.ports import ThreadStore
    from chalicelib.services.officers import OfficerDirectory

ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L: ids are read out over the phone


@dataclass(frozen=True, slots=True)
class CaseDeps:
    """What the case use cases need, wired by bootstrap."""

    cases: CaseRepository
    storage: DocumentStorage
    audit: AuditLog
    notifier: Notifier
    catalogue: Callable[[], Catalogue]
    clock_ms: Callable[[], int]
    issue_link: Callable[
        [Case, LinkPurpose], IssuedLink
    ]  # a fresh secure upload link for the case, and why it was issued
    thread: ThreadStore
    officers: OfficerDirectory
    calendar: CalendarDeps
    link_seconds: int = 300
    max_document_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RegisterCase:
    """``POST /api/cases``."""

    procedure: Procedure
    permit_type: str
    applicant: CaseApplicant
    pratica_number: str | None = None
    permit_expiry: date | None = None
    assigned_officer: str | None = None
    # How the applicant came to this procedure where the catalogue tells paths apart (e.g. family: reunification,
    # art. 30, family of an Italian citizen): only that path's documents are listed as needed.
    variant: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentLink:
    """A document with its short-lived download link."""

    document: CaseDocument
    url: str
    expires_in_s: int


@dataclass(frozen=True, slots=True)
class CaseView:
    """Everything an officer sees of a case."""

    case: Case
    events: list[CaseEvent]
    documents: list[DocumentLink]


def audit(deps: CaseDeps, officer: Officer, action: AuditAction, case_id: str | None, **detail: str) -> None:
    """Append one entry to the audit log."""
    record(deps.audit, officer, action, case_id, deps.clock_ms(), **detail)


def load_case(deps: CaseDeps, officer: Officer, case_id: str) -> Case:
    """The case, if it belongs to the officer's office."""
    case = deps.cases.get(case_id)
    if case.office != officer.office:
        raise CaseNotFound(case_id)
    return case


def new_case_id(office: str) -> str:
    """``AN-7K3M9Q``: the office, then 8 random characters (40 bits): short enough to dictate."""
    return f"{office}-{''.join(secrets.choice(ID_ALPHABET) for _ in range(8))}"


def register_case(deps: CaseDeps, officer: Officer, command: RegisterCase) -> tuple[Case, str]:
    """Open a case with its checklist and send the applicant the opening template; returns the send outcome."""
    if not officer.is_supervisor and command.assigned_officer not in (officer.username, None):
        raise SupervisorOnly("officers can only register a case for themselves or for nobody")
    spec = deps.catalogue().procedure(command.permit_type, command.procedure)
    if command.variant is not None:
        spec.variant(command.variant)  # UnknownVariant, with the procedure's own, before anything is written
    assignee_name = display_name(deps.officers, officer, command.assigned_officer)
    now = deps.clock_ms()
    for _ in range(3):  # a clash of random ids is rare; the conditional write catches it
        case = Case(
            case_id=new_case_id(officer.office),
            office=officer.office,
            procedure=command.procedure,
            permit_type=command.permit_type,
            applicant=command.applicant,
            checklist=Checklist.for_procedure(spec, command.variant),
            status=CaseStatus.REGISTERED,
            created_at_ms=now,
            status_since_ms=now,
            updated_at_ms=now,
            pratica_number=command.pratica_number,
            permit_expiry=command.permit_expiry,
            assigned_officer=command.assigned_officer,
            assigned_officer_name=assignee_name,
        )
        event = CaseEvent(
            "case_registered",
            now,
            officer.actor,
            {"procedure": command.procedure.value, "permit_type": command.permit_type}
            | ({"variant": command.variant} if command.variant else {}),
        )
        # The opening message is queued in the case's first write (the outbox) and sent after: a crash between
        # the two leaves it to the outbox sweep, never lost. Its id is the case's own, so it is told once.
        opening = deps.notifier.build(
            case,
            Notice("notice.case_opened", {"case_ref": case.case_id}, CASE_OPENED),
            f"case.{case.case_id}.opening",
            force_template=True,
            author=officer.actor,
        )
        try:
            case = deps.cases.add(case, [event], outbox=deps.notifier.queue(opening))
            break
        except VersionConflict:
            continue
    else:
        raise VersionConflict("could not allocate a case id")
    audit(deps, officer, AuditAction.CASE_REGISTER, case.case_id, permit_type=command.permit_type)
    return case, deps.notifier.send_queued(opening).value


def view_case(deps: CaseDeps, officer: Officer, case_id: str) -> CaseView:
    """The case, its timeline and its documents with short-lived links; the view and each link are audited."""
    case = load_case(deps, officer, case_id)
    audit(deps, officer, AuditAction.CASE_VIEW, case_id)
    links = []
    for document in deps.cases.documents(case_id):
        # Shown inline by the console, under the sniffed type and a safe name (names stored before issue 15 too).
        url = deps.storage.link(
            document.storage_key,
            deps.link_seconds,
            content_type=document.content_type,
            disposition=content_disposition(document.filename, document.content_type),
        )
        audit(deps, officer, AuditAction.DOCUMENT_VIEW, case_id, document_id=document.document_id)
        links.append(DocumentLink(document, url, deps.link_seconds))
    return CaseView(case, deps.cases.events(case_id), links)


def list_cases(
    deps: CaseDeps, officer: Officer, filters: CaseFilter, limit: int, start_key: Mapping[str, Any] | None
) -> CasePage:
    """A page of the officer's office's cases."""
    page = deps.cases.list(officer.office, filters, limit, dict(start_key) if start_key else None)
    audit(deps, officer, AuditAction.CASE_LIST, None, count=str(len(page.cases)))
    return page
