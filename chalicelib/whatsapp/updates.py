"""Read a signed webhook body into typed updates, item by item.

Meta batches up to 1,000 updates per POST. One item we cannot read must never cost the others, so each entry,
change, message and status is parsed on its own; what fails becomes a :class:`QuarantinedItem` with a reason,
kept for a person to look at. Field names and shapes: Meta's webhook reference and ``WebhookPayload`` in the
Cloud API OpenAPI spec (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeGuard

from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.delivery import DeliveryStatus, StatusError, StatusUpdate
from chalicelib.domain.errors import MalformedUpdate, UnknownApplicant
from chalicelib.domain.inbound import MEDIA_TYPES, InboundMessage, MessageType

# What a signed item may carry, checked before anything is stored: in one place. DynamoDB refuses key attributes
# over 2,048 bytes (partition) or 1,024 (sort), numbers over 38 digits and items over 400 KB, and it would refuse
# the same POST on every one of Meta's retries for 7 days, the good items of the batch with it. Meta's own values
# are far below these bounds; an item past one is quarantined (names and error titles are cut instead).
MAX_ID_CHARS = 256  # wamids (Meta's are about 60): the inbound sort key (256 chars <= 1,024 UTF-8 bytes)
MAX_CALLBACK_CHARS = 512  # biz_opaque_callback_data: Meta's own limit; our outbound partition key
MAX_WA_ID_DIGITS = 20  # E.164 numbers have at most 15 digits
MAX_USER_ID_CHARS = 128  # business-scoped user ids ("IT.7714290188821340")
MAX_PHONE_NUMBER_ID_CHARS = 64  # our numbers' ids (15-16 digits)
MIN_TIMESTAMP, MAX_TIMESTAMP = 1_000_000_000, 9_999_999_999  # epoch seconds: September 2001 to the year 2286
MAX_TEXT_CHARS = 65_536  # WhatsApp's own limit on a text message
MAX_MESSAGE_JSON_CHARS = 256_000  # the stored message object, as JSON (ASCII-escaped, as it is stored)
MAX_ERROR_CODE = 999_999_999  # Meta's codes have up to 6 digits; beyond, the code is dropped
MAX_NAME_CHARS = 256  # profile names: cut
MAX_TITLE_CHARS = 1_024  # a failed status' error title: cut


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
    OUT_OF_RANGE = "out_of_range"  # a field past what we store (see the bounds below)
    UNREADABLE = "unreadable"  # the parser itself failed on the item (a bug): kept, never a 500 for the batch
    UNKNOWN_PHONE_NUMBER = "unknown_phone_number"  # sent to a number of the account that is no office's


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
            try:
                _parse_change(change, f"$.entry[{e}].changes[{c}]", batch)
            except Exception as exc:  # a parser bug (the fuzz test hunts them) must not make Meta retry for 7 days
                where = f"$.entry[{e}].changes[{c}]"
                batch.quarantined.append(QuarantinedItem(QuarantineReason.UNREADABLE, where, change, _name(exc)))
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
        location = f"{where}.value.messages[{i}]"
        try:
            batch.messages.append(parse_message(message, contacts, phone_number_id))
        except MalformedUpdate as exc:
            batch.quarantined.append(QuarantinedItem(QuarantineReason(exc.reason), location, message, exc.detail))
        except Exception as exc:  # a parser bug: this item only
            batch.quarantined.append(QuarantinedItem(QuarantineReason.UNREADABLE, location, message, _name(exc)))
    for i, status in enumerate(_list(value, "statuses")):
        location = f"{where}.value.statuses[{i}]"
        try:
            batch.statuses.append(parse_status(status))
        except MalformedUpdate as exc:
            batch.quarantined.append(QuarantinedItem(QuarantineReason(exc.reason), location, status, exc.detail))
        except Exception as exc:  # a parser bug: this item only
            batch.quarantined.append(QuarantinedItem(QuarantineReason.UNREADABLE, location, status, _name(exc)))


def _name(exc: Exception) -> str:
    return type(exc).__name__


def _object(value: dict[str, Any], key: str) -> dict[str, Any]:
    inner = value.get(key)
    return inner if isinstance(inner, dict) else {}


def _list(value: dict[str, Any], key: str) -> list[Any]:
    items = value.get(key)
    return items if isinstance(items, list) else []


def _required_str(obj: dict[str, Any], key: str, max_chars: int | None = None) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedUpdate(QuarantineReason.MISSING_FIELD, key)
    if max_chars is not None:
        _check_id(value, key, max_chars)
    return value


def _check_id(value: str, what: str, max_chars: int) -> None:
    """An id we store as (or in) a key: bounded, and valid UTF-8 (JSON may carry lone surrogates)."""
    if len(value) > max_chars or not _is_utf8(value) or not value.isprintable():
        raise MalformedUpdate(QuarantineReason.OUT_OF_RANGE, f"{what}: {len(value)} characters or not printable")


def _is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _cut(value: str, max_chars: int) -> str:
    """A free text we keep, cut to ``max_chars`` and made valid UTF-8."""
    return value[:max_chars].encode("utf-8", "replace").decode("utf-8")


def _is_digits(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and value.isascii() and value.isdigit()  # not "²" or "٣", which str.isdigit takes


def _timestamp(obj: dict[str, Any]) -> int:
    raw = obj.get("timestamp")
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif _is_digits(raw):
        if len(raw) > 12:  # int() of 400 digits is no epoch (and a 5,000-digit one raises)
            raise MalformedUpdate(QuarantineReason.OUT_OF_RANGE, f"timestamp: {len(raw)} digits")
        value = int(raw)
    else:
        raise MalformedUpdate(QuarantineReason.MISSING_FIELD, "timestamp")
    if not MIN_TIMESTAMP <= value <= MAX_TIMESTAMP:
        raise MalformedUpdate(QuarantineReason.OUT_OF_RANGE, "timestamp")
    return value


def parse_message(message: Any, contacts: list[dict[str, Any]], phone_number_id: str) -> InboundMessage:
    """One ``messages[]`` item, or :class:`MalformedUpdate` saying why not."""
    if not isinstance(message, dict):
        raise MalformedUpdate(QuarantineReason.NOT_AN_OBJECT, "message")
    wamid = _required_str(message, "id", MAX_ID_CHARS)
    raw_type = _required_str(message, "type")
    try:
        kind = MessageType(raw_type)
    except ValueError:
        kind = MessageType.UNSUPPORTED  # Meta's "unknown" and types we do not know yet (polls come as "unsupported")
    if kind is not MessageType.UNSUPPORTED:
        _check_body(kind, message)
    contact = _contact_for(message, contacts)
    wa_id = message.get("from") or contact.get("wa_id")
    user_id = message.get("from_user_id") or contact.get("user_id")
    if wa_id is not None and not _is_digits(wa_id):
        raise MalformedUpdate(QuarantineReason.MISSING_FIELD, "from is not a phone number")
    if wa_id is not None and len(wa_id) > MAX_WA_ID_DIGITS:
        raise MalformedUpdate(QuarantineReason.OUT_OF_RANGE, f"from: {len(wa_id)} digits")
    if user_id and not isinstance(user_id, str):
        raise MalformedUpdate(QuarantineReason.MISSING_FIELD, "from_user_id is not a string")
    if user_id:
        _check_id(user_id, "from_user_id", MAX_USER_ID_CHARS)
    if len(phone_number_id) > MAX_PHONE_NUMBER_ID_CHARS or not _is_utf8(phone_number_id):
        raise MalformedUpdate(QuarantineReason.OUT_OF_RANGE, "metadata.phone_number_id")
    try:
        applicant = ApplicantRef(wa_id=wa_id or None, user_id=user_id or None)
    except UnknownApplicant:
        raise MalformedUpdate(QuarantineReason.MISSING_FIELD, "from / from_user_id") from None
    sent_at = _timestamp(message)
    _check_size(kind, message)
    name = _object(contact, "profile").get("name")
    return InboundMessage(
        wamid=wamid,
        applicant=applicant,
        sent_at=sent_at,
        type=kind,
        message=message,
        phone_number_id=phone_number_id,
        profile_name=_cut(name, MAX_NAME_CHARS) if isinstance(name, str) else None,
    )


def _check_size(kind: MessageType, message: dict[str, Any]) -> None:
    """The whole message object is stored (as ASCII-escaped JSON, in an item of at most 400 KB)."""
    if kind is MessageType.TEXT and len(message["text"]["body"]) > MAX_TEXT_CHARS:
        raise MalformedUpdate(QuarantineReason.OUT_OF_RANGE, f"text.body: {len(message['text']['body'])} characters")
    size = len(json.dumps(message))
    if size > MAX_MESSAGE_JSON_CHARS:
        raise MalformedUpdate(QuarantineReason.OUT_OF_RANGE, f"message: {size} characters of JSON")


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
    wamid = _required_str(status, "id", MAX_ID_CHARS)
    try:
        state = DeliveryStatus(_required_str(status, "status"))
    except ValueError:
        raise MalformedUpdate(QuarantineReason.UNKNOWN_STATUS, _cut(str(status.get("status")), 40)) from None
    if state is DeliveryStatus.ACCEPTED:
        raise MalformedUpdate(QuarantineReason.UNKNOWN_STATUS, "accepted")
    timestamp = _timestamp(status)
    callback = status.get("biz_opaque_callback_data")
    if isinstance(callback, str) and callback:
        _check_id(callback, "biz_opaque_callback_data", MAX_CALLBACK_CHARS)
    listed = status.get("errors")
    errors = tuple(_status_error(e) for e in listed if isinstance(e, dict)) if isinstance(listed, list) else ()
    return StatusUpdate(
        wamid=wamid,
        status=state,
        timestamp=timestamp,
        outbound_id=callback if isinstance(callback, str) and callback else None,
        errors=errors,
    )


def _status_error(error: dict[str, Any]) -> StatusError:
    code = error.get("code")
    title = error.get("title") or error.get("message") or ""
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    return StatusError(
        code=code if isinstance(code, int) and not isinstance(code, bool) and 0 <= code <= MAX_ERROR_CODE else None,
        title=_cut(title if isinstance(title, str) else json.dumps(title)[:MAX_TITLE_CHARS], MAX_TITLE_CHARS),
        details=_cut(details, MAX_TITLE_CHARS) if isinstance(details, str) else None,
    )
