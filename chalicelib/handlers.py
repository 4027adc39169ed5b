"""Event entry points called from ``app.py``: each turns a Lambda event into use-case calls.

Chalice names a Lambda handler after the module that declares it, so every non-HTTP handler is declared in
``app.py`` (where the app's middleware applies) and delegates here in one line.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.bootstrap import container
from chalicelib.observability import get_logger

if TYPE_CHECKING:
    from collections.abc import Iterable

log = get_logger("handlers")

# A message that failed this many times is parked for a person instead of being retried by the sweep.
MAX_PROCESSING_ATTEMPTS = 5


def process_inbound_stream(records: Iterable[Any]) -> dict[str, int]:
    """Process the INSERTs of the inbound table's stream, in order; an error fails the batch so it is retried.

    ``records`` are Chalice ``DynamoDBRecord`` objects. The stream keeps per-partition-key order (the
    partition key is the applicant), and Lambda retries a failed batch before reading on, so a failure holds
    back only what comes after it; when retries run out the batch goes to the dead-letter queue and the message,
    still pending in the table, is picked up by :func:`redrive_inbound`.
    """
    from chalicelib.adapters.dynamo.messages import inbound_from_stream_image
    from chalicelib.services.messages.process import ProcessOutcome, process_inbound

    deps = container().process_deps
    counts = {outcome.value: 0 for outcome in ProcessOutcome}
    for record in records:
        if record.event_name != "INSERT" or not record.new_image:
            continue
        outcome = process_inbound(inbound_from_stream_image(record.new_image), deps)
        counts[outcome.value] += 1
    return counts


def redrive_inbound() -> dict[str, int]:
    """The scheduled safety net: process inbound messages left pending for longer than the redrive delay, then
    send what the outbox holds unsent (queued, refused for now, or in doubt past its reconcile time)."""
    from chalicelib.services.messages.outbox import send_unsent
    from chalicelib.services.messages.process import redrive_pending

    c = container()
    result = redrive_pending(
        c.process_deps,
        older_than_ms=c.settings.redrive_after_seconds * 1000,
        max_attempts=MAX_PROCESSING_ATTEMPTS,
    )
    swept = send_unsent(c.messenger, c.fresh_link, c.settings.outbox_sweep_limit)
    return asdict(result) | {f"outbox_{name}": count for name, count in asdict(swept).items()}


def refresh_waiting_times() -> dict[str, int]:
    """The scheduled aggregation behind ``GET /info/waiting-times``: one small summary per office."""
    from chalicelib.bootstrap import now_ms
    from chalicelib.offices import offices
    from chalicelib.services.calendar.slots import calendar_of, next_free
    from chalicelib.services.public_info import refresh_waiting_times as refresh

    c = container()

    def first_free(office: str) -> str | None:
        slots = next_free(c.calendar_deps, calendar_of(c.calendar_deps, office), 1)
        return slots[0].at.isoformat(timespec="minutes") if slots else None

    written = refresh(
        c.cases,
        c.summaries,
        offices(),
        now_ms(),
        window_days=c.settings.waiting_window_days,
        minimum=c.settings.waiting_minimum_cases,
        next_free=first_free,
    )
    return {"offices": written}


def sweep_reminders(as_of_ms: int | None = None) -> dict[str, int]:
    """The scheduled fan-out: one SQS job per due reminder (``as_of_ms``: a local sweep "as of" a time)."""
    from chalicelib.services.reminders.schedule import sweep

    result = sweep(container().scheduler, as_of_ms)
    return {"due": result.due, "queued": result.queued, "quiet": int(result.quiet), "more_due": int(result.more_due)}


def send_reminders(records: Iterable[Any]) -> dict[str, int]:
    """The reminder worker (batch size 1). A transient Graph error re-raises after stretching the message's
    visibility timeout (exponential backoff); after the queue's ``maxReceiveCount`` SQS parks it on the DLQ."""
    import json

    from chalicelib.services.reminders.delivery import ReminderInFlight, deliver
    from chalicelib.services.reminders.ports import ReminderJob
    from chalicelib.whatsapp.errors import GraphApiError, TransportError

    c = container()
    counts: dict[str, int] = {}
    for record in records:
        job = ReminderJob(**json.loads(record.body))
        try:
            outcome = deliver(c.delivery_deps, job)
        except (GraphApiError, TransportError, ReminderInFlight) as exc:
            _back_off(record, getattr(exc, "retry_after", None))
            log.warning("reminder_retry", extra={"error_type": type(exc).__name__, "code": getattr(exc, "code", None)})
            raise
        counts[outcome.value] = counts.get(outcome.value, 0) + 1
    return counts


def _back_off(record: Any, retry_after: float | None) -> None:
    """Make the failed job reappear later: 30 s, 60 s, 120 s... (at least Meta's ``retry_after``), at most 15 min."""
    c = container()
    receives = int(record.to_dict().get("attributes", {}).get("ApproximateReceiveCount", "1"))
    base = c.settings.reminder_retry_base_seconds
    delay = min(900, max(int(retry_after or 0), base * 2 ** (receives - 1)))
    try:
        c.client("sqs").change_message_visibility(
            QueueUrl=c.reminder_queue.url(), ReceiptHandle=record.receipt_handle, VisibilityTimeout=delay
        )
    except Exception as exc:  # the queue's own visibility timeout still applies
        log.warning("reminder_backoff_failed", extra={"error_type": type(exc).__name__})


def anonymise_ended_cases() -> dict[str, int]:
    """The daily retention job: closed cases whose retention ended keep only what the figures need."""
    from chalicelib.services.retention import anonymise_ended_cases as anonymise

    result = anonymise(container().anonymise_deps)
    return {"anonymised": result.anonymised, "more": int(result.more)}
