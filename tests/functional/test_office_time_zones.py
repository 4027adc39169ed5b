"""Issue 16: an office's local days and hours are its own time zone's, wherever one is meant.

A test-only office in New York (``NY``, six hours behind Rome in December) sits beside Ancona and Macerata: its
reminders fall at its 09:00, its quiet hours are its nights, "waiting since" a day is its day, and its upload page
gives its clock. Each check picks instants where Rome's (or UTC's) reading would give another answer.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib import handlers, offices
from chalicelib.adapters.dynamo.case_models import CaseModel
from chalicelib.adapters.dynamo.reminders import ReminderModel
from chalicelib.i18n.formats import format_time
from tests.functional.test_officers_api import Api, _register
from tests.functional.test_reminders import _drain
from tests.functional.test_upload_page import _page, _sent_token

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from chalice.test import Client

    from chalicelib.bootstrap import Container
    from tests.fakes import FakeGateway

NEW_YORK = ZoneInfo("America/New_York")
HOUR_MS = 60 * 60 * 1000


@pytest.fixture
def new_york(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``offices.json`` with a test-only office ``NY`` in America/New_York (Macerata's entry otherwise)."""
    entries = json.loads(offices.OFFICES_FILE.read_text(encoding="utf-8"))
    entries["NY"] = {**entries["MC"], "timezone": "America/New_York", "phone_number_id": None, "province": "NY"}
    configured = tmp_path / "offices.json"
    configured.write_text(json.dumps(entries), encoding="utf-8")
    monkeypatch.setattr(offices, "OFFICES_FILE", configured)
    offices.offices.cache_clear()
    yield
    offices.offices.cache_clear()


@pytest.fixture
def ny(new_york: None, container: Container, client: Client, officer_token: Callable[..., str]) -> Api:
    return Api(client, officer_token(office="NY", role="officer", username="ny.officer"))


def _local(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, NEW_YORK)


def _requested(ny: Api) -> dict[str, Any]:
    case = _register(ny, permit_type="lavoro_subordinato", permit_expiry=None)
    status, answer = ny.call("post", f"/api/cases/{case['id']}/requests", {"items": ["buste_paga"], "note": ""})
    assert status == 200, answer
    return case


def _due(case_id: str) -> list[ReminderModel]:
    return sorted(ReminderModel.query(case_id), key=lambda r: int(r.due_at))


def test_reminders_fall_at_the_offices_nine_oclock(ny: Api) -> None:
    case = _requested(ny)

    first, second = _due(case["id"])

    assert case["id"].startswith("NY-")
    assert _local(int(first.due_at)).time() == _local(int(second.due_at)).time() == time(9, 0)
    assert _local(int(second.due_at)).date() - _local(int(first.due_at)).date() == timedelta(days=4)


def test_the_sweep_keeps_each_offices_own_quiet_hours(ny: Api, gateway: FakeGateway) -> None:
    case = _requested(ny)
    first, second = (int(r.due_at) for r in _due(case["id"]))

    # 15:00 in New York is 21:00 in Rome: Rome's night, not New York's.
    evening = handlers.sweep_reminders(first + 6 * HOUR_MS)
    assert (evening["queued"], evening["quiet"]) == (1, 0)
    before = len(gateway.sent)
    assert [handlers.send_reminders([record]) for record in _drain()] == [{"sent": 1}]
    assert len(gateway.sent) == before + 1

    # 03:00 in New York is 09:00 in Rome: New York's night, so the reminder waits for New York's 08:00.
    night = second + 18 * HOUR_MS
    assert handlers.sweep_reminders(night)["queued"] == 0
    deferred = _due(case["id"])[-1]
    assert deferred.state == "pending"
    assert _local(int(deferred.due_at)) == datetime.combine(_local(night).date(), time(8, 0), NEW_YORK)
    assert handlers.sweep_reminders(int(deferred.due_at))["queued"] == 1


@pytest.mark.parametrize("status", [None, "registered"], ids=["any-status", "one-status"])
def test_waiting_since_is_a_day_at_the_office(ny: Api, status: str | None) -> None:
    case = _register(ny)
    # 01:30 UTC on 10 March is still 9 March in New York (21:30).
    since = int(datetime(2026, 3, 10, 1, 30, tzinfo=UTC).timestamp() * 1000)
    CaseModel.get(case["id"]).update(actions=[CaseModel.status_since.set(since)])
    listed = "/api/cases?" + (f"status={status}&" if status else "")

    def found(day: str) -> bool:
        code, page = ny.call("get", f"{listed}waiting_since={day}")
        assert code == 200, page
        return case["id"] in {c["id"] for c in page["cases"]}

    assert found("2026-03-09")
    assert not found("2026-03-08")


def test_the_upload_page_gives_the_offices_clock(
    ny: Api, gateway: FakeGateway, container: Container, client: Client
) -> None:
    # Issued at 03:30 UTC, the link lasts a day: until 22:30 the evening before in New York (04:30 in Rome).
    issued = int(datetime(2026, 12, 10, 3, 30, tzinfo=UTC).timestamp() * 1000)
    deps = container.upload_deps
    container.__dict__["upload_deps"] = dataclasses.replace(deps, clock_ms=lambda: issued)
    case = _register(ny, applicant={"phone": "333 765 4321", "name": "Karim", "language": "en"})
    status, answer = ny.call("post", f"/api/cases/{case['id']}/requests", {"items": [case["missing"][0]["items"][0]]})
    assert status == 200, answer

    code, _, html = _page(client, _sent_token(gateway))

    until = _local(issued + deps.link_seconds * 1000)
    assert code == 200
    assert format_time(until, "en") in html
    assert format_time(until.astimezone(ZoneInfo("Europe/Rome")), "en") not in html
