"""Ports for what the use cases store: inbound messages, outbound messages, applicants, quarantine."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator

    from chalicelib.domain.applicants import ApplicantRef
    from chalicelib.domain.delivery import StatusUpdate
    from chalicelib.domain.inbound import InboundMessage
    from chalicelib.domain.outbound import OutboundMessage
    from chalicelib.domain.thread import ThreadPage
    from chalicelib.services.messages.rendering import Rendered


class StatusOutcome(StrEnum):
    """What a status webhook did to the outbound record."""

    APPLIED = "applied"
    STALE = "stale"  # a duplicate, or older than what we already know: nothing moves backwards
    UNKNOWN_MESSAGE = "unknown_message"
    # Applied, and it is the failure of a template: Meta accepted the send, then could not deliver it (counted).
    TEMPLATE_FAILED = "template_failed"


class ClaimOutcome(StrEnum):
    """Whether this caller may send an outbound message now."""

    CLAIMED = "claimed"
    ALREADY_HANDLED = "already_handled"  # sent: Meta gave it a wamid (never sent twice)
    ALREADY_FAILED = "already_failed"  # refused for good by Meta: not sent, and not tried again
    # Not now: another worker sends it under a live lease, or a send that may have reached Meta waits for Meta's
    # status until the reconcile time; after that the outbox sweep sends it (or finds it sent).
    IN_FLIGHT = "in_flight"


@dataclass(frozen=True, slots=True)
class Lease:
    """The times a claim carries: ``until_ms`` (the worker may still be sending until then; it must outlast the
    Graph client's worst case) and ``reconcile_at_ms`` (no wamid by then: the message may be sent again)."""

    until_ms: int
    reconcile_at_ms: int


@dataclass(frozen=True, slots=True)
class Claim:
    """What :meth:`OutboundStore.claim` found: the outcome, the wamid of a message already sent, and when a
    message in flight may be claimed again."""

    outcome: ClaimOutcome
    wamid: str | None = None
    retry_at_ms: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A message recorded ``queued`` in the same write as the change that says it; the sweep leaves it to the
    request that saved it until ``sendable_at_ms`` (that request's own attempt comes first)."""

    message: OutboundMessage
    rendered: Rendered
    queued_at_ms: int
    sendable_at_ms: int


@dataclass(frozen=True, slots=True)
class UnsentMessage:
    """A message in the outbox that is not sent yet (queued, released, or in doubt past its reconcile time), as the
    sweep sends it again (upload-link tokens are not stored: ``message.link`` says which link to issue afresh),
    with the number of claims so far."""

    message: OutboundMessage
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class PendingInbound:
    """An inbound message still waiting to be processed, with the number of failed attempts so far."""

    message: InboundMessage
    attempts: int


@dataclass(frozen=True, slots=True)
class InboundFiling:
    """What the conversation made of an inbound message, for the thread: the document its file became, or why it
    was refused."""

    document_id: str | None = None
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    """A signed webhook item set aside, with enough context to inspect and replay it."""

    quarantine_id: str
    reason: str
    location: str
    detail: str
    item_json: str
    body_sha256: str
    received_at_ms: int


class InboundStore(Protocol):
    """Inbound messages, stored once per wamid."""

    def add(self, message: InboundMessage, received_at_ms: int) -> bool:
        """Store a new message; False (and no change) when that wamid is already stored."""
        ...

    def is_processed(self, message: InboundMessage) -> bool:
        """True once processing of that message completed."""
        ...

    def mark_processed(self, message: InboundMessage, now_ms: int) -> None:
        """Record that processing completed (the message leaves the pending index)."""
        ...

    def record_failure(self, message: InboundMessage, error_type: str) -> None:
        """Count a failed processing attempt, keeping the message pending for the redrive."""
        ...

    def pending_since(self, before_ms: int, limit: int) -> Iterator[PendingInbound]:
        """Messages still unprocessed that arrived before ``before_ms``, oldest first."""
        ...

    def file_under_case(self, message: InboundMessage, case_id: str, filing: InboundFiling) -> None:
        """Put the message in ``case_id``'s thread, with what became of its file (the same call twice is one)."""
        ...


class OutboundStore(Protocol):
    """Outbound messages keyed by idempotency key, with their delivery status: an outbox (a message is recorded
    ``queued`` before any send, and unsent ones are found again by a sparse index)."""

    def claim(self, message: OutboundMessage, now_ms: int, rendered: Rendered, lease: Lease) -> Claim:
        """Reserve the right to send ``message`` under ``lease``: CLAIMED when there is no record, or it is queued
        or released, or it is in doubt (``sending`` or ``uncertain``) past its reconcile time with no wamid; only
        one caller at a time ever gets CLAIMED for an outbound_id. The record keeps ``rendered`` (what the
        applicant will read) and files the message in its case's thread."""
        ...

    def record_uncertain(self, outbound_id: str, now_ms: int, reconcile_at_ms: int) -> None:
        """The send may have reached Meta (its answer was lost): a status webhook with a wamid settles it as sent;
        without one by ``reconcile_at_ms`` it may be sent again."""
        ...

    def unsent(self, now_ms: int, limit: int) -> list[UnsentMessage]:
        """Up to ``limit`` messages the sweep may send now, oldest first (a Query on a sparse index)."""
        ...

    def record_accepted(self, outbound_id: str, wamid: str, now_ms: int) -> None:
        """Meta accepted the send and gave it a wamid."""
        ...

    def release(self, outbound_id: str, error_code: int | None, now_ms: int) -> None:
        """The send surely did not happen (Meta refused it transiently): a retry, or the sweep, may claim it
        again."""
        ...

    def record_failed(self, outbound_id: str, error_code: int | None, title: str, now_ms: int) -> None:
        """Meta refused the send for good: it is not tried again."""
        ...

    def apply_status(self, update: StatusUpdate, now_ms: int) -> StatusOutcome:
        """Move the message's status forward (never backwards); duplicates change nothing. Reports a template
        moved to failed apart, so that it is counted with no second read."""
        ...


class ThreadStore(Protocol):
    """A case's thread, read from the inbound and outbound messages filed under it."""

    def page(self, case_id: str, before: str | None, limit: int) -> ThreadPage:
        """Up to ``limit`` entries before the position ``before`` (the newest when None), oldest first."""
        ...


class ApplicantStore(Protocol):
    """Applicants as WhatsApp identities."""

    def record_inbound(self, applicant: ApplicantRef, profile_name: str | None, sent_at: int, now_ms: int) -> None:
        """Create or refresh the applicant; ``last_inbound_at`` only moves forward."""
        ...

    def last_inbound_at(self, applicant: ApplicantRef) -> int | None:
        """When (Unix seconds) the applicant last wrote to us: the 24-hour window runs from there."""
        ...


class QuarantineStore(Protocol):
    """Signed but unusable webhook items."""

    def put(self, record: QuarantineRecord) -> None:
        """Keep a record (the same id twice keeps one)."""
        ...

    def on_day(self, day: str) -> list[dict[str, object]]:
        """A day's records (``YYYY-MM-DD``): ids, reasons and places, oldest first."""
        ...
