"""Sending with exactly-once intent: a message is sent at most once per ``outbound_id``, and lost never silently.

The claim also records what the applicant will read (the rendered text, :mod:`.rendering`): the case's thread
shows it, with the delivery status that Meta's webhooks then move forward.

The claim (a conditional write) comes before the send. If Meta refuses the send transiently the claim is released
and the error re-raised, so the event is retried and may claim again; if the request may have reached Meta (a
read timeout) we do not risk a second copy: the record stays visible as failed with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.observability import get_logger
from chalicelib.services.messages.ports import ClaimOutcome
from chalicelib.services.messages.rendering import render
from chalicelib.services.metrics import NO_METRICS, MetricName, error_code
from chalicelib.whatsapp.errors import GraphApiError, TransportError

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.domain.outbound import OutboundMessage
    from chalicelib.services.messages.gateway import WhatsAppGateway
    from chalicelib.services.messages.ports import OutboundStore
    from chalicelib.services.metrics import Metrics

log = get_logger("messaging")

UNCERTAIN_DELIVERY = "request may have reached Meta; not resent"


class SendOutcome(StrEnum):
    """What :func:`send_once` did."""

    SENT = "sent"
    ALREADY_HANDLED = "already_handled"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Messenger:
    """Sends outbound messages through the gateway, recording each in the outbound store."""

    gateway: WhatsAppGateway
    outbound: OutboundStore
    clock_ms: Callable[[], int]
    metrics: Metrics = NO_METRICS

    def send_once(self, message: OutboundMessage) -> SendOutcome:
        """Send ``message`` unless a message with its ``outbound_id`` was already sent or attempted."""
        return self.send_once_with_code(message)[0]

    def send_once_with_code(self, message: OutboundMessage) -> tuple[SendOutcome, int | None]:
        """:meth:`send_once`, with Meta's error code when the send failed for good (for the case timeline)."""
        if self.outbound.claim(message, self.clock_ms(), render(message.content)) is ClaimOutcome.ALREADY_HANDLED:
            log.info("send_skipped_duplicate", extra={"outbound_id": message.outbound_id})
            return SendOutcome.ALREADY_HANDLED, None
        try:
            wamid = self.gateway.send(message)
        except TransportError as exc:
            if not exc.request_may_have_reached_meta:
                self.outbound.release(message.outbound_id, None, self.clock_ms())
                raise
            self.outbound.record_failed(message.outbound_id, None, UNCERTAIN_DELIVERY, self.clock_ms())
            log.error("send_outcome_unknown", extra={"outbound_id": message.outbound_id})
            self._count_failure(message, None)
            return SendOutcome.FAILED, None
        except GraphApiError as exc:
            if exc.is_transient:
                self.outbound.release(message.outbound_id, exc.code, self.clock_ms())
                raise
            self.outbound.record_failed(message.outbound_id, exc.code, type(exc).__name__, self.clock_ms())
            log.warning("send_failed", extra={"outbound_id": message.outbound_id, "code": exc.code})
            self._count_failure(message, exc.code)
            return SendOutcome.FAILED, exc.code
        self.outbound.record_accepted(message.outbound_id, wamid, self.clock_ms())
        log.info("message_sent", extra={"outbound_id": message.outbound_id, "wamid": wamid})
        self.metrics.count(MetricName.REPLIES_SENT)
        return SendOutcome.SENT, None

    def _count_failure(self, message: OutboundMessage, code: int | None) -> None:
        """A send that failed for good (a transient refusal is retried, so not yet a failure)."""
        if message.is_template:
            self.metrics.count(MetricName.TEMPLATE_FAILURES, code=error_code(code))
