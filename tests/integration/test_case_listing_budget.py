"""``GET /api/cases``'s listing on moto: bounded reads per request, and a cursor that goes on to the end."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib.adapters.dynamo.case_models import CaseModel
from chalicelib.adapters.dynamo.cases import DynamoCaseRepository
from chalicelib.adapters.dynamo.models import bind_models
from chalicelib.catalogue import load_catalogue
from chalicelib.domain.cases import Case, CaseApplicant, CaseStatus
from chalicelib.domain.catalogue import Procedure
from chalicelib.domain.checklist import Checklist
from chalicelib.services.cases.ports import CaseFilter
from chalicelib.services.pagination import decode_cursor, encode_cursor
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Iterator

NOW = 1_764_100_000_000
SCOPE, SECRET = "cases:AN:test", b"cursor-secret"


class ReadMeter:
    """Items DynamoDB read (``ScannedCount``) per call of the repository, from every Query response."""

    def __init__(self) -> None:
        self.read = 0

    def __call__(self, parsed: dict[str, Any], **_: Any) -> None:
        self.read += int(parsed.get("ScannedCount", 0))

    def take(self) -> int:
        read, self.read = self.read, 0
        return read


@pytest.fixture
def repo(aws: None) -> DynamoCaseRepository:
    bind_models(get_settings())
    return DynamoCaseRepository("eu-south-1")


@pytest.fixture
def meter(repo: DynamoCaseRepository) -> Iterator[ReadMeter]:
    meter = ReadMeter()
    events = CaseModel._get_connection().connection.client.meta.events
    events.register("after-call.dynamodb.Query", meter)
    yield meter
    events.unregister("after-call.dynamodb.Query", meter)


def _case(serial: int, *, unanswered: bool = False) -> Case:
    spec = load_catalogue().procedure("studio", Procedure.RINNOVO)
    applicant = CaseApplicant(f"+3933312{serial:05d}", f"3933312{serial:05d}", None, "Amina", "it")
    case = Case(
        f"AN-B{serial:07d}",
        "AN",
        Procedure.RINNOVO,
        "studio",
        applicant,
        Checklist.for_procedure(spec),
        CaseStatus.REGISTERED,
        NOW,
        NOW,
        NOW + serial,  # the office index lists the latest change first
    )
    return replace(case, unanswered_since_ms=NOW) if unanswered else case


def _every_page(
    repo: DynamoCaseRepository, meter: ReadMeter, filters: CaseFilter, limit: int
) -> list[tuple[list[str], int, bool]]:
    """Every page to the end, each cursor passed as the API passes it (signed, JSON): (ids, items read, cursor?)."""
    pages, cursor = [], None
    meter.take()
    while True:
        page = repo.list("AN", filters, limit, decode_cursor(cursor, SCOPE, SECRET))
        cursor = encode_cursor(page.last_key, SCOPE, SECRET)
        pages.append(([case.case_id for case in page.cases], meter.take(), cursor is not None))
        if cursor is None:
            return pages
        assert len(pages) < 100, "the cursor does not move on"


def test_a_filter_few_cases_match_reads_at_most_the_budget_per_request_and_the_cursor_finds_every_match(
    repo: DynamoCaseRepository, meter: ReadMeter
) -> None:
    cases = [repo.add(_case(serial, unanswered=serial % 7 == 0), []) for serial in range(40)]
    matching = [case.case_id for case in sorted(cases, key=lambda c: -c.updated_at_ms) if case.unanswered_since_ms]
    repo.read_budget = 10

    pages = _every_page(repo, meter, CaseFilter(unanswered=True), limit=25)

    assert max(read for _, read, _ in pages) <= 10
    assert len(pages) >= 4  # 40 cases at 10 a request
    assert any(len(ids) < 25 and more for ids, _, more in pages)  # a short page, and still a cursor
    assert [case_id for ids, _, _ in pages for case_id in ids] == matching  # each once, in order, none skipped


def test_without_the_budget_the_same_listing_walks_the_whole_index_in_one_request(
    repo: DynamoCaseRepository, meter: ReadMeter
) -> None:
    """What the budget prevents: the same filter with a budget above the index reads every case at once."""
    for serial in range(40):
        repo.add(_case(serial, unanswered=serial % 7 == 0), [])
    repo.read_budget = 1_000

    [(ids, read, more)] = _every_page(repo, meter, CaseFilter(unanswered=True), limit=25)

    assert (len(ids), read, more) == (6, 40, False)


def test_a_page_cut_at_the_limit_goes_on_from_the_next_case(repo: DynamoCaseRepository, meter: ReadMeter) -> None:
    cases = [repo.add(_case(serial, unanswered=serial % 6 != 0), []) for serial in range(12)]
    matching = [case.case_id for case in sorted(cases, key=lambda c: -c.updated_at_ms) if case.unanswered_since_ms]

    pages = _every_page(repo, meter, CaseFilter(unanswered=True), limit=4)

    assert [len(ids) for ids, _, _ in pages] == [4, 4, 2]
    assert [case_id for ids, _, _ in pages for case_id in ids] == matching


def test_an_unfiltered_listing_reads_only_what_it_returns(repo: DynamoCaseRepository, meter: ReadMeter) -> None:
    for serial in range(12):
        repo.add(_case(serial), [])

    pages = _every_page(repo, meter, CaseFilter(), limit=5)

    assert [(len(ids), read) for ids, read, _ in pages][:2] == [(5, 5), (5, 5)]
    assert sum(len(ids) for ids, _, _ in pages) == 12
