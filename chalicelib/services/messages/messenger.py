"""Sending with exactly-once intent: a message is sent at most once per ``outbound_id``, and lost never silently.

Design (issue 16). The outbound table is an outbox: every message has a record keyed by its deterministic
``outbound_id`` before anything reaches Meta, holding what is needed to send it again (the content, with
upload-link tokens hidden: a message sent again gets a freshly issued link, so no token ever rests in a table).
What an officer's action tells the applicant (a message, a request, a review, a booking with its slot's place, a
missed visit's or a completed checklist's offer, a closing, a new case's opening, an erasure refusal) is written
``queued`` in the same transaction as the case change that says it (:meth:`Notifier.save_then_send`, or
:meth:`Notifier.queue` for the booking's and the new case's own writes), so a 409 (or a lost slot race) means
nothing saved and nothing sent, and a worker that dies after the write leaves the message to the sweep. Chat
replies keep the direct claim and send: the inbound stream retries them.

- **Claim with a lease.** Before calling Meta a worker claims the record (a conditional write): ``sending``, with
  ``lease_until`` (now + ``SEND_LEASE_SECONDS``, longer than the Graph client's worst case of four attempts with
  their timeouts and back-off) and a reconcile time (the attempt + ``SEND_RECONCILE_SECONDS``, at least the lease).
  A claim succeeds when there is no record, or it is ``queued`` or ``released``, or it is in doubt (``sending``
  whose worker may have died, or ``uncertain``) past its reconcile time and still without a wamid.
- **In doubt, Meta decides.** We send with ``biz_opaque_callback_data = outbound_id``, so Meta's status webhook
  (sent, delivered, read, failed) puts the wamid on the record. A record with a wamid went out: it is never sent
  again. A record without one by its reconcile time (the worker was killed, or the answer to a send that may have
  reached Meta was lost) may be sent again; a status later than that is the one way a message can go twice.
- **Outcomes.** ``ALREADY_HANDLED`` means "sent" (a wamid); ``QUEUED`` means "not sent yet, the outbox owns it":
  being sent under a live lease, waiting for Meta's status, or refused for now. Nothing is ever left stuck:
  :func:`~chalicelib.services.messages.outbox.send_unsent` (every 5 minutes, with the inbound redrive) sends
  every unsent record whose time has come.
- A transient refusal (5xx, 130429, a connection that never opened) releases the record: :meth:`Messenger.send`
  re-raises so that the event that asked for it is retried (the chat); :meth:`Messenger.send_queued` leaves it to
  the sweep and answers ``queued`` (officers' actions: the change is saved, the message follows).

The claim also records what the applicant will read (the rendered text, :mod:`.rendering`): the case's thread
shows it, with the delivery status that Meta's webhooks then move forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.observability import get_logger
from chalicelib.services.messages.ports import ClaimOutcome, Lease
from chalicelib.services.messages.rendering import render
from chalicelib.services.metrics import NO_METRICS, MetricName, error_code
from chalicelib.whatsapp.errors import GraphApiError, TransportError

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.domain.outbound import OutboundMessage
    from chalicelib.services.messages.gateway import WhatsAppGateway
    from chalicelib.services.messages.ports import OutboundStore
    from chalicelib.services.messages.rendering import Rendered
    from chalicelib.services.metrics import Metrics

log = get_logger("messaging")


class SendOutcome(StrEnum):
    """What :meth:`Messenger.send` did."""

    SENT = "sent"
    ALREADY_HANDLED = "already_handled"  # sent before (a wamid): never twice
    FAILED = "failed"  # refused for good
    QUEUED = "queued"  # not sent yet: in flight, waiting for Meta's status, or left to the outbox sweep


@dataclass(frozen=True, slots=True)
class SendPolicy:
    """How long a claim holds (``lease_ms``) and how long a send in doubt waits for Meta's status before it may be
    sent again (``reconcile_ms``, counted from the attempt; never shorter than the lease)."""

    lease_ms: int = 90_000
    reconcile_ms: int = 600_000

    def lease(self, now_ms: int) -> Lease:
        """The lease of an attempt starting at ``now_ms``."""
        return Lease(now_ms + self.lease_ms, now_ms + max(self.lease_ms, self.reconcile_ms))


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome, Meta's wamid when the message is sent, Meta's code when it failed for good, and when a message
    left queued may next be tried."""

    outcome: SendOutcome
    wamid: str | None = None
    error_code: int | None = None
    retry_at_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Messenger:
    """Sends outbound messages through the gateway, recording each in the outbound store."""

    gateway: WhatsAppGateway
    outbound: OutboundStore
    clock_ms: Callable[[], int]
    metrics: Metrics = NO_METRICS
    policy: SendPolicy = SendPolicy()

    def send_once(self, message: OutboundMessage) -> SendOutcome:
        """Send ``message`` unless a message with its ``outbound_id`` was already sent or is in flight."""
        return self.send(message).outcome

    def rendered(self, message: OutboundMessage) -> Rendered:
        """What the applicant will read of ``message`` (kept on its record)."""
        return render(message.content)

    def send(self, message: OutboundMessage) -> SendResult:
        """Claim and send ``message``; a transient refusal releases the claim and re-raises (retry the caller)."""
        now = self.clock_ms()
        claim = self.outbound.claim(message, now, self.rendered(message), self.policy.lease(now))
        if claim.outcome is ClaimOutcome.ALREADY_HANDLED:
            log.info("send_skipped_duplicate", extra={"outbound_id": message.outbound_id})
            return SendResult(SendOutcome.ALREADY_HANDLED, wamid=claim.wamid)
        if claim.outcome is ClaimOutcome.ALREADY_FAILED:
            log.info("send_skipped_failed", extra={"outbound_id": message.outbound_id})
            return SendResult(SendOutcome.FAILED)
        if claim.outcome is ClaimOutcome.IN_FLIGHT:
            log.info("send_in_flight", extra={"outbound_id": message.outbound_id})
            return SendResult(SendOutcome.QUEUED, retry_at_ms=claim.retry_at_ms)
        return self._attempt(message, now)

    def send_queued(self, message: OutboundMessage) -> SendResult:
        """:meth:`send`, but a transient refusal leaves the message to the outbox sweep (``QUEUED``)."""
        try:
            return self.send(message)
        except (GraphApiError, TransportError) as exc:
            # send() re-raises only what it released: the record is unsent and in the sweep's index.
            fields = {"outbound_id": message.outbound_id, "error_type": type(exc).__name__}
            log.warning("send_left_queued", extra=fields)
            return SendResult(SendOutcome.QUEUED)

    def _attempt(self, message: OutboundMessage, started_ms: int) -> SendResult:
        try:
            wamid = self.gateway.send(message)
        except TransportError as exc:
            if not exc.request_may_have_reached_meta:
                self.outbound.release(message.outbound_id, None, self.clock_ms())
                raise
            reconcile_at = self.policy.lease(started_ms).reconcile_at_ms
            self.outbound.record_uncertain(message.outbound_id, self.clock_ms(), reconcile_at)
            log.error("send_outcome_unknown", extra={"outbound_id": message.outbound_id})
            return SendResult(SendOutcome.QUEUED, retry_at_ms=reconcile_at)
        except GraphApiError as exc:
            if exc.is_transient:
                self.outbound.release(message.outbound_id, exc.code, self.clock_ms())
                raise
            self.outbound.record_failed(message.outbound_id, exc.code, type(exc).__name__, self.clock_ms())
            log.warning("send_failed", extra={"outbound_id": message.outbound_id, "code": exc.code})
            self._count_failure(message, exc.code)
            return SendResult(SendOutcome.FAILED, error_code=exc.code)
        self.outbound.record_accepted(message.outbound_id, wamid, self.clock_ms())
        log.info("message_sent", extra={"outbound_id": message.outbound_id, "wamid": wamid})
        self.metrics.count(MetricName.REPLIES_SENT)
        return SendResult(SendOutcome.SENT, wamid=wamid)

    def _count_failure(self, message: OutboundMessage, code: int | None) -> None:
        """A send that failed for good (a transient refusal is retried, so not yet a failure)."""
        if message.is_template:
            self.metrics.count(MetricName.TEMPLATE_FAILURES, code=error_code(code))
