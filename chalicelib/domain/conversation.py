"""The applicant's conversation: a small state machine whose state lives in DynamoDB, never in memory.

``new → choosing_language → idle ⇄ choosing_item``. Each inbound message is handled once: the conversation keeps
the wamid it handled last, so a redelivered message changes nothing and its replies (sent with ids derived from the
wamid) are not sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from chalicelib.domain.normalise import is_question, normalise


class ConversationState(StrEnum):
    """Where the conversation stands."""

    NEW = "new"
    CHOOSING_LANGUAGE = "choosing_language"
    IDLE = "idle"
    CHOOSING_ITEM = "choosing_item"  # a file arrived; the applicant picks which checklist item it is


class Command(StrEnum):
    """What an applicant can type (in any of the chat's languages)."""

    STATUS = "status"
    INFO = "info"
    LANGUAGE = "language"
    STOP = "stop"  # an unmistakable "stop reminders" (STOP, unsubscribe…): honoured at once, as Meta requires
    MAYBE_STOP = "maybe_stop"  # a word that may mean stop but also something else ("basta"), or "stop?": asks first
    START = "start"
    HELP = "help"
    LINK = "link"  # a fresh secure upload link
    VISIT = "visit"  # the counter appointment: choose it, see it, move or cancel it
    PRIVACY = "privacy"  # the privacy notice (GDPR art. 13), short, with the full notice's link
    ERASE = "erase"  # "delete my data" (GDPR art. 17): an erasure request for the office to decide


HANDOFF_ACK_EVERY_MS = 24 * 60 * 60 * 1000  # "an officer will reply" at most once per day of conversation


@dataclass(frozen=True, slots=True)
class Conversation:
    """One applicant's conversation."""

    applicant_key: str
    state: ConversationState = ConversationState.NEW
    language: str | None = None
    pending_document_id: str | None = None
    last_wamid: str | None = None
    handoff_acknowledged_at_ms: int | None = None
    opted_out_at_ms: int | None = None
    version: int = 0

    @property
    def opted_out(self) -> bool:
        """The applicant asked for no reminders or other non-essential messages."""
        return self.opted_out_at_ms is not None

    def handled(self, wamid: str) -> Conversation:
        """Remember that ``wamid`` was handled."""
        return replace(self, last_wamid=wamid)

    def needs_handoff_ack(self, now_ms: int) -> bool:
        """Whether to tell the applicant that an officer will reply (once per day of conversation)."""
        last = self.handoff_acknowledged_at_ms
        return last is None or now_ms - last >= HANDOFF_ACK_EVERY_MS


def parse_command(text: str, words: dict[Command, frozenset[str]]) -> Command | None:
    """The command ``text`` is, when the whole message is one of its words (so "non è lo stato" is not one).

    A stop word asked as a question ("STOP?", "بند؟" when it was a stop word) only asks whether to stop: an applicant
    who repeats a word back as a question has not decided anything.
    """
    said = normalise(text)
    for command, keywords in words.items():
        if said in keywords:
            return Command.MAYBE_STOP if command is Command.STOP and is_question(text) else command
    return None
