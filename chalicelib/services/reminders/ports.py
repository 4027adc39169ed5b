"""Ports of the reminder use cases: where reminders are kept and the queue their jobs go through."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.errors import DomainError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from chalicelib.domain.reminders import Reminder, ReminderState


@dataclass(frozen=True, slots=True)
class ReminderJob:
    """One SQS job: send this reminder. ``clock_offset_ms`` is 0 in AWS; a local sweep "as of" sets it."""

    case_id: str
    reminder_id: str
    clock_offset_ms: int = 0


class StartOutcome(StrEnum):
    """Whether a worker may send a reminder now."""

    STARTED = "started"  # ``sending`` under this worker's lease
    DONE = "done"  # sent, skipped, failed or cancelled: nothing to do
    BUSY = "busy"  # another worker holds a live lease: try again once it has expired


class SentWithoutWamid(DomainError):
    """A reminder is marked sent only with the wamid Meta gave its message: anything else is a bug."""


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

    def due(self, before_ms: int, limit: int) -> Iterator[Reminder]:
        """At most ``limit`` pending reminders due before ``before_ms``, taken in turn from each office (Queries on
        the sparse due index: reads ≈ reminders returned)."""
        ...

    def scheduled(self, office: str, before_ms: int, limit: int) -> list[Reminder]:
        """The office's scheduled reminders due before ``before_ms``, soonest first."""
        ...

    def lease(self, reminder: Reminder, until_ms: int) -> bool:
        """Claim a due reminder for one job (its due time moves to ``until_ms``); False if another sweep did."""
        ...

    def start(self, case_id: str, reminder_id: str, now_ms: int, lease_until_ms: int) -> StartOutcome:
        """The worker took the job: ``sending`` until ``lease_until_ms`` and out of the due index. A reminder left
        ``sending`` by a worker that died is taken again once its lease has expired."""
        ...

    def release(self, case_id: str, reminder_id: str) -> None:
        """The worker gives its lease back (its send was refused for now): the job's next delivery may start."""
        ...

    def defer(self, case_id: str, reminder_id: str, due_at_ms: int) -> None:
        """Back in the schedule at ``due_at_ms`` (quiet hours)."""
        ...

    def finish(
        self, case_id: str, reminder_id: str, state: ReminderState, outcome: str, wamid: str | None = None
    ) -> None:
        """Record how the reminder ended; ``SENT`` needs the message's ``wamid`` (else :class:`SentWithoutWamid`)."""
        ...


class JobQueue(Protocol):
    """The reminder jobs' queue."""

    def send_batch(self, jobs: Sequence[tuple[ReminderJob, int]]) -> int:
        """Enqueue ``(job, delay_seconds)`` pairs, at most ten per call; returns how many were accepted."""
        ...
