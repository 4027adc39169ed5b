"""Webhook ingestion: verify, store each update once, answer fast; processing happens later, off the ack path.

One AWS call per update: a conditional put per message (keyed by applicant and wamid, so a redelivery changes
nothing) and a conditional update per status. Quarantine writes happen only for odd items. Messages of one
applicant are written in payload order, different applicants in parallel, so that the table's stream, which
keeps order per partition key, hands them to the processor in the order they came.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

from chalicelib.domain.delivery import DeliveryStatus
from chalicelib.domain.errors import DomainError
from chalicelib.observability import get_logger
from chalicelib.services.messages.ports import QuarantineRecord, StatusOutcome
from chalicelib.services.metrics import NO_METRICS, MetricName, error_code
from chalicelib.whatsapp.signature import is_valid_signature
from chalicelib.whatsapp.updates import QuarantinedItem, QuarantineReason, parse_webhook

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Executor

    from chalicelib.domain.inbound import InboundMessage
    from chalicelib.services.messages.ports import InboundStore, OutboundStore, QuarantineStore
    from chalicelib.services.metrics import Metrics

log = get_logger("ingest")


class InvalidSignature(DomainError):
    """The POST is not signed by Meta with our app secret: nothing is stored."""


@dataclass(frozen=True, slots=True)
class IngestResult:
    """Counts of what one webhook POST did (logged, and returned by tests and benchmarks)."""

    stored: int = 0
    duplicates: int = 0
    statuses_applied: int = 0
    statuses_stale: int = 0
    quarantined: int = 0


@dataclass(frozen=True, slots=True)
class IngestDeps:
    """What ingestion needs, wired by bootstrap."""

    app_secret: Callable[[], str]
    inbound: InboundStore
    outbound: OutboundStore
    quarantine: QuarantineStore
    clock_ms: Callable[[], int]
    executor: Executor | None = None
    metrics: Metrics = NO_METRICS
    # The office a message sent to a phone_number_id is for (None: no office's, quarantined); None: not routed.
    route: Callable[[str], str | None] | None = None


def ingest_webhook(raw_body: bytes, signature: str | None, deps: IngestDeps) -> IngestResult:
    """Verify a webhook POST and store what it carries; raises :class:`InvalidSignature` before any write."""
    if not is_valid_signature(deps.app_secret(), raw_body, signature):
        raise InvalidSignature("X-Hub-Signature-256 missing or wrong")
    now = deps.clock_ms()
    body_sha256 = hashlib.sha256(raw_body).hexdigest()
    try:
        payload = json.loads(raw_body)
    except (ValueError, RecursionError) as exc:  # also UnicodeDecodeError; RecursionError: absurdly deep nesting
        item = QuarantinedItem(QuarantineReason.INVALID_JSON, "$", None, type(exc).__name__)
        _quarantine(deps, [item], raw_body, body_sha256, now)
        return IngestResult(quarantined=1)
    batch = parse_webhook(payload)
    messages, unrouted = _route(deps, batch.messages)
    stored, duplicates = _store_messages(deps, messages, now)
    if stored:
        deps.metrics.count(MetricName.MESSAGES_RECEIVED, stored)
    applied = stale = 0
    unknown: list[QuarantinedItem] = []
    for update in batch.statuses:
        outcome = deps.outbound.apply_status(update, now)
        if outcome in {StatusOutcome.APPLIED, StatusOutcome.TEMPLATE_FAILED}:
            applied += 1
            if update.status is DeliveryStatus.FAILED:
                extra = {"outbound_id": update.outbound_id, "wamid": update.wamid, "code": update.error_code}
                log.warning("delivery_failed", extra=extra)
            if outcome is StatusOutcome.TEMPLATE_FAILED:  # counted once: a redelivered status is stale
                deps.metrics.count(MetricName.TEMPLATE_FAILURES, code=error_code(update.error_code))
        elif outcome is StatusOutcome.STALE:
            stale += 1
        else:
            where = f"status:{update.wamid}:{update.status.value}"
            unknown.append(QuarantinedItem(QuarantineReason.UNKNOWN_OUTBOUND, where, asdict(update)))
    quarantined = [*batch.quarantined, *unrouted, *unknown]
    _quarantine(deps, quarantined, raw_body, body_sha256, now)
    result = IngestResult(stored, duplicates, applied, stale, len(quarantined))
    log.info(
        "webhook_ingested",
        extra={"stored": stored, "duplicates": duplicates, "statuses": applied, "quarantined": len(quarantined)},
    )
    return result


def _route(deps: IngestDeps, messages: list[InboundMessage]) -> tuple[list[InboundMessage], list[QuarantinedItem]]:
    """Each message with the office whose number it was sent to; those sent to no office's number, set aside (never
    answered: a number of the same business account that is not ours)."""
    if deps.route is None:
        return messages, []
    routed: list[InboundMessage] = []
    unrouted: list[QuarantinedItem] = []
    for message in messages:
        office = deps.route(message.phone_number_id)
        if office is None:
            where, detail = f"message:{message.wamid}", f"phone_number_id {message.phone_number_id or '(none)'}"
            unrouted.append(QuarantinedItem(QuarantineReason.UNKNOWN_PHONE_NUMBER, where, message.message, detail))
        else:
            routed.append(replace(message, office=office))
    return routed, unrouted


def _store_messages(deps: IngestDeps, messages: list[InboundMessage], now: int) -> tuple[int, int]:
    by_applicant: dict[str, list[InboundMessage]] = defaultdict(list)
    for message in messages:
        by_applicant[message.applicant.key].append(message)

    def store_in_order(group: list[InboundMessage]) -> int:
        return sum(1 for message in group if deps.inbound.add(message, now))

    groups = list(by_applicant.values())
    if deps.executor is None or len(groups) < 2:
        stored = sum(store_in_order(group) for group in groups)
    else:
        # The first group in this thread: on a cold start it builds the table's client once (PynamoDB builds it on
        # first use, unlocked: a burst on a cold worker had every thread build its own, ~0.1 s of CPU each).
        stored = store_in_order(groups[0]) + sum(deps.executor.map(store_in_order, groups[1:]))
    return stored, len(messages) - stored


def _quarantine(deps: IngestDeps, items: list[QuarantinedItem], raw_body: bytes, body_sha256: str, now: int) -> None:
    for item in items:
        # The id depends only on the body and the place in it: a redelivered bad webhook keeps one record.
        quarantine_id = hashlib.sha256(f"{body_sha256}|{item.location}".encode()).hexdigest()[:40]
        if item.reason is QuarantineReason.INVALID_JSON:
            item_json = raw_body.decode("utf-8", errors="replace")
        else:
            item_json = _as_json(item.item)
        record = QuarantineRecord(
            quarantine_id, item.reason.value, item.location, item.detail, item_json, body_sha256, now
        )
        deps.quarantine.put(record)
        log.warning("webhook_item_quarantined", extra={"reason": item.reason.value, "quarantine_id": quarantine_id})


def _as_json(item: object) -> str:
    """The item as readable JSON; escaped where it holds lone surrogates (valid JSON escapes, but no UTF-8)."""
    readable = json.dumps(item, ensure_ascii=False, sort_keys=True, default=str)
    try:
        readable.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(item, sort_keys=True, default=str)
    return readable
