"""Reminder scheduling and the sweep: keep each case's reminders in step with its dates, then fan out what is due.

:func:`schedule_for` is what the case use cases call (through the repository decorator wired in bootstrap): it
creates the reminders the case's plan has and the store lacks, and cancels pending ones the plan dropped (a
document arrived, the case closed). :func:`sweep` Queries the sparse due index, leases each due reminder with a
conditional write (so two sweeps never both enqueue it) and sends one SQS job per reminder, paced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    from collections.abc import Callable, Mapping, Sequence

    from chalicelib.domain.cases import Case
    from chalicelib.domain.reminders import ReminderPolicy
    from chalicelib.services.reminders.ports import JobQueue, ReminderStore

log = get_logger("reminders")

LEASE_MS = 15 * 60 * 1000  # a leased reminder whose job was lost is swept again after this
MAX_DELAY_S = 900  # SQS's DelaySeconds limit
BATCH = 10  # SendMessageBatch's limit
# Reminders one sweep leases at most: its reads, leases and enqueues stay well inside the function's 30 s (about 5 s
# for 1,000 on DynamoDB; 18 s in moto, see BENCHMARKS.md) and its jobs inside SQS's 15-minute pacing delay (80/s).
# What is left is still due at the next run (every 15 minutes: 56,000 a day, far above an office's volume), and is
# logged as ``reminder_sweep_more_due``.
MAX_PER_SWEEP = 1_000


@dataclass(frozen=True, slots=True)
class SchedulerDeps:
    """What scheduling and the sweep need."""

    store: ReminderStore
    queue: JobQueue
    policy: ReminderPolicy
    clock_ms: Callable[[], int]
    throughput_per_s: int = 80  # the number's messages per second
    pair_gap_s: int = 6  # Meta's pair limit: one message per six seconds to the same user
    max_per_sweep: int = MAX_PER_SWEEP
    # Each office's time zone (``offices.json``): its reminders fall at its 09:00, its quiet hours are its nights.
    zones: Mapping[str, str] = field(default_factory=dict)

    def policy_for(self, office: str) -> ReminderPolicy:
        """The timing in ``office``'s time zone (the policy's own for an office without one)."""
        zone = self.zones.get(office)
        return self.policy if zone is None else self.policy.in_zone(zone)


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What one sweep did."""

    due: int = 0
    queued: int = 0
    quiet: bool = False
    more_due: bool = False  # it stopped at its bound: the next run takes the rest


def _stale(kind: ReminderKind, due_at_ms: int, now_ms: int) -> bool:
    # An appointment reminder after its time is pointless; others are still worth sending a day late.
    return due_at_ms < now_ms - (0 if kind is ReminderKind.APPOINTMENT else DAY_MS)


def schedule_for(deps: SchedulerDeps, case: Case) -> list[str]:
    """(Re)compute the case's pending reminders, idempotently; returns the ids created."""
    now = deps.clock_ms()
    existing = {r.reminder_id: r for r in deps.store.for_case(case.case_id)}
    wanted = {p.reminder_id: p for p in plan(case, deps.policy_for(case.office))}
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


def _awake(deps: SchedulerDeps, due: Sequence[StoredReminder], at: int) -> list[StoredReminder]:
    """The due reminders whose office is outside its quiet hours; the others go back in the schedule at the end
    of their office's night (offices in other time zones have other nights)."""
    awake = []
    for reminder in due:
        quiet_end = quiet_until(at, deps.policy_for(reminder.office))
        if quiet_end is None:
            awake.append(reminder)
        else:
            deps.store.defer(reminder.case_id, reminder.reminder_id, quiet_end)
    return awake


def sweep(deps: SchedulerDeps, as_of_ms: int | None = None) -> SweepResult:
    """Enqueue one job per due reminder, at most ``max_per_sweep`` (none in quiet hours); ``as_of_ms`` moves the
    clock (local runs)."""
    now = deps.clock_ms()
    at = now if as_of_ms is None else as_of_ms
    offices = [deps.policy_for(office) for office in deps.zones] or [deps.policy]
    if all(quiet_until(at, policy) is not None for policy in offices):
        return SweepResult(quiet=True)  # night at every office: nothing is read
    # One more than the bound is read, to know whether any are left for the next run.
    due = list(deps.store.due(at, deps.max_per_sweep + 1))
    more_due = len(due) > deps.max_per_sweep
    leased = [r for r in _awake(deps, due[: deps.max_per_sweep], at) if deps.store.lease(r, at + LEASE_MS)]
    delays = pace(leased, deps.throughput_per_s, deps.pair_gap_s)
    jobs = [(ReminderJob(r.case_id, r.reminder_id, at - now), d) for r, d in zip(leased, delays, strict=True)]
    queued = 0
    for start in range(0, len(jobs), BATCH):
        queued += deps.queue.send_batch(jobs[start : start + BATCH])
    if queued < len(jobs):  # the rest keep their lease and are swept again when it ends
        log.warning("reminder_jobs_not_queued", extra={"count": len(jobs) - queued})
    if more_due:
        log.warning("reminder_sweep_more_due", extra={"limit": deps.max_per_sweep})
    log.info("reminder_sweep", extra={"count": queued})
    return SweepResult(due=len(leased), queued=queued, more_due=more_due)
