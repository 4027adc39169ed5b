"""The reminder worker: one job, one reminder, sent at most once, or skipped with its reason on the timeline.

Order of checks: already done (a redelivered job) → quiet hours (deferred to their end, not sent) → still
wanted by the case's plan → a renewal already opened (expiry) → opted out → send. A transient Graph error
(5xx, 130429, 131056) propagates, so the SQS message stays and comes back after its visibility timeout; after
the queue's ``maxReceiveCount`` it is parked on the dead-letter queue. 131047, 131026 and 131049 are recorded on the
case and not retried.

Exactly once under crashes: the worker holds the reminder ``sending`` under a lease (``lease_ms``). A job
delivered again while another worker's lease is live, or whose message is in flight or waiting for Meta's status
(see :mod:`~chalicelib.services.messages.messenger`), raises :class:`ReminderInFlight` so that SQS brings it back
later; a reminder left ``sending`` by a worker that died is taken again once its lease has expired. A reminder is
marked sent only with its message's wamid.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain.actors import SERVICE
from chalicelib.domain.cases import CaseEvent
from chalicelib.domain.outbound import Template
from chalicelib.domain.reminders import (
    FINAL_STATES,
    Reminder,
    ReminderKind,
    ReminderState,
    outbound_id,
    plan,
    quiet_until,
)
from chalicelib.services.cases.ports import CaseNotFound
from chalicelib.services.messages.messenger import SendOutcome
from chalicelib.services.messages.notices import applicant_ref
from chalicelib.services.metrics import NO_METRICS, MetricName, error_code
from chalicelib.services.reminders.notices import reminder_notice
from chalicelib.services.reminders.ports import StartOutcome
from chalicelib.services.reminders.schedule import schedule_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.domain.applicants import ApplicantRef
    from chalicelib.domain.cases import Case
    from chalicelib.domain.catalogue import Catalogue
    from chalicelib.domain.upload_links import IssuedLink, LinkPurpose
    from chalicelib.services.cases.ports import CaseRepository
    from chalicelib.services.messages.notices import Notifier
    from chalicelib.services.metrics import Metrics
    from chalicelib.services.reminders.ports import ReminderJob
    from chalicelib.services.reminders.schedule import SchedulerDeps


class ReminderInFlight(Exception):
    """The reminder is being sent by another worker, or its message waits for Meta's status: retry the job after
    ``retry_after`` seconds (SQS redelivers it)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"in flight; retry after {retry_after:.0f} s")
        self.retry_after = retry_after


class Delivery(StrEnum):
    """What the worker did with a job."""

    SENT = "sent"
    ALREADY_HANDLED = "already_handled"
    DEFERRED = "deferred"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DeliveryDeps:
    """What the worker needs."""

    scheduler: SchedulerDeps
    cases: CaseRepository
    notifier: Notifier
    opted_out: Callable[[ApplicantRef], bool]
    catalogue: Callable[[], Catalogue]
    issue_link: Callable[[Case, LinkPurpose], IssuedLink]  # a fresh secure upload link for document reminders
    metrics: Metrics = NO_METRICS
    lease_ms: int = 90_000  # how long a worker holds a reminder ``sending`` (longer than one job can take)


def _line(job: ReminderJob, kind: str, at_ms: int, data: dict[str, str]) -> CaseEvent:
    """The reminder's line on the case timeline, named by the reminder and timed by its due time: written before
    the reminder is finished (a worker dying in between writes it on the job's next delivery) and stored once
    however often that happens."""
    return CaseEvent(kind, at_ms, SERVICE, data, event_id=f"reminder.{job.reminder_id.replace('#', '.')}.{kind}")


def _skip(deps: DeliveryDeps, case: Case | None, job: ReminderJob, *, kind: str, reason: str, at_ms: int) -> Delivery:
    if case is not None:
        data = {"reminder": job.reminder_id, "kind": kind, "reason": reason}
        deps.cases.add_events(case.case_id, [_line(job, "reminder_skipped", at_ms, data)])
    deps.scheduler.store.finish(job.case_id, job.reminder_id, ReminderState.SKIPPED, reason)
    return Delivery.SKIPPED


def _renewal_opened(deps: DeliveryDeps, case: Case) -> bool:
    other = deps.cases.open_case_for(applicant_ref(case).key)
    return other is not None and other.case_id != case.case_id


def deliver(deps: DeliveryDeps, job: ReminderJob) -> Delivery:
    """Send (or skip, or defer) the reminder of ``job``; raises on transient Graph errors so the job is retried."""
    store = deps.scheduler.store
    now = deps.scheduler.clock_ms() + job.clock_offset_ms
    reminder = store.get(job.case_id, job.reminder_id)
    if reminder is None or reminder.state in FINAL_STATES:
        return Delivery.ALREADY_HANDLED
    quiet_end = quiet_until(now, deps.scheduler.policy_for(reminder.office))  # the office's night
    if quiet_end is not None:
        store.defer(job.case_id, job.reminder_id, quiet_end)
        return Delivery.DEFERRED
    started = store.start(job.case_id, job.reminder_id, now, now + deps.lease_ms)
    if started is StartOutcome.DONE:
        return Delivery.ALREADY_HANDLED
    if started is StartOutcome.BUSY:
        raise ReminderInFlight(deps.lease_ms / 1000)
    try:
        case = deps.cases.get(job.case_id)
    except CaseNotFound:
        return _skip(deps, None, job, kind=reminder.kind.value, reason="case_not_found", at_ms=reminder.due_at_ms)
    if job.reminder_id not in {p.reminder_id for p in plan(case, deps.scheduler.policy_for(case.office))}:
        return _skip(deps, case, job, kind=reminder.kind.value, reason="no_longer_needed", at_ms=reminder.due_at_ms)
    if reminder.kind is ReminderKind.PERMIT_EXPIRY and _renewal_opened(deps, case):
        return _skip(deps, case, job, kind=reminder.kind.value, reason="renewal_opened", at_ms=reminder.due_at_ms)
    if deps.opted_out(applicant_ref(case)):
        return _skip(deps, case, job, kind=reminder.kind.value, reason="opted_out", at_ms=reminder.due_at_ms)
    return _send(deps, case, job, reminder, now)


def _send(deps: DeliveryDeps, case: Case, job: ReminderJob, reminder: Reminder, now: int) -> Delivery:
    kind, due_at_ms = reminder.kind, reminder.due_at_ms
    notice = reminder_notice(case, kind, deps.catalogue(), deps.issue_link)
    message = deps.notifier.build(case, notice, outbound_id(case.case_id, job.reminder_id))
    store = deps.scheduler.store
    try:
        result = deps.notifier.messenger.send(message)
    except Exception:
        store.release(job.case_id, job.reminder_id)  # refused for now: the job's next delivery starts at once
        raise
    outcome, code = result.outcome, result.error_code
    if outcome is SendOutcome.QUEUED:  # in flight, or waiting for Meta's status: never marked sent without a wamid
        store.release(job.case_id, job.reminder_id)
        wait_ms = (result.retry_at_ms - now) if result.retry_at_ms is not None else deps.lease_ms
        raise ReminderInFlight(max(1.0, wait_ms / 1000))
    form = "template" if isinstance(message.content, Template) else "text"
    data = {"reminder": job.reminder_id, "kind": kind.value, "form": form, "purpose": notice.template.name}
    if outcome is SendOutcome.FAILED:
        reason = f"graph_error_{code}" if code is not None else "send_failed"
        deps.metrics.count(MetricName.REMINDER_SEND_FAILURES, code=error_code(code))
        deps.cases.add_events(case.case_id, [_line(job, "reminder_failed", due_at_ms, {**data, "reason": reason})])
        store.finish(job.case_id, job.reminder_id, ReminderState.FAILED, reason)
        return Delivery.FAILED
    # Sent now, or by an earlier delivery whose worker died before finishing (or whose status came back later):
    # the line is the same line either way, so it is written on both paths and stored once.
    deps.cases.add_events(case.case_id, [_line(job, "reminder_sent", due_at_ms, data)])
    if outcome is SendOutcome.ALREADY_HANDLED:
        store.finish(job.case_id, job.reminder_id, ReminderState.SENT, "already_sent", result.wamid)
        return Delivery.ALREADY_HANDLED
    store.finish(job.case_id, job.reminder_id, ReminderState.SENT, "sent", result.wamid)
    schedule_for(deps.scheduler, case)  # the next reminder of the case, if its plan has one the store lacks
    return Delivery.SENT
