"""DynamoDB reminders: one item per (case, kind, due date), and a sparse index of the pending ones by due time.

Only a reminder waiting to be sent carries ``due_shard`` (``<office>#<n>``), so the ``due`` index holds exactly
the schedule: the sweep Queries each shard for ``due_at <= now`` and reads only what is due; officers Query their
office's shards. Every state change is a conditional ``UpdateItem``.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.domain.reminders import FINAL_STATES, Reminder, ReminderKind, ReminderState
from chalicelib.services.reminders.ports import SentWithoutWamid, StartOutcome

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

UNBOUND = "unbound-table"
SHARDS = 4  # per office: spreads a busy office's schedule over several index partitions
CONDITION_FAILED = "ConditionalCheckFailedException"
# Officers see a case's reminders (sent, skipped, failed) for this long after they were due; then TTL removes them.
KEEP_AFTER_DUE = timedelta(days=90)


class DueIndex(GlobalSecondaryIndex["ReminderModel"]):
    """Sparse: pending reminders by shard, soonest first."""

    class Meta:
        index_name = "due"
        projection = AllProjection()

    due_shard = UnicodeAttribute(hash_key=True)
    due_at = NumberAttribute(range_key=True)


class ReminderModel(Model):
    """One reminder of one case."""

    class Meta:
        table_name = UNBOUND

    case_id = UnicodeAttribute(hash_key=True)
    reminder_id = UnicodeAttribute(range_key=True)
    office = UnicodeAttribute()
    applicant_key = UnicodeAttribute()
    kind = UnicodeAttribute()
    due_at = NumberAttribute()
    attempt = NumberAttribute()
    state = UnicodeAttribute()
    due_shard = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute(null=True)
    lease_until = NumberAttribute(null=True)  # while ``sending``: the worker's lease (a dead worker's expires)
    wamid = UnicodeAttribute(null=True)  # once sent: Meta's id of its message
    expires_at = TTLAttribute(null=True)  # KEEP_AFTER_DUE after its due time: it names the applicant

    due = DueIndex()


def shard_of(office: str, case_id: str) -> str:
    """The due-index partition of a case's reminders."""
    return f"{office}#{zlib.crc32(case_id.encode()) % SHARDS}"


def _reminder(item: ReminderModel) -> Reminder:
    return Reminder(
        case_id=item.case_id,
        office=item.office,
        applicant_key=item.applicant_key,
        kind=ReminderKind(item.kind),
        reminder_id=item.reminder_id,
        due_at_ms=int(item.due_at),
        attempt=int(item.attempt),
        state=ReminderState(item.state),
        created_at_ms=int(item.created_at),
        outcome=item.outcome,
    )


def to_model(reminder: Reminder) -> ReminderModel:
    """The item of a new pending reminder."""
    return ReminderModel(
        reminder.case_id,
        reminder.reminder_id,
        office=reminder.office,
        applicant_key=reminder.applicant_key,
        kind=reminder.kind.value,
        due_at=reminder.due_at_ms,
        attempt=reminder.attempt,
        state=reminder.state.value,
        due_shard=shard_of(reminder.office, reminder.case_id),
        created_at=reminder.created_at_ms,
        expires_at=datetime.fromtimestamp(reminder.due_at_ms / 1000, UTC) + KEEP_AFTER_DUE,
    )


class DynamoReminderStore:
    """Reminders in DynamoDB."""

    def __init__(self, offices: Iterable[str], clock_ms: Any) -> None:
        self._offices = tuple(offices)
        self._clock_ms = clock_ms
        self.items_read = 0  # items returned by the due Queries (the benchmark reads it)

    def for_case(self, case_id: str) -> list[Reminder]:
        return [_reminder(item) for item in ReminderModel.query(case_id)]

    def get(self, case_id: str, reminder_id: str) -> Reminder | None:
        try:
            return _reminder(ReminderModel.get(case_id, reminder_id, consistent_read=True))
        except ReminderModel.DoesNotExist:
            return None

    def create(self, reminder: Reminder) -> bool:
        try:
            to_model(reminder).save(condition=ReminderModel.reminder_id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == CONDITION_FAILED:
                return False
            raise
        return True

    def _update(self, case_id: str, reminder_id: str, actions: list[Any], condition: Any) -> bool:
        item = ReminderModel(case_id, reminder_id)
        try:
            item.update(
                actions=[*actions, ReminderModel.updated_at.set(self._clock_ms())],
                condition=ReminderModel.reminder_id.exists() & condition,
            )
        except UpdateError as exc:
            if exc.cause_response_code == CONDITION_FAILED:
                return False
            raise
        return True

    def cancel(self, case_id: str, reminder_id: str) -> None:
        waiting = ReminderModel.state.is_in(ReminderState.PENDING.value, ReminderState.QUEUED.value)
        self._update(
            case_id,
            reminder_id,
            [ReminderModel.state.set(ReminderState.CANCELLED.value), ReminderModel.due_shard.remove()],
            waiting,
        )

    def _shards(self, offices: Iterable[str]) -> list[str]:
        return [f"{office}#{n}" for office in offices for n in range(SHARDS)]

    def due(self, before_ms: int, limit: int) -> Iterator[Reminder]:
        # One reminder from each shard in turn, the offices interleaved, so that one office's backlog never holds up
        # another's past the limit; pages of a shard's share, so that the reads stay near what is returned.
        offices = list(self._offices)
        shards = [f"{office}#{n}" for n in range(SHARDS) for office in offices]
        page = max(1, -(-limit // len(shards)))
        queries = [
            iter(ReminderModel.due.query(shard, ReminderModel.due_at <= before_ms, limit=limit, page_size=page))
            for shard in shards
        ]
        taken = 0
        while queries:
            for query in list(queries):
                item = next(query, None)
                if item is None:
                    queries.remove(query)
                    continue
                self.items_read += 1
                taken += 1
                yield _reminder(item)
                if taken == limit:
                    return

    def scheduled(self, office: str, before_ms: int, limit: int) -> list[Reminder]:
        found: list[Reminder] = []
        for shard in self._shards([office]):
            query = ReminderModel.due.query(shard, ReminderModel.due_at <= before_ms, limit=limit)
            found.extend(_reminder(item) for item in query)
        return sorted(found, key=lambda r: r.due_at_ms)[:limit]

    def lease(self, reminder: Reminder, until_ms: int) -> bool:
        return self._update(
            reminder.case_id,
            reminder.reminder_id,
            [ReminderModel.due_at.set(until_ms), ReminderModel.state.set(ReminderState.QUEUED.value)],
            (ReminderModel.due_at == reminder.due_at_ms) & ReminderModel.due_shard.exists(),
        )

    def start(self, case_id: str, reminder_id: str, now_ms: int, lease_until_ms: int) -> StartOutcome:
        final = [state.value for state in FINAL_STATES]
        sending = ReminderModel.state == ReminderState.SENDING.value
        lease_over = ReminderModel.lease_until.does_not_exist() | (ReminderModel.lease_until <= now_ms)
        started = self._update(
            case_id,
            reminder_id,
            [
                ReminderModel.state.set(ReminderState.SENDING.value),
                ReminderModel.lease_until.set(lease_until_ms),
                ReminderModel.due_shard.remove(),
            ],
            ~ReminderModel.state.is_in(*final) & (~sending | lease_over),
        )
        if started:
            return StartOutcome.STARTED
        current = self.get(case_id, reminder_id)  # refused: done, or another worker's live lease
        busy = current is not None and current.state is ReminderState.SENDING
        return StartOutcome.BUSY if busy else StartOutcome.DONE

    def release(self, case_id: str, reminder_id: str) -> None:
        self._update(
            case_id,
            reminder_id,
            [ReminderModel.lease_until.remove()],
            ReminderModel.state == ReminderState.SENDING.value,
        )

    def defer(self, case_id: str, reminder_id: str, due_at_ms: int) -> None:
        item = self.get(case_id, reminder_id)
        if item is None:
            return
        self._update(
            case_id,
            reminder_id,
            [
                ReminderModel.due_at.set(due_at_ms),
                ReminderModel.state.set(ReminderState.PENDING.value),
                ReminderModel.due_shard.set(shard_of(item.office, case_id)),
            ],
            ReminderModel.state.is_in(ReminderState.PENDING.value, ReminderState.QUEUED.value),
        )

    def finish(
        self, case_id: str, reminder_id: str, state: ReminderState, outcome: str, wamid: str | None = None
    ) -> None:
        if state is ReminderState.SENT and not wamid:
            raise SentWithoutWamid(f"{case_id} {reminder_id}")
        actions: list[Any] = [
            ReminderModel.state.set(state.value),
            ReminderModel.outcome.set(outcome),
            ReminderModel.due_shard.remove(),
            ReminderModel.lease_until.remove(),
        ]
        if wamid:
            actions.append(ReminderModel.wamid.set(wamid))
        self._update(case_id, reminder_id, actions, ReminderModel.case_id.exists())
