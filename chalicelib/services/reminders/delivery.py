"""The reminder worker: one job, one reminder, sent at most once, or skipped with its reason on the timeline.

Order of checks: already done (a redelivered job) → quiet hours (deferred to their end, not sent) → still
wanted by the case's plan → a renewal already opened (expiry) → opted out → send. A transient Graph error
(5xx, 130429, 131056) propagates, so the SQS message stays and comes back after its visibility timeout; after
the queue's ``maxReceiveCount`` it is parked on the dead-letter queue. 131047, 131026 and 131049 are recorded on the
case and not retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain.actors import SERVICE
from chalicelib.domain.cases import CaseEvent
from chalicelib.domain.outbound import Template
from chalicelib.domain.reminders import FINAL_STATES, ReminderKind, ReminderState, outbound_id, plan, quiet_until
from chalicelib.services.cases.ports import CaseNotFound
from chalicelib.services.messages.messenger import SendOutcome
from chalicelib.services.messages.notices import applicant_ref
from chalicelib.services.metrics import NO_METRICS, MetricName, error_code
from chalicelib.services.reminders.notices import reminder_notice
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


def _skip(deps: DeliveryDeps, case: Case | None, job: ReminderJob, *, kind: str, reason: str, now: int) -> Delivery:
    deps.scheduler.store.finish(job.case_id, job.reminder_id, ReminderState.SKIPPED, reason)
    if case is not None:
        data = {"reminder": job.reminder_id, "kind": kind, "reason": reason}
        deps.cases.add_events(case.case_id, [CaseEvent("reminder_skipped", now, SERVICE, data)])
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
    quiet_end = quiet_until(now, deps.scheduler.policy)
    if quiet_end is not None:
        store.defer(job.case_id, job.reminder_id, quiet_end)
        return Delivery.DEFERRED
    if not store.start(job.case_id, job.reminder_id):
        return Delivery.ALREADY_HANDLED
    try:
        case = deps.cases.get(job.case_id)
    except CaseNotFound:
        return _skip(deps, None, job, kind=reminder.kind.value, reason="case_not_found", now=now)
    if job.reminder_id not in {p.reminder_id for p in plan(case, deps.scheduler.policy)}:
        return _skip(deps, case, job, kind=reminder.kind.value, reason="no_longer_needed", now=now)
    if reminder.kind is ReminderKind.PERMIT_EXPIRY and _renewal_opened(deps, case):
        return _skip(deps, case, job, kind=reminder.kind.value, reason="renewal_opened", now=now)
    if deps.opted_out(applicant_ref(case)):
        return _skip(deps, case, job, kind=reminder.kind.value, reason="opted_out", now=now)
    return _send(deps, case, job, reminder.kind, now)


def _send(deps: DeliveryDeps, case: Case, job: ReminderJob, kind: ReminderKind, now: int) -> Delivery:
    notice = reminder_notice(case, kind, deps.catalogue(), deps.issue_link)
    message = deps.notifier.build(case, notice, outbound_id(case.case_id, job.reminder_id))
    outcome, code = deps.notifier.messenger.send_once_with_code(message)  # transient errors raise from here
    store = deps.scheduler.store
    if outcome is SendOutcome.ALREADY_HANDLED:  # a redelivered job whose send went through before
        store.finish(job.case_id, job.reminder_id, ReminderState.SENT, "already_sent")
        return Delivery.ALREADY_HANDLED
    form = "template" if isinstance(message.content, Template) else "text"
    data = {"reminder": job.reminder_id, "kind": kind.value, "form": form, "purpose": notice.template.name}
    if outcome is SendOutcome.FAILED:
        reason = f"graph_error_{code}" if code is not None else "send_failed"
        deps.metrics.count(MetricName.REMINDER_SEND_FAILURES, code=error_code(code))
        store.finish(job.case_id, job.reminder_id, ReminderState.FAILED, reason)
        deps.cases.add_events(case.case_id, [CaseEvent("reminder_failed", now, SERVICE, {**data, "reason": reason})])
        return Delivery.FAILED
    store.finish(job.case_id, job.reminder_id, ReminderState.SENT, "sent")
    deps.cases.add_events(case.case_id, [CaseEvent("reminder_sent", now, SERVICE, data)])
    schedule_for(deps.scheduler, case)  # the next reminder of the case, if its plan has one the store lacks
    return Delivery.SENT
