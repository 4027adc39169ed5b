"""One turn of the conversation: what it needs and what it decides (the replies, the case's timeline lines)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chalicelib.services.chat import replies

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.domain.cases import Case, CaseEvent
    from chalicelib.domain.catalogue import Catalogue
    from chalicelib.domain.conversation import Conversation
    from chalicelib.domain.outbound import Content
    from chalicelib.domain.upload_links import IssuedLink, LinkPurpose
    from chalicelib.offices import Office
    from chalicelib.services.calendar.slots import CalendarDeps
    from chalicelib.services.cases.ports import CaseRepository
    from chalicelib.services.chat.media_intake import MediaIntake
    from chalicelib.services.chat.ports import ConversationStore
    from chalicelib.services.messages.messenger import Messenger
    from chalicelib.services.messages.ports import InboundStore
    from chalicelib.services.privacy import PrivacyContext


@dataclass(frozen=True, slots=True)
class ChatDeps:
    """What the conversation needs, wired by bootstrap."""

    conversations: ConversationStore
    cases: CaseRepository
    inbound: InboundStore  # files each message under the applicant's open case (the case's thread)
    messenger: Messenger
    intake: MediaIntake
    catalogue: Callable[[], Catalogue]
    office: Callable[[str], Office]
    default_office: str
    region_of: Callable[[str], str | None]  # the phone number's country, to guess a language
    clock_ms: Callable[[], int]
    issue_link: Callable[[Case, LinkPurpose], IssuedLink]  # a fresh secure upload link ("link" command)
    calendar: CalendarDeps  # the counter visit: free times, booking
    privacy: PrivacyContext  # the privacy notice: its link on first contact, the "privacy" command
    max_mb: int = 10


@dataclass
class Turn:
    """What handling one message decided: the new conversation, the replies, the case's new timeline lines."""

    conversation: Conversation
    language: str
    case: Case | None
    replies: list[Content] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)
    unanswered: bool = False
    document_id: str | None = None  # the case document the message's file became
    refused: str | None = None  # why the message's file was not kept
    office: str | None = None  # the office whose number the message was sent to (its replies leave from it)

    def say(self, key: str, **values: str) -> None:
        self.replies.append(replies.text(key, self.language, **values))
