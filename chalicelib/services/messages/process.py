"""Processing of a stored inbound message, driven by the inbound table's stream in per-applicant order.

Each step is idempotent so that a redelivered event (the stream and the redrive sweep both deliver at least
once) has no second effect: the applicant record only moves forward, marking as read is harmless twice, and the
reply goes through :meth:`Messenger.send_once` keyed by the inbound wamid.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain.inbound import MessageType
from chalicelib.observability import get_logger
from chalicelib.whatsapp.errors import WhatsAppError

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.domain.inbound import InboundMessage
    from chalicelib.services.messages.gateway import WhatsAppGateway
    from chalicelib.services.messages.ports import ApplicantStore, InboundStore

log = get_logger("process")


class ProcessOutcome(StrEnum):
    """What processing one inbound message did."""

    PROCESSED = "processed"
    ALREADY_PROCESSED = "already_processed"


@dataclass(frozen=True, slots=True)
class ProcessDeps:
    """What processing needs, wired by bootstrap."""

    inbound: InboundStore
    applicants: ApplicantStore
    gateway: WhatsAppGateway
    converse: Callable[[InboundMessage], None]  # the conversation's answer (services.conversation)
    clock_ms: Callable[[], int]


def process_inbound(message: InboundMessage, deps: ProcessDeps) -> ProcessOutcome:
    """Record the applicant, mark the message read, answer it in the conversation, mark it processed."""
    if deps.inbound.is_processed(message):
        return ProcessOutcome.ALREADY_PROCESSED
    try:
        now = deps.clock_ms()
        deps.applicants.record_inbound(message.applicant, message.profile_name, message.sent_at, now)
        _mark_read(message, deps.gateway)
        if message.type is not MessageType.SYSTEM:  # number changes are Meta's notices, not the applicant's words
            deps.converse(message)
        deps.inbound.mark_processed(message, deps.clock_ms())
    except Exception as exc:
        # Counted on the message (it stays pending for the redrive), then re-raised so the event is retried.
        deps.inbound.record_failure(message, type(exc).__name__)
        raise
    return ProcessOutcome.PROCESSED


def _mark_read(message: InboundMessage, gateway: WhatsAppGateway) -> None:
    """Blue ticks are a courtesy: failing to set them must not hold up the applicant's reply."""
    try:
        gateway.mark_read(message.wamid, message.phone_number_id or None)
    except WhatsAppError as exc:
        log.warning("mark_read_failed", extra={"wamid": message.wamid, "error_type": type(exc).__name__})


@dataclass(frozen=True, slots=True)
class RedriveResult:
    """What one redrive sweep did."""

    processed: int
    failed: int
    parked: int


def redrive_pending(deps: ProcessDeps, older_than_ms: int, max_attempts: int, limit: int = 100) -> RedriveResult:
    """Process messages the stream did not finish (its retries ran out, or a record was lost), oldest first.

    A message that failed ``max_attempts`` times stays pending but is left alone: it is parked, listed by the
    pending index for a person to look at and replay with ``devtools.replay``.
    """
    processed = failed = parked = 0
    for pending in deps.inbound.pending_since(deps.clock_ms() - older_than_ms, limit):
        if pending.attempts >= max_attempts:
            parked += 1
            continue
        try:
            process_inbound(pending.message, deps)
            processed += 1
        except Exception as exc:  # one bad message must not stop the sweep
            failed += 1
            log.warning("redrive_failed", extra={"wamid": pending.message.wamid, "error_type": type(exc).__name__})
    if processed or failed or parked:
        log.info("redrive_done", extra={"count": processed, "records": failed + parked})
    return RedriveResult(processed, failed, parked)
