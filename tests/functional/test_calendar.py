"""The counter calendar through the app: editing it, its free places, booking, moving, the counter's day."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import Container
from chalicelib.domain.outbound import ListMenu, Template, Text
from chalicelib.i18n import translate
from chalicelib.i18n.formats import format_date, format_time
from tests.fakes import FakeGateway
from tests.functional.test_workspace import Api, _open_window, _register
from tests.functional.test_workspace import api as api  # noqa: PLC0414 - the fixture
from tests.support import counter_day, open_counter

pytestmark = pytest.mark.usefixtures("container")


def _complete(api: Api) -> dict[str, Any]:
    case = _register(api)
    for code in [m["items"][0] for m in case["missing"]]:
        assert api("patch", f"/api/cases/{case['id']}/checklist/{code}", {"at_counter": True})[0] == 200
    return api("get", f"/api/cases/{case['id']}")[1]  # type: ignore[no-any-return]


def _slot(api: Api, at: str) -> dict[str, Any]:
    day = at[:10]
    slots = api("get", f"/api/calendar/slots?from={day}&to={day}")[1]["slots"]
    return next(s for s in slots if s["at"] == at)


def test_a_supervisor_edits_the_calendar_and_a_stale_copy_is_refused(
    api: Api, officer_token: Callable[..., str]
) -> None:
    status, calendar = api("get", "/api/calendar")
    assert status == 200 and calendar["configured"] is False and calendar["timezone"] == "Europe/Rome"
    body = {
        "hours": [{"day": "monday", "opens": "09:00", "closes": "12:00"}],
        "slot_minutes": 20,
        "places": 3,
        "closed_dates": [],
        "blocked": [],
        "change_hours": 48,
        "horizon_days": 30,
        "version": calendar["version"],
    }
    assert api("put", "/api/calendar", body)[1]["error"]["code"] == "supervisor_only"
    supervisor = officer_token(role="supervisor")
    status, saved = api("put", "/api/calendar", body, token=supervisor)
    assert status == 200 and saved["configured"] and saved["version"] == 1 and saved["updated_by"] == "an.supervisor"
    assert saved["hours"] == body["hours"] and saved["places"] == 3
    assert api("put", "/api/calendar", body, token=supervisor)[1]["error"]["code"] == "conflict"
    assert any(e["action"] == "calendar.update" for e in api("get", "/api/audit", token=supervisor)[1]["entries"])


def test_macerata_has_its_defaults_from_the_offices_file(officer_token: Callable[..., str], api: Api) -> None:
    calendar = api("get", "/api/calendar", token=officer_token(office="MC"))[1]
    assert calendar["configured"] and calendar["slot_minutes"] == 20 and calendar["places"] == 2
    assert {"day": "tuesday", "opens": "15:00", "closes": "17:00"} in calendar["hours"]


def test_booking_takes_one_place_once_and_moving_gives_it_back(
    api: Api, container: Container, gateway: FakeGateway
) -> None:
    open_counter(container, places=2)
    case = _complete(api)
    first, second = f"{counter_day(3).isoformat()}T09:00", f"{counter_day(4).isoformat()}T10:30"
    status, answer = api("post", f"/api/cases/{case['id']}/appointment", {"at": first})
    assert status == 200 and answer["case"]["appointment"]["counted"]
    sent = len(gateway.sent)
    assert api("post", f"/api/cases/{case['id']}/appointment", {"at": first})[0] == 200  # the same request again
    assert len(gateway.sent) == sent and _slot(api, first)["taken"] == 1  # booked once, told once

    _open_window(container)
    status, answer = api("post", f"/api/cases/{case['id']}/appointment", {"at": second})
    assert status == 200 and answer["case"]["appointment"]["at"] == second
    assert (_slot(api, first)["taken"], _slot(api, second)["taken"]) == (0, 1)
    moved = gateway.sent[-1].content
    old = format_date(counter_day(3), case["applicant"]["language"], "full")
    assert isinstance(moved, Text) and old in moved.body and "09:00" in moved.body  # the old time is replaced


def test_outside_the_window_a_move_is_the_moved_template(api: Api, container: Container, gateway: FakeGateway) -> None:
    open_counter(container)
    case = _complete(api)
    api("post", f"/api/cases/{case['id']}/appointment", {"at": f"{counter_day(3).isoformat()}T09:00"})
    api("post", f"/api/cases/{case['id']}/appointment", {"at": f"{counter_day(3).isoformat()}T11:00"})
    moved = gateway.sent[-1].content
    assert isinstance(moved, Template) and moved.name == "sportello_appuntamento_spostato"
    language = case["applicant"]["language"]
    old_day, new_time = format_date(counter_day(3), language, "full"), format_time("11:00", language)
    assert moved.body_parameters[2:5] == (format_time("09:00", language), old_day, new_time)


def test_a_full_slot_is_refused_with_the_next_free_ones_and_a_supervisor_may_go_beyond(
    api: Api, container: Container, officer_token: Callable[..., str]
) -> None:
    open_counter(container, places=1)
    at = f"{counter_day(3).isoformat()}T09:00"
    assert api("post", f"/api/cases/{_complete(api)['id']}/appointment", {"at": at})[0] == 200
    late = _complete(api)
    status, answer = api("post", f"/api/cases/{late['id']}/appointment", {"at": at})
    assert (status, answer["error"]["code"]) == (422, "slot_unavailable")
    assert answer["error"]["next_free"] and all(s["at"] > at and s["free"] >= 1 for s in answer["error"]["next_free"])
    body = {"at": at, "override_reason": "urgent departure"}
    status, answer = api("post", f"/api/cases/{late['id']}/appointment", body, token=officer_token(role="supervisor"))
    assert status == 200 and _slot(api, at) == {"at": at, "places": 1, "taken": 2, "free": 0}


@pytest.mark.usefixtures("serial_dynamodb")
def test_fifty_bookings_racing_for_ten_places_book_exactly_ten(api: Api, container: Container) -> None:
    open_counter(container, places=10)
    at = f"{counter_day(3).isoformat()}T09:00"
    cases = [_complete(api)["id"] for _ in range(50)]

    def book(case_id: str) -> tuple[int, str]:
        status, answer = api("post", f"/api/cases/{case_id}/appointment", {"at": at})
        return status, "booked" if status == 200 else answer["error"]["code"]

    with ThreadPoolExecutor(max_workers=25) as pool:
        outcomes = list(pool.map(book, cases))
    assert outcomes.count((200, "booked")) == 10
    assert outcomes.count((422, "slot_unavailable")) == 40, outcomes
    assert _slot(api, at)["taken"] == 10
    booked = [c for c in cases if (api("get", f"/api/cases/{c}")[1]["appointment"] or {}).get("at") == at]
    assert len(booked) == 10  # no case thinks it has a place it does not hold


def test_the_counters_day_and_the_visit_attended_or_missed(
    api: Api, container: Container, gateway: FakeGateway
) -> None:
    open_counter(container)
    day = counter_day(3)
    came, missed = _complete(api), _complete(api)
    api("post", f"/api/cases/{came['id']}/appointment", {"at": f"{day.isoformat()}T09:00"})
    api("post", f"/api/cases/{missed['id']}/appointment", {"at": f"{day.isoformat()}T09:30"})
    status, listing = api("get", f"/api/calendar/day?date={day.isoformat()}")
    assert status == 200 and [(v["at"][11:], v["case"]["id"]) for v in listing["visits"]] == [
        ("09:00", came["id"]),
        ("09:30", missed["id"]),
    ]
    status, answer = api("patch", f"/api/cases/{came['id']}/appointment", {"attended": True})
    assert status == 200 and answer["case"]["status"] == "at_counter"
    assert answer["case"]["appointment"]["attended"] is True
    _open_window(container)
    status, answer = api("patch", f"/api/cases/{missed['id']}/appointment", {"attended": False})
    assert status == 200 and answer["case"]["status"] == "complete" and answer["case"]["appointment"] is None
    offer = gateway.sent[-1].content
    assert isinstance(offer, ListMenu) and offer.body.startswith(
        translate("notice.visit_missed", "en", date=format_date(day, "en", "full"), time=format_time("09:30", "en"))
    )
    assert api("patch", f"/api/cases/{missed['id']}/appointment", {"attended": True})[1]["error"]["code"] == (
        "no_appointment"
    )


def test_completing_the_checklist_offers_the_free_times(api: Api, container: Container, gateway: FakeGateway) -> None:
    open_counter(container)
    _open_window(container)
    case = _register(api)
    for code in [m["items"][0] for m in case["missing"]]:
        api("patch", f"/api/cases/{case['id']}/checklist/{code}", {"at_counter": True})
    offer = gateway.sent[-1].content
    assert isinstance(offer, ListMenu) and 1 <= len(offer.sections[0].rows) <= 10
    assert all(row.id.startswith("slot.") and len(row.title) <= 24 for row in offer.sections[0].rows)
    assert json.dumps(offer.sections[0].rows[0].title, ensure_ascii=False)  # the day in the applicant's language


def test_the_public_waiting_times_name_the_next_free_counter_slot(
    api: Api, container: Container, client: Client
) -> None:
    from chalicelib import handlers

    handlers.refresh_waiting_times()
    assert json.loads(client.http.get("/info/waiting-times?lang=en").body)["next_free_slot"] is None  # no hours
    open_counter(container)
    handlers.refresh_waiting_times()
    answer = json.loads(client.http.get("/info/waiting-times?lang=en").body)
    first = api("get", "/api/calendar/slots")[1]["slots"][0]["at"]
    assert answer["next_free_slot"] == first
    page = client.http.get("/info/waiting-times?lang=ar", headers={"Accept": "text/html"}).body.decode()
    assert translate("info.html.next_free", "ar", date="").split("{")[0][:10] in page
    assert format_date(datetime.fromisoformat(first), "ar", "full") in page  # the weekday and date in Arabic
