"""JSON shapes of the officers' API (documented in ``functions/openapi.json``; tests keep the two in step)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.calendar import slot_key
from chalicelib.domain.inbox import waiting
from chalicelib.i18n import UnknownMessageKey, translate

if TYPE_CHECKING:
    from collections.abc import Iterable

    from chalicelib.domain.actors import Actor
    from chalicelib.domain.audit import AuditEntry
    from chalicelib.domain.calendar import FreeSlot
    from chalicelib.domain.cases import Case, CaseEvent
    from chalicelib.domain.checklist import ChecklistItem, MissingItem
    from chalicelib.domain.thread import Delivery, ThreadEntry
    from chalicelib.services.cases.conversation import ConversationView
    from chalicelib.services.cases.registry import CaseView, DocumentLink

OFFICE_LANGUAGE = "it"  # officers read titles in Italian (or English, when their browser asks for it)
OFFICER_ROLES = frozenset({"officer", "supervisor"})


def iso_ms(ms: int) -> str:
    """Milliseconds since the epoch as an ISO 8601 UTC timestamp."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def slot_json(slot: FreeSlot) -> dict[str, Any]:
    """A counter slot (office-local start, ``YYYY-MM-DDTHH:MM``) with its places."""
    return {"at": slot_key(slot.at), "places": slot.places, "taken": slot.taken, "free": slot.free}


def actor_json(actor: Actor) -> dict[str, Any]:
    """Who did something: the kind, and for an officer the stable ``sub`` beside their username and name."""
    return actor.as_dict()


def item_json(item: ChecklistItem, language: str = OFFICE_LANGUAGE) -> dict[str, Any]:
    """One checklist item (a *one of* group's members carry the group's title)."""
    return {
        "code": item.code,
        "title": translate(f"document.{item.code}.title", language),
        "group_title": translate(f"group.{item.group}.title", language) if item.group else None,
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


def missing_json(items: Iterable[MissingItem], language: str = OFFICE_LANGUAGE) -> list[dict[str, Any]]:
    """What the applicant still has to send, one entry per document or *one of* group: its ``items`` (the one
    document, or the group's alternatives, any of which will do), the ``group`` and a title."""
    return [
        {
            "items": list(unit.codes),
            "group": unit.group,
            "title": (
                translate(f"group.{unit.group}.title", language)
                if unit.group
                else translate(f"document.{unit.codes[0]}.title", language)
            ),
        }
        for unit in items
    ]


def case_summary(case: Case, language: str = OFFICE_LANGUAGE) -> dict[str, Any]:
    """A case as listed."""
    return {
        "id": case.case_id,
        "office": case.office,
        "status": case.status.value,
        "status_since": iso_ms(case.status_since_ms),
        "procedure": case.procedure.value,
        "permit_type": case.permit_type,
        "applicant_name": case.applicant.name,
        "language": case.applicant.language,
        "assigned_officer": case.assigned_officer,
        "assigned_officer_name": case.assigned_officer_name,
        "missing": missing_json(case.checklist.missing_items(), language),
        "unanswered_since": iso_ms(case.unanswered_since_ms) if case.unanswered_since_ms else None,
        "created_at": iso_ms(case.created_at_ms),
        "updated_at": iso_ms(case.updated_at_ms),
        "version": case.version,
    }


def appointment_json(case: Case) -> dict[str, Any] | None:
    """The counter visit, in the office's local time."""
    appointment = case.appointment
    if appointment is None:
        return None
    return {
        "at": appointment.at.isoformat(timespec="minutes"),
        "place": appointment.place,
        "override_reason": appointment.override_reason,
        "counted": appointment.counted,
        "attended": appointment.attended,
    }


def case_json(case: Case, language: str = OFFICE_LANGUAGE) -> dict[str, Any]:
    """A case in full, without timeline and documents."""
    applicant = case.applicant
    return {
        **case_summary(case, language),
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
        "checklist": [item_json(item, language) for item in case.checklist.items],
        "appointment": appointment_json(case),
        "close_reason": case.close_reason.value if case.close_reason else None,
        "erased": case.erased is not None,
        "erasure": erasure_json(case),
        "erasure_requested_since": (
            iso_ms(case.erasure_requested_at_ms) if case.erasure_requested_at_ms is not None else None
        ),
    }


def erasure_json(case: Case) -> dict[str, Any] | None:
    """When the case's personal data were erased, by whom (the officer's stable id) and why."""
    erased = case.erased
    return {"at": iso_ms(erased.at_ms), "by": erased.by, "reason": erased.reason} if erased else None


def event_json(event: CaseEvent) -> dict[str, Any]:
    """One timeline line."""
    return {"kind": event.kind, "at": iso_ms(event.at_ms), "actor": actor_json(event.actor), "data": event.data}


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


def case_view_json(view: CaseView, language: str = OFFICE_LANGUAGE) -> dict[str, Any]:
    """``GET /api/cases/{id}``."""
    return {
        **case_json(view.case, language),
        "timeline": [event_json(event) for event in view.events],
        "documents": [document_json(link) for link in view.documents],
    }


def audit_entry_json(entry: AuditEntry) -> dict[str, Any]:
    """One audit entry: an officer named by ``sub``, username and name; an applicant's upload by its link."""
    officer = entry.actor_role in OFFICER_ROLES
    return {
        "at": iso_ms(entry.at_ms),
        "actor": {
            "kind": "officer" if officer else "applicant",
            "sub": entry.actor if officer else None,
            "username": entry.actor_username,
            "name": entry.actor_name,
        },
        "actor_role": entry.actor_role,
        "action": entry.action.value,
        "case_id": entry.case_id,
        "detail": dict(entry.detail),
    }


def inbox_row_json(case: Case, now_ms: int) -> dict[str, Any]:
    """A case in the inbox: why it waits and since when, and what the applicant wrote last."""
    reasons = waiting(case)
    since = reasons[0].since_ms if reasons else case.status_since_ms
    preview = case.last_inbound
    return {
        **case_summary(case),
        "reasons": [{"reason": w.reason.value, "since": iso_ms(w.since_ms)} for w in reasons],
        "waiting_since": iso_ms(since),
        "waited_seconds": max(0, (now_ms - since) // 1000),
        "last_message": (
            {"kind": preview.kind, "text": preview.text, "at": iso_ms(preview.at_ms)} if preview else None
        ),
        "appointment": appointment_json(case),
    }


def delivery_reason(code: int | None, language: str) -> str:
    """What a failed delivery means for the office, from Meta's error code."""
    try:
        return translate(f"delivery.error.{code}", language)
    except UnknownMessageKey:
        return translate("delivery.error.other", language)


def delivery_json(delivery: Delivery, language: str) -> dict[str, Any]:
    """An outbound message's delivery status; a failure with Meta's code and a reason people can read."""
    failed = delivery.state.value == "failed"
    return {
        "state": delivery.state.value,
        "at": iso_ms(delivery.at_ms) if delivery.at_ms is not None else None,
        "error": (
            {
                "code": delivery.error_code,
                "title": delivery.error_title,
                "reason": delivery_reason(delivery.error_code, language),
            }
            if failed
            else None
        ),
    }


def thread_entry_json(entry: ThreadEntry, language: str) -> dict[str, Any]:
    """One message of the thread."""
    template = entry.template
    return {
        "id": entry.entry_id,
        "direction": entry.direction.value,
        "at": iso_ms(entry.at_ms),
        "author": actor_json(entry.author),
        "kind": entry.kind,
        "text": entry.text,
        "document_id": entry.document_id,
        "refused": entry.refused,
        "choice": {"id": entry.choice.id, "title": entry.choice.title} if entry.choice else None,
        "options": list(entry.options),
        "template": (
            {"name": template.name, "language": template.language, "parameters": list(template.parameters)}
            if template
            else None
        ),
        "delivery": delivery_json(entry.delivery, language) if entry.delivery else None,
    }


def conversation_json(view: ConversationView, older_cursor: str | None, language: str) -> dict[str, Any]:
    """``GET /api/cases/{id}/conversation``."""
    closes = view.window_closes_at_ms
    return {
        "case_id": view.case.case_id,
        "messages": [thread_entry_json(entry, language) for entry in view.page.entries],
        "older_cursor": older_cursor,
        "window": {"open": view.window_open, "closes_at": iso_ms(closes) if closes is not None else None},
    }
