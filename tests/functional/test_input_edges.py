"""Issue 16: every error in what the caller sends is a 4xx in the error shape, never a 500; a date-time without an
offset is the office's wall clock. (The e2e fuzz sends the same extremes to every documented parameter.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from chalicelib.offices import UnknownOffice
from functions.api import answer
from tests.functional.test_officers_api import Api

if TYPE_CHECKING:
    from chalice.test import Client

EXTREMES = ["0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00", "9999-12-31T23:59:59.999999", "0001-01-01", "NaN"]


@pytest.fixture
def supervisor(client: Client, officer_token: Any) -> Api:
    return Api(client, officer_token(office="AN", role="supervisor", username="m.rossi"))


@pytest.mark.parametrize("value", EXTREMES)
@pytest.mark.parametrize(
    "query",
    ["/api/reminders?due_before=", "/api/audit?since=", "/api/audit?until=", "/api/cases?waiting_since="],
)
def test_extreme_instants_are_refused_as_invalid_input(supervisor: Api, query: str, value: str) -> None:
    status, body = supervisor.call("get", query + value.replace("+", "%2B"))

    assert (status, body["error"]["code"]) == (422, "invalid_input"), body


@pytest.mark.parametrize(
    "query", ["from=9999-12-31", "to=9999-12-31", "from=0001-01-01", "from=2026-01-01&to=9999-12-31"]
)
def test_extreme_calendar_days_are_refused_as_invalid_input(supervisor: Api, query: str) -> None:
    status, body = supervisor.call("get", f"/api/calendar/slots?{query}")

    assert (status, body["error"]["code"]) == (422, "invalid_input"), body


def test_a_permit_expiring_in_year_one_is_refused(supervisor: Api) -> None:
    body = {
        "procedure": "rinnovo",
        "permit_type": "studio",
        "permit_expiry": "0001-01-01",
        "applicant": {"phone": "333 123 4567", "name": "Amina", "language": "en"},
    }
    status, answer_body = supervisor.call("post", "/api/cases", body)

    assert (status, answer_body["error"]["code"]) == (422, "invalid_input")


@pytest.mark.parametrize(
    ("due_before", "instant"),
    [
        ("2026-12-01T00:00", "2026-11-30T23:00:00Z"),  # Rome in winter: UTC+1
        ("2026-07-01", "2026-06-30T22:00:00Z"),  # in summer: UTC+2
        ("2026-07-01T00:00Z", "2026-07-01T00:00:00Z"),  # an offset is kept
    ],
)
def test_a_time_without_an_offset_is_the_offices_wall_clock(supervisor: Api, due_before: str, instant: str) -> None:
    status, body = supervisor.call("get", f"/api/reminders?due_before={due_before}")

    assert status == 200, body
    assert body["due_before"] == instant


def test_an_unknown_office_reaching_the_api_is_forbidden_not_a_server_error() -> None:
    def handler() -> Any:
        raise UnknownOffice("ZZ")

    response = answer(handler)

    assert response.status_code == 403
    assert response.body["error"]["code"] == "forbidden"
