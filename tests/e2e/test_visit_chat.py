"""The counter visit booked in the chat, in Arabic, on the real local system (simulator, moto, event runner).

An officer completes an Arabic-speaking applicant's checklist; the phone receives the free times as a list (the
weekday in Arabic, the office's clock); the applicant taps one and receives the confirmation with the originals to
bring; the case shows the appointment and the slot's free places drop by one.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import requests

from chalicelib.domain.calendar import WEEKDAYS, parse_slot_key
from chalicelib.i18n import translate
from chalicelib.i18n.formats import format_date, format_time, weekday_name
from tests.e2e.conftest import LocalSystem
from tests.e2e.test_officer_journey import Officer, Phone, text_containing

pytestmark = pytest.mark.e2e


def _list(message: dict[str, Any]) -> bool:
    return message["type"] == "interactive" and message["body"]["interactive"]["type"] == "list"


def test_an_arabic_applicant_books_the_counter_visit_in_the_chat(local_system: LocalSystem) -> None:
    number = f"+39335{secrets.randbelow(9_000_000) + 1_000_000}"
    officer = Officer(local_system, "AN", "officer", "an.officer")
    phone = Phone(local_system, number)
    body = {
        "procedure": "rinnovo",
        "permit_type": "studio",
        "applicant": {"phone": number, "name": "ليلى", "language": "ar"},
    }
    status, answer = officer.call("post", "/api/cases", body)
    assert status == 201, answer
    case = answer["case"]
    start = phone.last_index()
    phone.write("مرحبا")
    phone.wait_for(start, _list)  # the language menu
    start = phone.last_index()
    reply = {"from": number, "list_reply": {"id": "lang.ar", "title": "العربية"}}
    assert requests.post(f"{local_system.simulator}/_simulator/inbound", json=reply, timeout=30).ok
    phone.wait_for(start, lambda m: m["type"] in ("text", "interactive"))

    start = phone.last_index()
    for code in [m["items"][0] for m in case["missing"]]:
        status, answer = officer.call("patch", f"/api/cases/{case['id']}/checklist/{code}", {"at_counter": True})
        assert status == 200, answer
    assert answer["case"]["status"] == "complete"
    offer = phone.wait_for(start, _list)
    interactive = offer["body"]["interactive"]
    assert interactive["action"]["button"] == translate("conv.visit.button", "ar")
    row = interactive["action"]["sections"][0]["rows"][0]
    at = parse_slot_key(row["id"].removeprefix("slot."))
    assert at is not None and row["title"].startswith(weekday_name(WEEKDAYS[at.weekday()], "ar"))
    day = at.date().isoformat()
    before = next(s for s in officer.call("get", f"/api/calendar/slots?from={day}&to={day}")[1]["slots"]
                  if s["at"] == row["id"][5:])  # fmt: skip

    start = phone.last_index()
    pick = {"from": number, "list_reply": {"id": row["id"], "title": row["title"]}}
    assert requests.post(f"{local_system.simulator}/_simulator/inbound", json=pick, timeout=30).ok
    phone.wait_for(
        start,
        text_containing(
            format_date(at, "ar", "full"), format_time(at, "ar"), translate("document.passport.title", "ar")
        ),
    )
    status, booked = officer.call("get", f"/api/cases/{case['id']}")
    assert booked["status"] == "appointment_booked" and booked["appointment"]["at"] == row["id"][5:]
    after = next(s for s in officer.call("get", f"/api/calendar/slots?from={day}&to={day}")[1]["slots"]
                 if s["at"] == row["id"][5:])  # fmt: skip
    assert after["free"] == before["free"] - 1
