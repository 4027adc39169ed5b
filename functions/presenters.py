"""JSON shapes of the officers' API (documented in ``functions/openapi.json``; tests keep the two in step)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.i18n import translate

if TYPE_CHECKING:
    from chalicelib.domain.cases import Case, CaseEvent
    from chalicelib.domain.checklist import ChecklistItem
    from chalicelib.services.cases.registry import CaseView, DocumentLink

OFFICE_LANGUAGE = "it"  # officers read titles in Italian


def iso_ms(ms: int) -> str:
    """Milliseconds since the epoch as an ISO 8601 UTC timestamp."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def item_json(item: ChecklistItem) -> dict[str, Any]:
    """One checklist item."""
    return {
        "code": item.code,
        "title": translate(f"document.{item.code}.title", OFFICE_LANGUAGE),
        "requirement": item.requirement.value,
        "group": item.group,
        "needed": item.needed,
        "state": item.state.value,
        "at_counter": item.at_counter,
        "original_at_counter": item.original_at_counter,
        "precheck_in_chat": item.precheck_in_chat,
        "rejection": {"reason": item.rejection.reason.value, "note": item.rejection.note} if item.rejection else None,
        "document_id": item.document_id,
        "requested_at": iso_ms(item.requested_at_ms) if item.requested_at_ms else None,
    }


def case_summary(case: Case) -> dict[str, Any]:
    """A case as listed."""
    return {
        "id": case.case_id,
        "office": case.office,
        "status": case.status.value,
        "status_since": iso_ms(case.status_since_ms),
        "procedure": case.procedure.value,
        "permit_type": case.permit_type,
        "applicant_name": case.applicant.name,
        "assigned_officer": case.assigned_officer,
        "missing": list(case.checklist.missing_codes()),
        "unanswered_since": iso_ms(case.unanswered_since_ms) if case.unanswered_since_ms else None,
        "created_at": iso_ms(case.created_at_ms),
        "updated_at": iso_ms(case.updated_at_ms),
        "version": case.version,
    }


def case_json(case: Case) -> dict[str, Any]:
    """A case in full, without timeline and documents."""
    applicant = case.applicant
    appointment = case.appointment
    return {
        **case_summary(case),
        "pratica_number": case.pratica_number,
        "permit_expiry": case.permit_expiry.isoformat() if case.permit_expiry else None,
        "applicant": {
            "name": applicant.name,
            "phone": applicant.phone_e164,
            "wa_id": applicant.wa_id,
            "user_id": applicant.user_id,
            "language": applicant.language,
        },
        "complete": case.checklist.complete,
        "checklist": [item_json(item) for item in case.checklist.items],
        "appointment": (
            {
                "at": appointment.at.isoformat(timespec="minutes"),
                "place": appointment.place,
                "override_reason": appointment.override_reason,
            }
            if appointment
            else None
        ),
        "close_reason": case.close_reason.value if case.close_reason else None,
    }


def event_json(event: CaseEvent) -> dict[str, Any]:
    """One timeline line."""
    return {"kind": event.kind, "at": iso_ms(event.at_ms), "actor": event.actor, "data": event.data}


def document_json(link: DocumentLink) -> dict[str, Any]:
    """A document with its short-lived link."""
    document = link.document
    return {
        "id": document.document_id,
        "item": document.item_code,
        "content_type": document.content_type,
        "size_bytes": document.size_bytes,
        "sha256": document.sha256,
        "source": document.source.value,
        "filename": document.filename,
        "received_at": iso_ms(document.received_at_ms),
        "url": link.url,
        "url_expires_in_s": link.expires_in_s,
    }


def case_view_json(view: CaseView) -> dict[str, Any]:
    """``GET /api/cases/{id}``."""
    return {
        **case_json(view.case),
        "timeline": [event_json(event) for event in view.events],
        "documents": [document_json(link) for link in view.documents],
    }
