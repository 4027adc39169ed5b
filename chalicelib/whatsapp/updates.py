"""Read a signed webhook body into typed updates, item by item.

Meta batches up to 1,000 updates per POST. One item we cannot read must never cost the others, so each entry,
change, message and status is parsed on its own; what fails becomes a :class:`QuarantinedItem` with a reason,
kept for a person to look at. Field names and shapes: Meta's webhook reference and ``WebhookPayload`` in the
Cloud API OpenAPI spec (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.delivery import DeliveryStatus, StatusError, StatusUpdate
from chalicelib.domain.errors import MalformedUpdate, UnknownApplicant
from chalicelib.domain.inbound import MEDIA_TYPES, InboundMessage, MessageType


class QuarantineReason(StrEnum):
    """Why a signed item was set aside instead of processed."""

    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    UNEXPECTED_OBJECT = "unexpected_object"
    MISSING_FIELD = "missing_field"
    UNKNOWN_MESSAGE_TYPE = "unknown_message_type"
    UNSUPPORTED_MESSAGE = "unsupported_message"
    UNKNOWN_STATUS = "unknown_status"
    UNHANDLED_FIELD = "unhandled_field"
    META_ERROR = "meta_error"
    UNKNOWN_OUTBOUND = "unknown_outbound"


@dataclass(frozen=True, slots=True)
class QuarantinedItem:
    """A part of a webhook we could not use, where it was, and why."""

    reason: QuarantineReason
    location: str
    item: Any
    detail: str = ""


@dataclass(frozen=True, slots=True)
class WebhookBatch:
    """Everything one webhook POST carried."""

    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    quarantined: list[QuarantinedItem] = field(default_factory=list)


def parse_webhook(payload: Any) -> WebhookBatch:
    """Split a decoded webhook body into messages, statuses and quarantined items."""
    batch = WebhookBatch()
    if not isinstance(payload, dict):
        batch.quarantined.append(QuarantinedItem(QuarantineReason.NOT_AN_OBJECT, "$", payload))
        return batch
    if payload.get("object") != "whatsapp_business_account":
        batch.quarantined.append(QuarantinedItem(QuarantineReason.UNEXPECTED_OBJECT, "$.object", payload))
        return batch
    entries = payload.get("entry")
    if not isinstance(entries, list):
        batch.quarantined.append(QuarantinedItem(QuarantineReason.MISSING_FIELD, "$.entry", payload))
        return batch
    for e, entry in enumerate(entries):
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            batch.quarantined.append(QuarantinedItem(QuarantineReason.MISSING_FIELD, f"$.entry[{e}]", entry))
            continue
        for c, change in enumerate(changes):
            _parse_change(change, f"$.entry[{e}].changes[{c}]", batch)
    return batch


def _parse_change(change: Any, where: str, batch: WebhookBatch) -> None:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        batch.quarantined.append(QuarantinedItem(QuarantineReason.MISSING_FIELD, where, change))
        return
    if change.get("field") != "messages":
        batch.quarantined.append(QuarantinedItem(QuarantineReason.UNHANDLED_FIELD, where, change))
        return
    value: dict[str, Any] = change["value"]
    phone_number_id = str(_object(value, "metadata").get("phone_number_id", ""))
    contacts = [c for c in _list(value, "contacts") if isinstance(c, dict)]
    for i, error in enumerate(_list(value, "errors")):
        batch.quarantined.append(QuarantinedItem(QuarantineReason.META_ERROR, f"{where}.value.errors[{i}]", error))
    for i, message in enumerate(_list(value, "messages")):
        try:
            batch.messages.append(parse_message(message, contacts, phone_number_id))
        except MalformedUpdate as exc:
            location = f"{where}.value.messages[{i}]"
            batch.quarantined.append(QuarantinedItem(QuarantineReason(exc.reason), location, message, exc.detail))
    for i, status in enumerate(_list(value, "statuses")):
        try:
            batch.statuses.append(parse_status(status))
        except MalformedUpdate as exc:
            location = f"{where}.value.statuses[{i}]"
            batch.quarantined.append(QuarantinedItem(QuarantineReason(exc.reason), location, status, exc.detail))


def _object(value: dict[str, Any], key: str) -> dict[str, Any]:
    inner = value.get(key)
    return inner if isinstance(inner, dict) else {}


def _list(value: dict[str, Any], key: str) -> list[Any]:
    items = value.get(key)
    return items if isinstance(items, list) else []


def _required_str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedUpdate(QuarantineReason.MISSING_FIELD, key)
    return value


def _timestamp(obj: dict[str, Any]) -> int:
    raw = obj.get("timestamp")
    if isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit()):
        return int(raw)
    raise MalformedUpdate(QuarantineReason.MISSING_FIELD, "timestamp")


def parse_message(message: Any, contacts: list[dict[str, Any]], phone_number_id: str) -> InboundMessage:
    """One ``messages[]`` item, or :class:`MalformedUpdate` saying why not."""
    if not isinstance(message, dict):
        raise MalformedUpdate(QuarantineReason.NOT_AN_OBJECT, "message")
    wamid = _required_str(message, "id")
    raw_type = _required_str(message, "type")
    if raw_type in {"unsupported", "unknown"}:
        raise MalformedUpdate(QuarantineReason.UNSUPPORTED_MESSAGE, raw_type)
    try:
        kind = MessageType(raw_type)
    except ValueError:
        raise MalformedUpdate(QuarantineReason.UNKNOWN_MESSAGE_TYPE, raw_type[:40]) from None
    _check_body(kind, message)
    contact = _contact_for(message, contacts)
    wa_id = message.get("from") or contact.get("wa_id")
    user_id = message.get("from_user_id") or contact.get("user_id")
    if wa_id is not None and not (isinstance(wa_id, str) and wa_id.isdigit()):
        raise MalformedUpdate(QuarantineReason.MISSING_FIELD, "from is not a phone number")
    try:
        applicant = ApplicantRef(wa_id=wa_id or None, user_id=str(user_id) if user_id else None)
    except UnknownApplicant:
        raise MalformedUpdate(QuarantineReason.MISSING_FIELD, "from / from_user_id") from None
    name = _object(contact, "profile").get("name")
    return InboundMessage(
        wamid=wamid,
        applicant=applicant,
        sent_at=_timestamp(message),
        type=kind,
        message=message,
        phone_number_id=phone_number_id,
        profile_name=name if isinstance(name, str) else None,
    )


def _contact_for(message: dict[str, Any], contacts: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``contacts[]`` entry of the sender: matched by id when a batch carries several."""
    for contact in contacts:
        if message.get("from") and contact.get("wa_id") == message.get("from"):
            return contact
        if message.get("from_user_id") and contact.get("user_id") == message.get("from_user_id"):
            return contact
    return contacts[0] if len(contacts) == 1 else {}


def _check_body(kind: MessageType, message: dict[str, Any]) -> None:
    body = message.get(kind.value)
    if kind is MessageType.CONTACTS:
        if not isinstance(body, list):
            raise MalformedUpdate(QuarantineReason.MISSING_FIELD, "contacts")
        return
    if not isinstance(body, dict):
        raise MalformedUpdate(QuarantineReason.MISSING_FIELD, kind.value)
    if kind is MessageType.TEXT and not isinstance(body.get("body"), str):
        raise MalformedUpdate(QuarantineReason.MISSING_FIELD, "text.body")
    if kind in MEDIA_TYPES and not isinstance(body.get("id"), str):
        raise MalformedUpdate(QuarantineReason.MISSING_FIELD, f"{kind.value}.id")
    if kind is MessageType.INTERACTIVE:
        reply = body.get(str(body.get("type", "")))
        if not isinstance(reply, dict) or not isinstance(reply.get("id"), str):
            raise MalformedUpdate(QuarantineReason.MISSING_FIELD, "interactive reply id")


def parse_status(status: Any) -> StatusUpdate:
    """One ``statuses[]`` item, or :class:`MalformedUpdate` saying why not."""
    if not isinstance(status, dict):
        raise MalformedUpdate(QuarantineReason.NOT_AN_OBJECT, "status")
    wamid = _required_str(status, "id")
    try:
        state = DeliveryStatus(_required_str(status, "status"))
    except ValueError:
        raise MalformedUpdate(QuarantineReason.UNKNOWN_STATUS, str(status.get("status"))[:40]) from None
    if state is DeliveryStatus.ACCEPTED:
        raise MalformedUpdate(QuarantineReason.UNKNOWN_STATUS, "accepted")
    errors = tuple(
        StatusError(
            code=e.get("code") if isinstance(e.get("code"), int) else None,
            title=str(e.get("title") or e.get("message") or ""),
            details=(e.get("error_data") or {}).get("details") if isinstance(e.get("error_data"), dict) else None,
        )
        for e in status.get("errors") or []
        if isinstance(e, dict)
    )
    callback = status.get("biz_opaque_callback_data")
    return StatusUpdate(
        wamid=wamid,
        status=state,
        timestamp=_timestamp(status),
        outbound_id=callback if isinstance(callback, str) and callback else None,
        errors=errors,
    )
