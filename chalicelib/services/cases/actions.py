"""What officers do to a case: ask for documents, attach and review them, book the visit, write, assign, close.

Each action loads the case (office-scoped), applies the domain change, saves it with its timeline events under
the optimistic lock, audits it, and tells the applicant in their language when there is something to tell.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from chalicelib.auth.errors import SupervisorOnly
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.cases import CaseEvent, CaseStatus, CloseReason
from chalicelib.domain.documents import ACCEPTED_CONTENT_TYPES, CaseDocument, DocumentSource
from chalicelib.domain.errors import DomainError
from chalicelib.domain.files import FileProblem, RefusedFile, safe_display_name
from chalicelib.domain.outbound import OutboundMessage, Text
from chalicelib.domain.templates import (
    DOCUMENT_REJECTED,
    DOCUMENTS_REQUESTED,
    OFFICE_MESSAGE,
)
from chalicelib.domain.upload_links import LinkPurpose
from chalicelib.i18n import translate
from chalicelib.i18n.formats import format_date, format_time
from chalicelib.observability import get_logger
from chalicelib.services.calendar.booking import book_visit, drop_visit, mark_attended
from chalicelib.services.calendar.visits import booked_notice, build_offer
from chalicelib.services.cases.ports import CaseNotFound, MessageAlreadyQueued
from chalicelib.services.cases.registry import CaseDeps, audit, load_case
from chalicelib.services.inspection import inspect_file
from chalicelib.services.messages.notices import Notice, applicant_ref, document_lists
from chalicelib.services.officers import display_name

if TYPE_CHECKING:
    from datetime import datetime

    from chalicelib.auth import Officer
    from chalicelib.domain.cases import Appointment, Case
    from chalicelib.domain.checklist import Rejection
    from chalicelib.services.messages.ports import OutboxEntry


class WindowClosed(DomainError):
    """Free text is only allowed within 24 hours of the applicant's last message; a template is needed."""


class InvalidDocument(DomainError):
    """An attached file is empty, too large, not a JPEG, PNG or PDF, or not plainly one (a polyglot, a PDF with
    scripts or embedded files)."""


log = get_logger("cases")

OFFICE_PROBLEMS = {
    FileProblem.UNKNOWN_TYPE: "the file's content does not match its declared type",
    FileProblem.MISMATCH: "the file's content does not match its declared type",
    FileProblem.MALFORMED: "the file cannot be read as its declared type",
    FileProblem.ACTIVE_CONTENT: "the file carries markup, scripts, launch actions, forms or embedded files",
}


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The case after an action and what happened to the message to the applicant, if any."""

    case: Case
    notification: str | None = None


def _save(deps: CaseDeps, case: Case, events: list[CaseEvent]) -> Case:
    return deps.cases.save(case, events)


def _save_and_tell(
    deps: CaseDeps, case: Case, events: list[CaseEvent], message: OutboundMessage | None
) -> tuple[Case, str | None]:
    """Save the change with the message that tells it queued in the same write (the outbox), then send it; with
    nothing to tell, just save."""
    if message is None:
        return _save(deps, case, events), None
    saved, outcome = deps.notifier.save_then_send(deps.cases, case, events, message)
    return saved, outcome.value


def _title(case: Case, code: str) -> str:
    return translate(f"document.{code}.title", case.applicant.language)


def request_documents(deps: CaseDeps, officer: Officer, case_id: str, codes: list[str], note: str) -> ActionResult:
    """Ask the applicant for ``codes`` in one message in their language."""
    case = load_case(deps, officer, case_id)
    now = deps.clock_ms()
    checklist = case.checklist.request(codes, now, note)
    updated, events = case.with_checklist(checklist, now, officer.actor, documents_requested=True)
    events.append(CaseEvent("documents_requested", now, officer.actor, {"items": list(codes), "note": note}))
    # A one_of group asked for is one item, its alternatives together ("A, B or C").
    lines, one_line = document_lists(checklist.units_of(codes), case.applicant.language)
    notice = Notice(
        "notice.documents_requested",
        {"case_ref": case.case_id, "documents": lines},
        DOCUMENTS_REQUESTED,
        extra_text=note,  # in the window; outside it the template's wording is fixed: the upload page shows it
        # Meta refuses new lines in template parameters: the template gets the list on one line.
        template_values={"case_ref": case.case_id, "documents": one_line},
        link=deps.issue_link(case, LinkPurpose.DOCUMENTS_REQUEST),  # on a 409 it is never sent (a stored hash)
    )
    # Saved with the request, queued in the same write (the outbox), then sent: the id names the version it saves.
    message = deps.notifier.build(updated, notice, f"case.{case_id}.v{case.version + 1}.request", author=officer.actor)
    saved, outcome = deps.notifier.save_then_send(deps.cases, updated, events, message)
    audit(deps, officer, AuditAction.DOCUMENTS_REQUEST, case_id, items=",".join(codes))
    return ActionResult(saved, outcome.value)


def attach_document(
    deps: CaseDeps,
    officer: Officer,
    case_id: str,
    *,
    item_code: str,
    body: bytes,
    content_type: str,
    filename: str | None,
) -> tuple[ActionResult, CaseDocument]:
    """Attach a file an officer received for the applicant (e.g. by PEC): stored encrypted, the item ``received``.

    No orphans: the document's record is written in the case's own versioned transaction (with its timeline
    line), so a conflict records nothing; the file goes to storage just before, under a fresh id of this request
    alone, and is deleted again when the save fails (deleting it can never take a colleague's file). A crash
    between the two leaves a file no record names, under the case's prefix (deleted with the prefix when the case
    is anonymised or erased).
    """
    if content_type not in ACCEPTED_CONTENT_TYPES:
        raise InvalidDocument("only JPEG, PNG and PDF files are accepted")
    if not body or len(body) > deps.max_document_bytes:
        raise InvalidDocument(f"the file must be between 1 byte and {deps.max_document_bytes} bytes")
    try:
        inspected = inspect_file(body, content_type)
    except RefusedFile as refused:
        raise InvalidDocument(f"{OFFICE_PROBLEMS[refused.problem]} ({refused.detail})") from None
    body, filename = inspected.body, safe_display_name(filename, inspected.content_type)
    case = load_case(deps, officer, case_id)
    case.checklist.item(item_code)  # fails early for an unknown item
    now = deps.clock_ms()
    document_id = uuid.uuid4().hex
    key = f"cases/{case_id}/documents/{document_id}"
    document = CaseDocument(
        document_id,
        case_id,
        item_code,
        content_type,
        len(body),
        hashlib.sha256(body).hexdigest(),
        key,
        DocumentSource.OFFICE,
        now,
        filename,
    )
    updated, events = case.with_checklist(case.checklist.receive(item_code, document_id, now), now, officer.actor)
    events.append(
        CaseEvent(
            "document_received",
            now,
            officer.actor,
            {"item": item_code, "document_id": document_id, "source": "office"},
        )
    )
    deps.storage.put(key, body, content_type)
    try:
        saved = deps.cases.save(updated, events, documents=[document])
    except Exception:
        _discard_unsaved(deps, case_id, document_id, key)
        raise
    audit(deps, officer, AuditAction.DOCUMENT_ATTACH, case_id, document_id=document_id, item=item_code)
    return ActionResult(saved), document


def _discard_unsaved(deps: CaseDeps, case_id: str, document_id: str, key: str) -> None:
    """Delete the file of an attachment whose save failed, unless the case holds it after all (an error after
    the commit, such as a timeout). The save's own error is what the caller gets."""
    try:
        if all(item.document_id != document_id for item in deps.cases.get(case_id).checklist.items):
            deps.storage.delete(key)
    except Exception as exc:
        log.error("attachment_discard_failed", extra={"error_type": type(exc).__name__})


def review_document(
    deps: CaseDeps,
    officer: Officer,
    case_id: str,
    document_id: str,
    rejection: Rejection | None,
) -> ActionResult:
    """Accept (``rejection`` None) or reject a document; the applicant hears of a rejection, with its reason."""
    case = load_case(deps, officer, case_id)
    item = next((i for i in case.checklist.items if i.document_id == document_id), None)
    if item is None:
        raise CaseNotFound(f"document {document_id}")
    now = deps.clock_ms()
    checklist = case.checklist.reject(item.code, rejection, now) if rejection else case.checklist.accept(item.code)
    updated, events = case.with_checklist(checklist, now, officer.actor)
    decision = "rejected" if rejection else "accepted"
    data = {"item": item.code, "document_id": document_id, "decision": decision}
    if rejection:
        data |= {"reason": rejection.reason.value, "note": rejection.note}
    events.append(CaseEvent("document_reviewed", now, officer.actor, data))
    # Saved with the message, queued in the same write (the outbox), then sent: the id names the version it saves.
    outbound_id = f"case.{case_id}.v{case.version + 1}.review"
    if rejection is None:
        # Acceptances are told together: when the checklist becomes complete, with the times to choose from.
        message = _offer_if_completes(deps, officer, case, updated, outbound_id)
    else:
        notice = _rejection_notice(deps, updated, item.code, rejection)
        message = deps.notifier.build(updated, notice, outbound_id, author=officer.actor)
    saved, outcome = _save_and_tell(deps, updated, events, message)
    audit(deps, officer, AuditAction.DOCUMENT_REVIEW, case_id, document_id=document_id, decision=decision)
    return ActionResult(saved, outcome)


def _offer_if_completes(
    deps: CaseDeps, officer: Officer, before: Case, after: Case, outbound_id: str
) -> OutboundMessage | None:
    """The checklist becomes complete with this change: the invitation to choose the visit."""
    if after.status is not CaseStatus.COMPLETE or before.status is CaseStatus.COMPLETE:
        return None
    return build_offer(deps.calendar, deps.notifier, after, outbound_id, author=officer.actor)


def _rejection_notice(deps: CaseDeps, case: Case, code: str, rejection: Rejection) -> Notice:
    language = case.applicant.language
    reason = translate(f"rejection.{rejection.reason.value}", language)
    values = {"case_ref": case.case_id, "document": _title(case, code), "reason": reason}
    link = deps.issue_link(case, LinkPurpose.DOCUMENT_REJECTED)
    return Notice("notice.document_rejected", values, DOCUMENT_REJECTED, extra_text=rejection.note, link=link)


def book_appointment(
    deps: CaseDeps, officer: Officer, case_id: str, at: datetime, *, place: str | None, override_reason: str | None
) -> ActionResult:
    """Book the counter visit in the office's calendar (409 unless complete; 422 with the next free slots when the
    time is not bookable). A supervisor's reason books over an incomplete checklist and beyond a full slot."""
    if override_reason and not officer.is_supervisor:
        raise SupervisorOnly("only a supervisor can book over an incomplete checklist or a full slot")
    case = load_case(deps, officer, case_id)
    where = place or deps.calendar.office(case.office).appointment_place
    outbound_id = f"case.{case_id}.v{case.version + 1}.appointment"  # the version the booking saves

    def tell(booked: Case, previous: Appointment | None) -> OutboxEntry:
        # Queued in the booking's own transaction with the slot's place: a race for the slot queues nothing.
        notice = booked_notice(booked, previous)
        return deps.notifier.queue(deps.notifier.build(booked, notice, outbound_id, author=officer.actor))

    booked = book_visit(
        deps.calendar,
        deps.cases,
        case,
        at,
        place=where,
        actor=officer.actor,
        override_reason=override_reason,
        beyond_capacity=bool(override_reason),
        tell=tell,
    )
    saved = booked.case
    if not booked.changed or booked.queued is None:
        return ActionResult(saved)  # the same request again: booked once, told once
    if override_reason:
        # The reason is free text, kept with the appointment on the case: the audit log holds ids, never content.
        audit(deps, officer, AuditAction.APPOINTMENT_OVERRIDE, case_id)
    audit(deps, officer, AuditAction.APPOINTMENT_BOOK, case_id, at=at.isoformat(timespec="minutes"))
    return ActionResult(saved, deps.notifier.send_queued(booked.queued.message).value)


def mark_visit(deps: CaseDeps, officer: Officer, case_id: str, attended: bool) -> ActionResult:
    """The applicant came (the case moves to the counter stage), or did not (a new time is offered to them)."""
    case = load_case(deps, officer, case_id)
    now = deps.clock_ms()
    if attended:
        saved = mark_attended(deps.cases, case, officer.actor, now)
        audit(deps, officer, AuditAction.APPOINTMENT_ATTENDED, case_id)
        return ActionResult(saved)
    missed = case.appointment
    # The case as the drop leaves it (the domain change is pure): whether to offer a new time, and to whom. The
    # offer is queued in the drop's own write (the outbox), under the version it saves, and sent after.
    dropped, _ = case.visit_dropped(now, officer.actor, "appointment_missed")
    message = None
    if missed is not None and dropped.status is CaseStatus.COMPLETE:
        language = dropped.applicant.language
        intro = translate(
            "notice.visit_missed",
            language,
            date=format_date(missed.at, language, "full"),
            time=format_time(missed.at, language),
        )
        outbound_id = f"case.{case_id}.v{case.version + 1}.missed"
        message = build_offer(deps.calendar, deps.notifier, dropped, outbound_id, author=officer.actor, intro=intro)
    outbox = deps.notifier.queue(message) if message is not None else None
    saved = drop_visit(deps.cases, case, officer.actor, "appointment_missed", now, outbox=outbox)
    audit(deps, officer, AuditAction.APPOINTMENT_MISSED, case_id)
    if message is None:
        return ActionResult(saved)
    return ActionResult(saved, deps.notifier.send_queued(message).value)


def send_message(
    deps: CaseDeps,
    officer: Officer,
    case_id: str,
    text: str,
    use_template: bool,
    *,
    idempotency_key: str | None = None,
) -> ActionResult:
    """Free text to the applicant inside the window; outside it, 409 unless the office-message template is asked for.

    Saved first, sent after (the outbox): the message is recorded ``queued`` in the case's versioned save, so a 409
    means nothing was saved and nothing sent. Refused for now, it is ``queued``: the outbox sweep sends it. Its id
    comes from the client's ``idempotency_key`` when there is one (the console sends one per message written), so a
    request retried after an error whose change was saved (a timeout, a 500 after the commit) sends nothing twice:
    it finds its message in the outbox and answers with its state. Without a key, from the version the save creates.
    """
    case = load_case(deps, officer, case_id)
    if not use_template and not deps.notifier.window_open(case):
        raise WindowClosed("the applicant last wrote more than 24 hours ago: send the template instead")
    now = deps.clock_ms()
    if idempotency_key is not None:
        # Per officer: two officers' keys never meet; hashed: the client's string is never part of a key of ours.
        digest = hashlib.sha256(f"{officer.actor.subject}\n{idempotency_key}".encode()).hexdigest()[:32]
        outbound_id = f"case.{case_id}.message.{digest}"
    else:
        # The version this save creates (PynamoDB's version attribute counts up by one): the conflict guard names it.
        outbound_id = f"case.{case_id}.v{case.version + 1}.message"
    if use_template:
        notice = Notice("notice.office_message", {"case_ref": case_id}, OFFICE_MESSAGE)
        message = deps.notifier.build(case, notice, outbound_id, force_template=True, author=officer.actor)
    else:
        message = OutboundMessage(
            outbound_id,
            applicant_ref(case),
            Text(text),
            purpose="office_message",
            case_id=case_id,
            author=officer.actor,
            office=case.office,
        )
    # An officer answered: the case leaves the unanswered list (saved even when it was not on it: the version is
    # what makes the message's id unique and its save exclusive).
    answered = replace(case, unanswered_since_ms=None, updated_at_ms=now)
    kind = "template" if use_template else "text"
    try:
        saved, outcome = deps.notifier.save_then_send(deps.cases, answered, [], message)
    except MessageAlreadyQueued:
        # The same request, made before and saved: its message is sent (if it was not yet) under its one id. Audited
        # again: the earlier attempt may have died before its entry.
        audit(deps, officer, AuditAction.MESSAGE_SEND, case_id, kind=kind, repeated="true")
        return ActionResult(case, deps.notifier.send_queued(message).value)
    audit(deps, officer, AuditAction.MESSAGE_SEND, case_id, kind=kind)
    return ActionResult(saved, outcome.value)


def add_note(deps: CaseDeps, officer: Officer, case_id: str, text: str) -> Case:
    """An internal note on the timeline (never sent to the applicant)."""
    case = load_case(deps, officer, case_id)
    deps.cases.add_events(case_id, [CaseEvent("note", deps.clock_ms(), officer.actor, {"text": text})])
    audit(deps, officer, AuditAction.NOTE_ADD, case_id)
    return case


def assign(deps: CaseDeps, officer: Officer, case_id: str, assignee: str | None) -> Case:
    """Give the case to an officer (``None``: to nobody). Officers may take a case that is nobody's (or already
    theirs) and give up their own; assigning to a colleague, or taking or freeing a colleague's case, is a
    supervisor's call."""
    if not officer.is_supervisor and assignee not in (officer.username, None):
        raise SupervisorOnly("officers can only assign a case to themselves")
    case = load_case(deps, officer, case_id)
    if not officer.is_supervisor and case.assigned_officer not in (officer.username, None):
        raise SupervisorOnly("this case is assigned to a colleague: only a supervisor can reassign or unassign it")
    now = deps.clock_ms()
    name = display_name(deps.officers, officer, assignee)
    event = CaseEvent("assigned", now, officer.actor, {"officer": assignee or "", "officer_name": name or ""})
    saved = _save(deps, case.assign(assignee, now, name), [event])
    audit(deps, officer, AuditAction.CASE_ASSIGN, case_id, assignee=assignee or "")
    return saved


def close(deps: CaseDeps, officer: Officer, case_id: str, reason: CloseReason, note: str) -> ActionResult:
    """End the case as completed, withdrawn or cancelled, and tell the applicant in their language (the note
    stays on the timeline). Outside the 24-hour window no approved template says it: the office-message template
    invites them to reply, and their reply (or "stato") is answered with the closed case."""
    if reason is CloseReason.CANCELLED and not officer.is_supervisor:
        raise SupervisorOnly("only a supervisor can cancel a case")
    case = load_case(deps, officer, case_id)
    now = deps.clock_ms()
    closed, events = case.close(reason, now, officer.actor)
    events.append(CaseEvent("case_closed", now, officer.actor, {"reason": reason.value, "note": note}))
    notice = Notice(f"notice.case_closed.{reason.value}", {"case_ref": case_id}, OFFICE_MESSAGE)
    # Saved with the closing, queued in the same write (the outbox), then sent: the id names the version it saves.
    message = deps.notifier.build(closed, notice, f"case.{case_id}.v{case.version + 1}.closed", author=officer.actor)
    saved, outcome = deps.notifier.save_then_send(deps.cases, closed, events, message)
    audit(deps, officer, AuditAction.CASE_CLOSE, case_id, reason=reason.value)
    return ActionResult(saved, outcome.value)


def set_at_counter(deps: CaseDeps, officer: Officer, case_id: str, code: str, at_counter: bool) -> Case:
    """Leave a checklist item for the counter visit (it then no longer holds up completeness), or take it back."""
    case = load_case(deps, officer, case_id)
    now = deps.clock_ms()
    updated, events = case.with_checklist(case.checklist.set_at_counter(code, at_counter), now, officer.actor)
    events.append(CaseEvent("item_at_counter", now, officer.actor, {"item": code, "at_counter": at_counter}))
    message = _offer_if_completes(deps, officer, case, updated, f"case.{case_id}.v{case.version + 1}.complete")
    saved, _ = _save_and_tell(deps, updated, events, message)
    audit(deps, officer, AuditAction.CASE_UPDATE, case_id, item=code, at_counter=str(at_counter).lower())
    return saved
