"""Reminder scheduling and the sweep: keep each case's reminders in step with its dates, then fan out what is due.

:func:`schedule_for` is what the case use cases call (through the repository decorator wired in bootstrap): it
creates the reminders the case's plan has and the store lacks, and cancels pending ones the plan dropped (a
document arrived, the case closed). :func:`sweep` Queries the sparse due index, leases each due reminder with a
conditional write (so two sweeps never both enqueue it) and sends one SQS job per reminder, paced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.reminders import (
    DAY_MS,
    ReminderKind,
    ReminderState,
    plan,
    quiet_until,
)
from chalicelib.domain.reminders import Reminder as StoredReminder
from chalicelib.observability import get_logger
from chalicelib.services.messages.notices import applicant_ref
from chalicelib.services.reminders.ports import ReminderJob

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from chalicelib.domain.cases import Case
    from chalicelib.domain.reminders import ReminderPolicy
    from chalicelib.services.reminders.ports import JobQueue, ReminderStore

log = get_logger("reminders")

LEASE_MS = 15 * 60 * 1000  # a leased reminder whose job was lost is swept again after this
MAX_DELAY_S = 900  # SQS's DelaySeconds limit
BATCH = 10  # SendMessageBatch's limit


@dataclass(frozen=True, slots=True)
class SchedulerDeps:
    """What scheduling and the sweep need."""

    store: ReminderStore
    queue: JobQueue
    policy: ReminderPolicy
    clock_ms: Callable[[], int]
    throughput_per_s: int = 80  # the number's messages per second
    pair_gap_s: int = 6  # Meta's pair limit: one message per six seconds to the same user


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What one sweep did."""

    due: int = 0
    queued: int = 0
    quiet: bool = False


def _stale(kind: ReminderKind, due_at_ms: int, now_ms: int) -> bool:
    # An appointment reminder after its time is pointless; others are still worth sending a day late.
    return due_at_ms < now_ms - (0 if kind is ReminderKind.APPOINTMENT else DAY_MS)


def schedule_for(deps: SchedulerDeps, case: Case) -> list[str]:
    """(Re)compute the case's pending reminders, idempotently; returns the ids created."""
    now = deps.clock_ms()
    existing = {r.reminder_id: r for r in deps.store.for_case(case.case_id)}
    wanted = {p.reminder_id: p for p in plan(case, deps.policy)}
    for reminder in existing.values():
        if reminder.reminder_id not in wanted and reminder.state in (ReminderState.PENDING, ReminderState.QUEUED):
            deps.store.cancel(case.case_id, reminder.reminder_id)
    created = []
    for reminder_id, planned in wanted.items():
        if reminder_id in existing or _stale(planned.kind, planned.due_at_ms, now):
            continue
        stored = StoredReminder(
            case_id=case.case_id,
            office=case.office,
            applicant_key=applicant_ref(case).key,
            kind=planned.kind,
            reminder_id=reminder_id,
            due_at_ms=planned.due_at_ms,
            attempt=planned.attempt,
            state=ReminderState.PENDING,
            created_at_ms=now,
        )
        if deps.store.create(stored):
            created.append(reminder_id)
    return created


def pace(reminders: Sequence[StoredReminder], throughput_per_s: int, pair_gap_s: int) -> list[int]:
    """SQS delays that keep the fan-out under the number's throughput and one message per ``pair_gap_s`` per user."""
    delays = []
    per_applicant: dict[str, int] = {}
    for index, reminder in enumerate(reminders):
        earlier = per_applicant.get(reminder.applicant_key, 0)
        per_applicant[reminder.applicant_key] = earlier + 1
        delays.append(min(MAX_DELAY_S, max(index // max(1, throughput_per_s), earlier * pair_gap_s)))
    return delays


def sweep(deps: SchedulerDeps, as_of_ms: int | None = None) -> SweepResult:
    """Enqueue one job per due reminder (none in quiet hours); ``as_of_ms`` moves the clock (local runs)."""
    now = deps.clock_ms()
    at = now if as_of_ms is None else as_of_ms
    if quiet_until(at, deps.policy) is not None:
        return SweepResult(quiet=True)
    leased = [r for r in deps.store.due(at) if deps.store.lease(r, at + LEASE_MS)]
    delays = pace(leased, deps.throughput_per_s, deps.pair_gap_s)
    jobs = [(ReminderJob(r.case_id, r.reminder_id, at - now), d) for r, d in zip(leased, delays, strict=True)]
    queued = 0
    for start in range(0, len(jobs), BATCH):
        queued += deps.queue.send_batch(jobs[start : start + BATCH])
    if queued < len(jobs):  # the rest keep their lease and are swept again when it ends
        log.warning("reminder_jobs_not_queued", extra={"count": len(jobs) - queued})
    log.info("reminder_sweep", extra={"count": queued})
    return SweepResult(due=len(leased), queued=queued)
