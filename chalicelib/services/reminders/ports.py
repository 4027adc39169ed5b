"""Ports of the reminder use cases: where reminders are kept and the queue their jobs go through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from chalicelib.domain.reminders import Reminder, ReminderState


@dataclass(frozen=True, slots=True)
class ReminderJob:
    """One SQS job: send this reminder. ``clock_offset_ms`` is 0 in AWS; a local sweep "as of" sets it."""

    case_id: str
    reminder_id: str
    clock_offset_ms: int = 0


class ReminderStore(Protocol):
    """Reminders, one item per (case, kind, due date), with a sparse index of the pending ones by due time."""

    def for_case(self, case_id: str) -> list[Reminder]:
        """The case's reminders (a Query on the case)."""
        ...

    def get(self, case_id: str, reminder_id: str) -> Reminder | None:
        """One reminder."""
        ...

    def create(self, reminder: Reminder) -> bool:
        """Store a new pending reminder; False when it already exists (whatever its state)."""
        ...

    def cancel(self, case_id: str, reminder_id: str) -> None:
        """Take a reminder that is no longer needed out of the schedule, unless it is already being sent or done."""
        ...

    def due(self, before_ms: int) -> Iterator[Reminder]:
        """Pending reminders due before ``before_ms`` (Queries on the sparse due index: reads ≈ reminders due)."""
        ...

    def scheduled(self, office: str, before_ms: int, limit: int) -> list[Reminder]:
        """The office's scheduled reminders due before ``before_ms``, soonest first."""
        ...

    def lease(self, reminder: Reminder, until_ms: int) -> bool:
        """Claim a due reminder for one job (its due time moves to ``until_ms``); False if another sweep did."""
        ...

    def start(self, case_id: str, reminder_id: str) -> bool:
        """The worker took the job: out of the due index; False when the reminder is already done."""
        ...

    def defer(self, case_id: str, reminder_id: str, due_at_ms: int) -> None:
        """Back in the schedule at ``due_at_ms`` (quiet hours)."""
        ...

    def finish(self, case_id: str, reminder_id: str, state: ReminderState, outcome: str) -> None:
        """Record how the reminder ended."""
        ...


class JobQueue(Protocol):
    """The reminder jobs' queue."""

    def send_batch(self, jobs: Sequence[tuple[ReminderJob, int]]) -> int:
        """Enqueue ``(job, delay_seconds)`` pairs, at most ten per call; returns how many were accepted."""
        ...
