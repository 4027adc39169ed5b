"""Benchmark: the officers' workspace reads (the inbox and a case's thread) against moto's server on loopback.

Measures, in one run, with an office of 1,000 cases of which 125 wait for an officer, and one case whose thread holds
400 messages (200 each way):
- a page of the inbox (25 rows): latency p50/p99 and the items DynamoDB read for it (``ScannedCount``), against the
  listing that answered "who is waiting" before the inbox (``GET /api/cases?unanswered=true``: the office index with
  a filter), which reads the office's cases until it has found 25;
- a page of the thread (the newest 50): latency and items read (two Queries, one per direction, merged), against one
  bare Query of 50 items on one of the two indexes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from bench.measure import timing

if TYPE_CHECKING:
    from bench.environment import LocalAws

CASES = 1_000
WAITING = 125
THREAD_EACH_WAY = 200
ITERATIONS = 60
WARMUP = 5


class ScannedItems:
    """Sums ``ScannedCount`` of the Query answers botocore receives (items DynamoDB read, before any filter)."""

    def __init__(self) -> None:
        self.items = 0

    def __call__(self, parsed: dict[str, Any], **_: Any) -> None:
        self.items += int(parsed.get("ScannedCount", 0))


def _cases(container: Any) -> str:
    """The office's cases, the waiting ones spread among them; the id of one waiting case."""
    from dataclasses import replace

    from chalicelib.catalogue import load_catalogue
    from chalicelib.domain.cases import Case, CaseApplicant, CaseStatus
    from chalicelib.domain.catalogue import Procedure
    from chalicelib.domain.checklist import Checklist

    spec = load_catalogue().procedure("studio", Procedure.RINNOVO)
    checklist = Checklist.for_procedure(spec)
    now = int(time.time() * 1000) - CASES * 1000
    repository = container.cases.inner  # no reminder planning: only what the reads need
    every = CASES // WAITING
    waiting_id = ""
    for serial in range(CASES):
        applicant = CaseApplicant(f"+39333{serial:07d}", f"39333{serial:07d}", None, f"Bench {serial}", "en")
        at = now + serial * 1000
        case = Case(
            f"AN-W{serial:07d}", "AN", Procedure.RINNOVO, "studio", applicant, checklist,
            CaseStatus.AWAITING_DOCUMENTS, at, at, at,
        )  # fmt: skip
        if serial % every == 0:
            case = replace(case, unanswered_since_ms=at)
            waiting_id = case.case_id
        repository.add(case, [])
    return waiting_id


def _thread(container: Any, case_id: str) -> None:
    from chalicelib.domain.applicants import ApplicantRef
    from chalicelib.domain.inbound import InboundMessage, MessageType
    from chalicelib.domain.outbound import OutboundMessage, Text
    from chalicelib.services.messages.ports import InboundFiling
    from chalicelib.services.messages.rendering import render

    applicant = ApplicantRef(wa_id="393330000001")
    start = int(time.time() * 1000) - 10 * THREAD_EACH_WAY * 1000
    for n in range(THREAD_EACH_WAY):
        at = start + n * 10_000
        message = InboundMessage(
            f"wamid.bench.{n}", applicant, at // 1000, MessageType.TEXT, {"text": {"body": f"question {n}"}}, "1",
            received_at_ms=at,
        )  # fmt: skip
        container.inbound.add(message, at)
        container.inbound.file_under_case(message, case_id, InboundFiling())
        reply = OutboundMessage(f"bench.{case_id}.{n}", applicant, Text(f"answer {n}"), case_id=case_id)
        container.outbound.claim(reply, at + 5_000, render(reply.content), container.messenger.policy.lease(at))


def _pair(first: Any, second: Any, counter: ScannedItems) -> list[tuple[list[float], int]]:
    """Latencies of two calls, alternated after a warm-up (the machine's noise falls on both alike), and the items
    DynamoDB read for each one's measured calls."""
    measured: list[tuple[list[float], int]] = [([], 0), ([], 0)]
    for i in range(WARMUP + ITERATIONS):
        for slot, call in enumerate((first, second)):
            before = counter.items
            started = time.perf_counter()
            call()
            elapsed = time.perf_counter() - started
            if i >= WARMUP:
                samples, read = measured[slot]
                samples.append(elapsed)
                measured[slot] = (samples, read + counter.items - before)
    return measured


def run(local: LocalAws) -> dict[str, Any]:
    """Build the office, then time the reads, each interleaved with its comparison."""
    from chalicelib.adapters.dynamo.case_models import CaseModel
    from chalicelib.adapters.dynamo.models import InboundModel, OutboundModel
    from chalicelib.bootstrap import Container
    from chalicelib.services.cases.ports import CaseFilter
    from chalicelib.settings import Settings

    container = Container(Settings.from_env())
    started = time.perf_counter()
    case_id = _cases(container)
    _thread(container, case_id)
    setup_s = time.perf_counter() - started
    counter = ScannedItems()
    for model in (CaseModel, InboundModel, OutboundModel):
        model._get_connection().connection.client.meta.events.register("after-call.dynamodb.Query", counter)

    cases = container.cases
    results: dict[str, Any] = {"setup_s": setup_s}
    unanswered = CaseFilter(unanswered=True)
    (inbox, inbox_read), (listing, listing_read) = _pair(
        lambda: cases.inbox("AN", None, 25, None), lambda: cases.list("AN", unanswered, 25, None), counter
    )
    results["inbox"] = (timing(inbox), inbox_read, len(cases.inbox("AN", None, 25, None).cases))
    results["listing"] = (timing(listing), listing_read, len(cases.list("AN", unanswered, 25, None).cases))

    thread = container.thread
    (page, page_read), (bare, bare_read) = _pair(
        lambda: thread.page(case_id, None, 50),
        lambda: list(OutboundModel.by_case.query(case_id, scan_index_forward=False, limit=50)),
        counter,
    )
    results["thread"] = (timing(page), page_read, len(thread.page(case_id, None, 50).entries))
    results["bare"] = (timing(bare), bare_read, 50)
    return results


def report(results: dict[str, Any]) -> None:
    """Print the Markdown table for BENCHMARKS.md."""
    print(
        f"Office of {CASES:,} cases, {WAITING} waiting; one thread of {2 * THREAD_EACH_WAY} messages "
        f"(setup {results['setup_s']:.0f} s). {ITERATIONS} iterations each, alternated with its comparison.\n"
    )
    print("| read | p50 ms | p99 ms | items read | items returned |")
    print("|---|---:|---:|---:|---:|")
    rows = [
        ("inbox page (`GET /api/inbox`, 25 rows)", results["inbox"]),
        ("before: `GET /api/cases?unanswered=true` (office index + filter, 25 rows)", results["listing"]),
        ("thread page (`GET …/conversation`, newest 50, two Queries merged)", results["thread"]),
        ("bare Query of 50 items on one `by_case` index", results["bare"]),
    ]
    for name, (t, read, returned) in rows:
        print(f"| {name} | {t.p50:.1f} | {t.p99:.1f} | {read / t.n:.0f} | {returned} |")
    inbox, listing = results["inbox"][0], results["listing"][0]
    thread, bare = results["thread"][0], results["bare"][0]
    print(
        f"\nRatios in this run: the inbox page is {listing.p50 / inbox.p50:.1f} times faster (p50) than the filtered "
        f"listing and reads {results['listing'][1] / max(results['inbox'][1], 1):.0f} times fewer items; a thread page "
        f"costs {thread.p50 / bare.p50:.2f} times a bare Query of 50 (p50)."
    )
