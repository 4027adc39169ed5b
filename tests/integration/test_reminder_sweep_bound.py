"""The reminder sweep on moto: a bounded number of reminders per run, every office served, the rest left for the next
run, and over the runs every due reminder queued once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from chalicelib.adapters.dynamo.models import bind_models
from chalicelib.adapters.dynamo.reminders import DynamoReminderStore
from chalicelib.domain.reminders import Reminder, ReminderKind, ReminderPolicy, ReminderState
from chalicelib.services.reminders.schedule import LEASE_MS, SchedulerDeps, SweepResult, sweep
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Sequence

    from chalicelib.services.reminders.ports import ReminderJob

POLICY = ReminderPolicy()
DUE = int(datetime(2026, 12, 7, 9, 0, tzinfo=POLICY.zone).timestamp() * 1000)
SWEEP_AT = DUE + 60 * 60 * 1000  # 10:00 at the office: outside quiet hours


@dataclass
class RecordingQueue:
    """The reminder queue: keeps every job sent."""

    jobs: list[ReminderJob] = field(default_factory=list)

    def send_batch(self, jobs: Sequence[tuple[ReminderJob, int]]) -> int:
        self.jobs.extend(job for job, _ in jobs)
        return len(jobs)


@pytest.fixture
def store(aws: None) -> DynamoReminderStore:
    bind_models(get_settings())
    return DynamoReminderStore(["AN", "MC"], lambda: SWEEP_AT)


def _due(store: DynamoReminderStore, office: str, count: int) -> dict[str, str]:
    """``count`` reminders due at 09:00 in ``office``; their ids and office."""
    made = {}
    for serial in range(count):
        case_id = f"{office}-R{serial:07d}"
        reminder = Reminder(
            case_id, office, f"wa#39333{serial:07d}", ReminderKind.MISSING_DOCUMENTS, "r1", DUE, 1,
            ReminderState.PENDING, DUE,
        )  # fmt: skip
        assert store.create(reminder)
        made[case_id] = office
    return made


def _deps(store: DynamoReminderStore, queue: RecordingQueue, bound: int) -> SchedulerDeps:
    return SchedulerDeps(store, queue, POLICY, lambda: SWEEP_AT, max_per_sweep=bound)


def test_each_run_leases_at_most_its_bound_serves_every_office_and_the_runs_queue_each_reminder_once(
    store: DynamoReminderStore,
) -> None:
    due = _due(store, "AN", 20) | _due(store, "MC", 5)
    queue = RecordingQueue()

    runs: list[tuple[SweepResult, set[str]]] = []
    while not runs or runs[-1][0].more_due:
        seen = len(queue.jobs)
        result = sweep(_deps(store, queue, bound=4), SWEEP_AT)
        runs.append((result, {due[job.case_id] for job in queue.jobs[seen:]}))
        assert len(runs) <= 10, "the sweep does not move on"

    assert [result.due for result, _ in runs] == [4, 4, 4, 4, 4, 4, 1]
    assert [result.more_due for result, _ in runs] == [True] * 6 + [False]
    assert runs[0][1] == {"AN", "MC"}  # Macerata's reminders do not wait behind Ancona's backlog
    assert sorted(job.case_id for job in queue.jobs) == sorted(due)  # every one, once


def test_a_run_within_its_bound_takes_everything_due(store: DynamoReminderStore) -> None:
    due = _due(store, "AN", 6)
    queue = RecordingQueue()

    result = sweep(_deps(store, queue, bound=6), SWEEP_AT)

    assert (result.due, result.queued, result.more_due) == (6, 6, False)
    assert sorted(job.case_id for job in queue.jobs) == sorted(due)
    assert sweep(_deps(store, queue, bound=6), SWEEP_AT + LEASE_MS // 2).due == 0  # leased: not swept again
