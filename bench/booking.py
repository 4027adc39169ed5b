"""Benchmark: booking the counter visit, and listing free slots, against moto's server on loopback.

Measures, in one run:
- p50/p99 of a booking (``book_visit``: the calendar read, the checks, and the one transaction that saves the case
  and takes the slot's place), alternated with a bare conditional ``UpdateItem`` on the same table (the least a
  booking can cost: one conditional write), for the ratio;
- listing the free places of two weeks (``free_slots``): the items DynamoDB read (``ScannedCount``) against the
  slots that hold bookings in that range and the slots listed, with bookings also outside it that must not be read.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.transactions import TransactWrite

from bench.measure import CallCounter, timing
from bench.workspace import ScannedItems

if TYPE_CHECKING:
    from bench.environment import LocalAws

BOOKINGS = 80
WARMUP = 5


def _calendar(container: Any) -> Any:
    from datetime import time as clock

    from chalicelib.domain.calendar import CounterHours, OfficeCalendar

    hours = tuple(CounterHours(day, clock(8), clock(18)) for day in range(5))
    calendar = OfficeCalendar("AN", "Europe/Rome", hours, slot_minutes=15, places=3, horizon_days=120)
    return container.calendar_deps.store.save(calendar)


def _complete_case(container: Any, serial: int) -> Any:
    from chalicelib.catalogue import load_catalogue
    from chalicelib.domain.cases import Case, CaseApplicant, CaseStatus
    from chalicelib.domain.catalogue import Procedure
    from chalicelib.domain.checklist import Checklist

    checklist = Checklist.for_procedure(load_catalogue().procedure("studio", Procedure.RINNOVO))
    for code in checklist.missing_codes():
        checklist = checklist.set_at_counter(code, True)
    now = int(time.time() * 1000)
    applicant = CaseApplicant(None, None, f"IT.BOOK{serial:05d}", "Bench", "en")
    case = Case(
        f"AN-K{serial:07d}", "AN", Procedure.RINNOVO, "studio", applicant, checklist, CaseStatus.COMPLETE, now, now, now
    )
    return container.cases.inner.add(case, [])


def run(local: LocalAws) -> dict[str, Any]:
    """Book ``BOOKINGS`` cases into free slots, each followed by a bare conditional write; then list two weeks."""
    from chalicelib.adapters.dynamo.calendar import CalendarModel
    from chalicelib.bootstrap import Container
    from chalicelib.domain.actors import SERVICE
    from chalicelib.services.calendar.booking import book_visit
    from chalicelib.services.calendar.slots import free_slots, next_free
    from chalicelib.settings import Settings

    container = Container(Settings.from_env())
    calendar = _calendar(container)
    deps = container.calendar_deps
    cases = [_complete_case(container, n) for n in range(WARMUP + BOOKINGS)]
    slots = next_free(deps, calendar, len(cases) + 40)
    from chalicelib.adapters.dynamo.case_models import CaseModel
    from chalicelib.adapters.dynamo.reminders import ReminderModel

    calls = CallCounter()
    for model in (CalendarModel, CaseModel, ReminderModel):
        calls.attach(model._get_connection().connection.client)
    repository: Any = container.cases
    calls.attach(repository.inner._transactions.client)
    booked, bare, bare_transaction, per_booking = [], [], [], []
    for n, case in enumerate(cases):
        at = slots[n].at
        before = calls.calls
        started = time.perf_counter()
        book_visit(deps, container.cases, case, at, place="Bench", actor=SERVICE)
        elapsed = time.perf_counter() - started
        per_booking.append(calls.calls - before)
        started = time.perf_counter()
        CalendarModel("AN", f"bench#{n}").update(
            actions=[CalendarModel.taken.add(1)],
            condition=CalendarModel.taken.does_not_exist() | (CalendarModel.taken < 3),
        )
        bare_elapsed = time.perf_counter() - started
        started = time.perf_counter()
        with TransactWrite(connection=repository.inner._transactions) as transaction:
            for key in (f"bench#{n}", f"bench#t{n}"):
                transaction.update(CalendarModel("AN", key), actions=[CalendarModel.taken.add(1)])
        transaction_elapsed = time.perf_counter() - started
        if n >= WARMUP:
            booked.append(elapsed)
            bare.append(bare_elapsed)
            bare_transaction.append(transaction_elapsed)

    first = slots[0].at.date()
    last = first + timedelta(days=13)
    in_range = sum(1 for slot in slots[: len(cases)] if first <= slot.at.date() <= last)
    # Bookings outside the range too, weeks later: the listing must not read them.
    later = [_complete_case(container, 90_000 + n) for n in range(20)]
    far = next_free(deps, calendar, 20, after=datetime.combine(last + timedelta(days=14), datetime.min.time()))
    for case, slot in zip(later, far, strict=False):
        book_visit(deps, container.cases, case, slot.at, place="Bench", actor=SERVICE)
    counter = ScannedItems()
    CalendarModel._get_connection().connection.client.meta.events.register("after-call.dynamodb.Query", counter)
    listed = free_slots(deps, calendar, first, last)
    return {
        "booking": timing(booked),
        "calls": sorted(per_booking)[len(per_booking) // 2],
        "bare": timing(bare),
        "transaction": timing(bare_transaction),
        "items_read": counter.items,
        "booked_in_range": in_range,
        "listed": len(listed),
        "booked_outside": len(far),
    }


def report(results: dict[str, Any]) -> None:
    """Print the Markdown for BENCHMARKS.md."""
    booking, bare = results["booking"], results["bare"]
    print("| measure | p50 (ms) | p99 (ms) | n |")
    print("|---|---|---|---|")
    print(f"| bare conditional UpdateItem on the calendar table | {bare.p50:.2f} | {bare.p99:.2f} | {bare.n} |")
    tx = results["transaction"]
    print(f"| bare TransactWriteItems of two updates, same table | {tx.p50:.2f} | {tx.p99:.2f} | {tx.n} |")
    name = "book a visit (`book_visit`: calendar, checks, one transaction, reminder re-plan)"
    print(f"| {name} | {booking.p50:.2f} | {booking.p99:.2f} | {booking.n} |")
    print(
        f"\n- booking p99 / bare conditional write p99 = **{booking.p99 / bare.p99:.2f}**; p50 ratio "
        f"{booking.p50 / bare.p50:.2f}; AWS calls per booking (median): {results['calls']}; a bare two-item "
        f"transaction alone is {tx.p50 / bare.p50:.2f}x the single write at p50 and {tx.p99 / bare.p99:.2f}x at p99."
    )
    print(
        f"- listing two weeks: **{results['items_read']} items read** for {results['booked_in_range']} booked slots "
        f"in the range ({results['listed']} slots listed; {results['booked_outside']} booked slots weeks later, "
        "not read): one Query, no Scan."
    )
