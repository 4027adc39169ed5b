"""The conversation of a case as officers read it: every message in both directions, in order, with its author.

Inbound entries are read from what the applicant sent (Meta's message object, as stored), with nothing of it
guessed: the text, the caption, the choice they tapped, the document a file became. Outbound entries are what the
applicant actually read: the text rendered in their language when the message was sent (templates included,
with their name and parameters kept), and what Meta told us of its delivery.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from chalicelib.domain.actors import APPLICANT, Actor
from chalicelib.domain.inbound import MEDIA_TYPES, MessageType

if TYPE_CHECKING:
    from chalicelib.domain.inbound import InboundMessage

TEXT_LIMIT = 4096


class Direction(StrEnum):
    """From the applicant, or to them."""

    IN = "in"
    OUT = "out"


class DeliveryState(StrEnum):
    """Where an outbound message stands, as officers need to know it."""

    SENDING = "sending"  # queued or claimed, the send is under way (or Meta's word on it is awaited)
    RETRYING = "retrying"  # Meta refused it for now; it will be sent again
    ACCEPTED = "accepted"  # Meta took it (a wamid), no status yet
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    PLAYED = "played"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Delivery:
    """An outbound message's delivery, with Meta's error code when it failed."""

    state: DeliveryState
    at_ms: int | None = None
    error_code: int | None = None
    error_title: str | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    """A button or list row the applicant tapped (its id is ours; its title is what they saw)."""

    id: str
    title: str


@dataclass(frozen=True, slots=True)
class TemplateUse:
    """An approved template as sent: its name, Meta's language code and the parameters filled in."""

    name: str
    language: str
    parameters: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ThreadEntry:
    """One message of the thread."""

    entry_id: str
    direction: Direction
    at_ms: int
    author: Actor
    kind: str  # what it is: text, image, document, choice, reaction, template, buttons, list…
    text: str | None = None  # what was written or read (a caption for files)
    document_id: str | None = None  # the case document a file became
    refused: str | None = None  # why a file was not kept
    choice: Choice | None = None
    options: tuple[str, ...] = ()  # the buttons or rows offered by an outbound message
    template: TemplateUse | None = None
    delivery: Delivery | None = None


@dataclass(frozen=True, slots=True)
class ThreadPage:
    """Up to a page of entries, oldest first; ``older`` continues with the entries before the first one."""

    entries: tuple[ThreadEntry, ...]
    older: str | None


def thread_key(at_ms: int, direction: Direction, identity: str) -> str:
    """The sort key of an entry: time first, then a digest of its id (unique, and the same on every retry)."""
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return f"{at_ms:015d}#{direction.value}#{digest}"


def entry_id(key: str) -> str:
    """The public id of the entry with sort key ``key`` (no wamid or outbound id leaves through it)."""
    return key.replace("#", "-")


def delivery_state(claim_state: str | None, status: str | None) -> DeliveryState:
    """Our own record of the send (``queued``, ``sending``, ``uncertain``, ``released``, ``accepted``,
    ``failed``) and Meta's latest status.

    A status from Meta wins once it says more than "accepted": a send whose answer was lost may still turn out
    delivered. Queued (saved, the send follows) and uncertain (sent, Meta's word awaited) read as "sending":
    to the officer both are a message on its way.
    """
    if status in {"sent", "delivered", "read", "played", "failed"}:
        return DeliveryState(status)
    if claim_state == "failed":
        return DeliveryState.FAILED
    if status == "accepted" or claim_state == "accepted":
        return DeliveryState.ACCEPTED
    if claim_state == "released":
        return DeliveryState.RETRYING
    return DeliveryState.SENDING


def _text(value: Any) -> str | None:
    return value[:TEXT_LIMIT] if isinstance(value, str) and value else None


def _choice(message: InboundMessage) -> Choice | None:
    body = message.message
    if message.type is MessageType.INTERACTIVE:
        interactive = body.get("interactive", {})
        chosen = interactive.get(interactive.get("type", ""), {}) if isinstance(interactive, dict) else {}
        if isinstance(chosen, dict) and isinstance(chosen.get("id"), str):
            return Choice(chosen["id"], _text(chosen.get("title")) or "")
    if message.type is MessageType.BUTTON:
        button = body.get("button", {})
        if isinstance(button, dict):
            return Choice(str(button.get("payload") or ""), _text(button.get("text")) or "")
    return None


def inbound_content(message: InboundMessage) -> tuple[str, str | None, Choice | None]:
    """What kind of message it is, its words (text, caption, the title tapped, the emoji) and any choice."""
    if message.type is MessageType.TEXT:
        return "text", message.text, None
    if message.type in MEDIA_TYPES or message.type is MessageType.STICKER:
        media = message.message.get(message.type.value, {})
        return message.type.value, _text(media.get("caption")) if isinstance(media, dict) else None, None
    choice = _choice(message)
    if choice is not None:
        return "choice", choice.title or None, choice
    if message.type is MessageType.REACTION:
        reaction = message.message.get("reaction", {})
        return "reaction", _text(reaction.get("emoji")) if isinstance(reaction, dict) else None, None
    # Locations and shared contacts are named, never copied: the officer asks if they are needed.
    return message.type.value, None, None


def inbound_entry(
    message: InboundMessage, received_at_ms: int, document_id: str | None = None, refused: str | None = None
) -> ThreadEntry:
    """The thread entry of a message the applicant sent, ordered by when we received it."""
    kind, text, choice = inbound_content(message)
    key = thread_key(received_at_ms, Direction.IN, message.wamid)
    return ThreadEntry(entry_id(key), Direction.IN, received_at_ms, APPLICANT, kind, text, document_id, refused, choice)
