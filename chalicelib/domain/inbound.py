"""What an applicant sent us: one WhatsApp message, as stored before any processing."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.domain.applicants import ApplicantRef


class MessageType(StrEnum):
    """The message types of the Cloud API's ``messages`` webhook that we know how to read."""

    TEXT = "text"
    IMAGE = "image"
    DOCUMENT = "document"
    AUDIO = "audio"
    VIDEO = "video"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACTS = "contacts"
    INTERACTIVE = "interactive"
    BUTTON = "button"
    REACTION = "reaction"
    ORDER = "order"
    SYSTEM = "system"
    # Meta's "unsupported" (polls, view-once…) and "unknown", and any type we do not know yet: stored, and answered
    # that we cannot read it (``message`` keeps Meta's own type).
    UNSUPPORTED = "unsupported"


MEDIA_TYPES = frozenset({MessageType.IMAGE, MessageType.DOCUMENT, MessageType.AUDIO, MessageType.VIDEO})


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One inbound message: its wamid, who sent it, when, and Meta's message object as received.

    ``message`` keeps the whole object (``text``, ``image``, ``interactive``… and ``context``) so that later steps
    can read any field without the webhook having to anticipate them.
    """

    wamid: str
    applicant: ApplicantRef
    sent_at: int
    type: MessageType
    message: dict[str, Any]
    phone_number_id: str
    profile_name: str | None = None
    # The office it was sent to (whose number is ``phone_number_id``): set by the webhook, which routes each message.
    office: str | None = None
    # When our webhook stored it: set once stored (it orders the case's thread), not part of the message itself.
    received_at_ms: int | None = field(default=None, compare=False)

    @property
    def text(self) -> str | None:
        """The text of a text message, else None."""
        if self.type is MessageType.TEXT:
            body = self.message.get("text", {}).get("body")
            return body if isinstance(body, str) else None
        return None

    @property
    def reply_id(self) -> str | None:
        """The id of the button or list row tapped (interactive replies and template quick replies)."""
        if self.type is MessageType.INTERACTIVE:
            interactive = self.message.get("interactive", {})
            chosen = interactive.get(interactive.get("type", ""), {})
            value = chosen.get("id") if isinstance(chosen, dict) else None
            return value if isinstance(value, str) else None
        if self.type is MessageType.BUTTON:
            payload = self.message.get("button", {}).get("payload")
            return payload if isinstance(payload, str) else None
        return None

    @property
    def media_id(self) -> str | None:
        """Meta's media id for image, document, audio and video messages."""
        if self.type in MEDIA_TYPES:
            value = self.message.get(self.type.value, {}).get("id")
            return value if isinstance(value, str) else None
        return None
