"""Benchmark: the reminder sweep against moto's server on loopback, at 10,000 and 100,000 cases with 1,000 due.

For each size, on a freshly recreated reminders table:
- seeds one pending reminder per case with ``ReminderModel.batch_write()``, each item exactly what
  ``schedule_for`` stores (``to_model``: the sparse index attributes ``due_shard``/``due_at`` set); 1,000 of them
  due before the sweep's time, the rest due over the next 60 days; all in one office (its 4 due-index shards);
- runs ``services.reminders.sweep`` three times at the same (office-hours) time, re-arming the 1,000 due reminders
  between sweeps (the sweep leases them) and purging the jobs' queue before each, and takes the median;
- counts the items the due Queries return (the store's ``items_read``) and, from every Query response on the
  table (a botocore ``after-call`` hook), ``Count`` and ``ScannedCount``: what DynamoDB reads and bills;
- splits each sweep's time into the due Queries, the leases (conditional ``UpdateItem``) and the enqueues
  (``SendMessageBatch`` to moto's queue), and times one bare Query of an empty shard for scale.

The sweep reads only the reminders table: no case item is needed.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from bench.environment import LocalAws
    from chalicelib.domain.reminders import Reminder
    from chalicelib.services.reminders.ports import JobQueue, ReminderJob, ReminderStore

SIZES = (10_000, 100_000)
DUE = 1_000
SWEEPS = 3
OFFICE = "AN"
ZONE = ZoneInfo("Europe/Rome")
SWEEP_AT = datetime(2026, 12, 1, 10, 0, tzinfo=ZONE)  # a Tuesday, inside office hours (no quiet-hours skip)


@dataclass(slots=True)
class Split:
    """Seconds spent in each part of one sweep."""

    query: float = 0.0
    lease: float = 0.0
    enqueue: float = 0.0


class TimedStore:
    """The real store, timing the due Queries (the generator's steps) and the leases."""

    def __init__(self, inner: Any, split: Split) -> None:
        self._inner, self._split = inner, split

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def due(self, before_ms: int, limit: int) -> Iterator[Reminder]:
        items = iter(self._inner.due(before_ms, limit))
        while True:
            start = time.perf_counter()
            try:
                item = next(items)
            except StopIteration:
                self._split.query += time.perf_counter() - start
                return
            self._split.query += time.perf_counter() - start
            yield item

    def lease(self, reminder: Reminder, until_ms: int) -> bool:
        start = time.perf_counter()
        try:
            return bool(self._inner.lease(reminder, until_ms))
        finally:
            self._split.lease += time.perf_counter() - start


class TimedQueue:
    """The real SQS queue, timing ``send_batch``."""

    def __init__(self, inner: JobQueue, split: Split) -> None:
        self._inner, self._split = inner, split

    def send_batch(self, jobs: Sequence[tuple[ReminderJob, int]]) -> int:
        start = time.perf_counter()
        try:
            return self._inner.send_batch(jobs)
        finally:
            self._split.enqueue += time.perf_counter() - start


class QueryMeter:
    """Sums ``Count`` and ``ScannedCount`` of the Query responses one botocore client receives."""

    def __init__(self) -> None:
        self.calls = 0
        self.count = 0
        self.scanned = 0

    def __call__(self, parsed: dict[str, Any], **_: Any) -> None:
        self.calls += 1
        self.count += int(parsed.get("Count", 0))
        self.scanned += int(parsed.get("ScannedCount", 0))

    def reset(self) -> None:
        """Start counting again."""
        self.calls = self.count = self.scanned = 0


@dataclass(frozen=True, slots=True)
class SizeFigures:
    """One size's figures (times in seconds; counts per sweep, from the median sweep)."""

    cases: int
    due: int
    seed_s: float
    sweep_s: list[float]
    splits: list[Split]
    items_read: int
    query_calls: int
    query_count: int
    query_scanned: int
    leased: int
    queued: int
    bare_query_s: float

    @property
    def median_index(self) -> int:
        """The sweep whose time is the median."""
        return sorted(range(len(self.sweep_s)), key=lambda i: self.sweep_s[i])[len(self.sweep_s) // 2]

    @property
    def sweep(self) -> float:
        """Median sweep time."""
        return statistics.median(self.sweep_s)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _reminders(cases: int, due: int) -> tuple[list[Reminder], list[Reminder]]:
    """One reminder per case as ``schedule_for`` would create it: ``due`` of them due, the rest in the future."""
    from chalicelib.domain.reminders import Reminder, ReminderKind, ReminderState

    rng = random.Random(cases)
    at = SWEEP_AT
    created = _ms(at - timedelta(days=10))
    due_items: list[Reminder] = []
    future: list[Reminder] = []
    for i in range(cases):
        case_id = f"{OFFICE}-B{i:07d}"
        applicant = f"wa#39333{i:07d}"
        if i < due:  # documents requested three days ago with nothing sent: due at 09:00 today
            kind, attempt = ReminderKind.MISSING_DOCUMENTS, 1
            moment = datetime.combine(at.date(), clock(9, 0), tzinfo=ZONE)
        else:  # appointments, documents and expiries over the next 60 days
            kind = (ReminderKind.MISSING_DOCUMENTS, ReminderKind.APPOINTMENT, ReminderKind.PERMIT_EXPIRY)[i % 3]
            attempt = 1 + i % 2
            day = at.date() + timedelta(days=1 + rng.randrange(60))
            moment = datetime.combine(day, clock(10, 0) if kind is ReminderKind.APPOINTMENT else clock(9, 0), ZONE)
        reminder = Reminder(
            case_id=case_id,
            office=OFFICE,
            applicant_key=applicant,
            kind=kind,
            reminder_id=f"{kind.value}#{moment.date().isoformat()}",
            due_at_ms=_ms(moment),
            attempt=attempt,
            state=ReminderState.PENDING,
            created_at_ms=created,
        )
        (due_items if i < due else future).append(reminder)
    return due_items, future


def _write(reminders: Sequence[Reminder]) -> None:
    from chalicelib.adapters.dynamo.reminders import ReminderModel, to_model

    with ReminderModel.batch_write() as batch:
        for reminder in reminders:
            batch.save(to_model(reminder))


def _fresh_table(local: LocalAws, table: str) -> None:
    from devtools.local_aws import create_resources, load_template, resolve

    ddb = local.session.client("dynamodb", region_name=local.region)
    ddb.delete_table(TableName=table)
    ddb.get_waiter("table_not_exists").wait(TableName=table)
    template = load_template()
    create_resources(template, resolve(template), local.session, local.region)


def _measure(local: LocalAws, cases: int, meter: QueryMeter) -> SizeFigures:
    from chalicelib.bootstrap import container
    from chalicelib.services.reminders.schedule import sweep
    from devtools.local_aws import create_resources, load_template, resolve

    c = container()
    _fresh_table(local, c.settings.reminders_table)
    due_items, future = _reminders(cases, DUE)
    start = time.perf_counter()
    _write(future)
    _write(due_items)
    seed_s = time.perf_counter() - start

    at = _ms(SWEEP_AT)
    sqs = c.client("sqs")
    template = load_template()
    store: ReminderStore = c.reminders
    sweep_s: list[float] = []
    splits: list[Split] = []
    per_sweep: list[tuple[int, int, int, int, int, int]] = []
    for attempt in range(SWEEPS):
        if attempt:
            _write(due_items)  # re-arm: the previous sweep leased them (due_at moved on, state queued)
        # An empty queue for each sweep: moto's SendMessageBatch slows down as its queue fills up.
        # (PurgeQueue is allowed once a minute, so the queue is deleted and created again.)
        sqs.delete_queue(QueueUrl=c.reminder_queue.url())
        create_resources(template, resolve(template), local.session, local.region)
        split = Split()
        deps = dataclasses.replace(
            c.scheduler, store=TimedStore(store, split), queue=TimedQueue(c.reminder_queue, split)
        )
        read_before = getattr(store, "items_read", 0)
        meter.reset()
        begin = time.perf_counter()
        result = sweep(deps, at)
        sweep_s.append(time.perf_counter() - begin)
        splits.append(split)
        items_read = getattr(store, "items_read", 0) - read_before
        per_sweep.append((items_read, meter.calls, meter.count, meter.scanned, result.due, result.queued))

    ddb = local.session.client("dynamodb", region_name=local.region)
    bare: list[float] = []
    for _ in range(5):  # an empty shard: the emulator's cost of one Query at this table size
        begin = time.perf_counter()
        ddb.query(
            TableName=c.settings.reminders_table,
            IndexName="due",
            KeyConditionExpression="due_shard = :s AND due_at <= :t",
            ExpressionAttributeValues={":s": {"S": "MC#0"}, ":t": {"N": str(at)}},
        )
        bare.append(time.perf_counter() - begin)

    figures = SizeFigures(cases, DUE, seed_s, sweep_s, splits, 0, 0, 0, 0, 0, 0, statistics.median(bare))
    read, calls, count, scanned, leased, queued = per_sweep[figures.median_index]
    return dataclasses.replace(
        figures,
        items_read=read,
        query_calls=calls,
        query_count=count,
        query_scanned=scanned,
        leased=leased,
        queued=queued,
    )


def run(local: LocalAws, sizes: Sequence[int] = SIZES) -> dict[str, Any]:
    """Run the benchmark and return its figures."""
    from chalicelib.adapters.dynamo.reminders import ReminderModel
    from chalicelib.bootstrap import container

    container()  # binds the models to the local table names
    meter = QueryMeter()
    client = ReminderModel._get_connection().connection.client
    client.meta.events.register("after-call.dynamodb.Query", meter)
    try:
        return {"sizes": [_measure(local, cases, meter) for cases in sizes]}
    finally:
        client.meta.events.unregister("after-call.dynamodb.Query", meter)


def report(figures: dict[str, Any], emit: Callable[[str], None] = print) -> None:
    """Print the figures as the Markdown that goes in BENCHMARKS.md."""
    sizes: list[SizeFigures] = figures["sizes"]
    emit(
        "| cases | due | seed (s) | sweep p50 (ms) | 3 sweeps (ms) | Queries | items read (store) "
        "| Count | ScannedCount | jobs enqueued | query / lease / enqueue (ms) | bare Query (ms) |"
    )
    emit("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for f in sizes:
        split = f.splits[f.median_index]
        runs = " / ".join(f"{s * 1000:.0f}" for s in f.sweep_s)
        emit(
            f"| {f.cases:,} | {f.due:,} | {f.seed_s:.1f} | {f.sweep * 1000:.0f} | {runs} | {f.query_calls} "
            f"| {f.items_read:,} | {f.query_count:,} | {f.query_scanned:,} | {f.queued:,} "
            f"| {split.query * 1000:.0f} / {split.lease * 1000:.0f} / {split.enqueue * 1000:.0f} "
            f"| {f.bare_query_s * 1000:.1f} |"
        )
    emit("")
    for f in sizes:
        ratio = f.query_scanned / f.due
        emit(
            f"- {f.cases:,} cases: items read per sweep / reminders due = {f.items_read:,} / {f.due:,} (store), "
            f"ScannedCount {f.query_scanned:,} → {ratio:.2f}; target ≤ 1.1 → {'met' if ratio <= 1.1 else 'NOT met'}."
        )
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        ratio = large.sweep / small.sweep
        q_small, q_large = small.splits[small.median_index], large.splits[large.median_index]
        rest_small = small.sweep_s[small.median_index] - q_small.query
        rest_large = large.sweep_s[large.median_index] - q_large.query
        emit(
            f"- sweep time {large.cases:,} / {small.cases:,} cases = {ratio:.2f}; target ≤ 1.2 → "
            f"{'met' if ratio <= 1.2 else 'NOT met'}."
        )
        emit(
            f"- without the due Queries (leases + enqueues): {rest_large * 1000:.0f} / {rest_small * 1000:.0f} ms = "
            f"{rest_large / rest_small:.2f}; the Queries alone: {q_large.query * 1000:.0f} / "
            f"{q_small.query * 1000:.0f} ms; a bare Query of an empty shard: {large.bare_query_s * 1000:.1f} / "
            f"{small.bare_query_s * 1000:.1f} ms."
        )
