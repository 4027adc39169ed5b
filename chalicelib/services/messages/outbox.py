"""The outbox sweep: sends what is left unsent (see :mod:`.messenger` for the rule), a bounded page per run.

It runs with the inbound redrive every five minutes. Each record it finds is claimed like any send, so two sweeps,
or a sweep and the request that queued the message, never both send it: the sweep is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from chalicelib.domain.outbound import has_hidden_token, with_token
from chalicelib.observability import get_logger
from chalicelib.services.messages.messenger import SendOutcome
from chalicelib.whatsapp.errors import GraphApiError, TransportError

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.domain.upload_links import LinkPurpose
    from chalicelib.services.messages.messenger import Messenger

log = get_logger("messaging")

# Claims of one message before the sweep gives up on it (about an hour of five-minute runs of transient refusals).
MAX_ATTEMPTS = 12
LINK_UNAVAILABLE = "upload link could not be issued again"
GAVE_UP = "still refused after repeated attempts"


@dataclass(frozen=True, slots=True)
class OutboxSweep:
    """What one run did: messages found, sent, found sent already, failed, still waiting (in flight or refused
    for now)."""

    found: int = 0
    sent: int = 0
    already_sent: int = 0
    failed: int = 0
    waiting: int = 0


def send_unsent(
    messenger: Messenger,
    fresh_link: Callable[[str, LinkPurpose], str | None],
    limit: int,
) -> OutboxSweep:
    """Send up to ``limit`` unsent messages whose time has come. ``fresh_link(case_id, purpose)`` issues a new
    upload link and returns its token (None when the case is gone): a message that carried one is sent again
    with a new link, since its record keeps no token."""
    counts = {outcome: 0 for outcome in SendOutcome}
    now = messenger.clock_ms()
    found = messenger.outbound.unsent(now, limit)
    for unsent in found:
        message = unsent.message
        if unsent.attempts >= MAX_ATTEMPTS:
            messenger.outbound.record_failed(message.outbound_id, None, GAVE_UP, now)
            counts[SendOutcome.FAILED] += 1
            continue
        if has_hidden_token(message.content):
            token = fresh_link(message.case_id, message.link) if message.case_id and message.link else None
            if token is None:
                messenger.outbound.record_failed(message.outbound_id, None, LINK_UNAVAILABLE, now)
                counts[SendOutcome.FAILED] += 1
                continue
            message = replace(message, content=with_token(message.content, token))
        try:
            outcome = messenger.send(message).outcome
        except (GraphApiError, TransportError):
            outcome = SendOutcome.QUEUED  # released: the next run tries again
        counts[outcome] += 1
    result = OutboxSweep(
        found=len(found),
        sent=counts[SendOutcome.SENT],
        already_sent=counts[SendOutcome.ALREADY_HANDLED],
        failed=counts[SendOutcome.FAILED],
        waiting=counts[SendOutcome.QUEUED],
    )
    if found:
        log.info("outbox_swept", extra={"count": result.found})
    return result
