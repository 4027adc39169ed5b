"""The counter visit in the chat: free times offered in the applicant's language, picked, moved, cancelled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import Container
from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.calendar import WEEKDAYS, parse_slot_key
from chalicelib.domain.outbound import Buttons, ListMenu, Template, Text
from chalicelib.i18n import translate
from chalicelib.i18n.formats import format_date, format_time, weekday_name
from tests.fakes import FakeGateway
from tests.functional.test_conversation import PHONE, Phone
from tests.functional.test_workspace import Api
from tests.functional.test_workspace import api as api  # noqa: PLC0414 - the fixture
from tests.support import counter_day, open_counter

pytestmark = pytest.mark.usefixtures("container")


@pytest.fixture
def phone(client: Client, gateway: FakeGateway) -> Phone:
    return Phone(client, gateway)


def _complete_case(api: Api, phone: Phone, language: str) -> dict[str, Any]:
    """A case for the phone's applicant, who has chosen their language; then every item left for the counter."""
    body = {
        "procedure": "rinnovo",
        "permit_type": "studio",
        "applicant": {"phone": f"+{PHONE}", "name": "Layla", "language": language},
    }
    case: dict[str, Any] = api("post", "/api/cases", body)[1]["case"]
    phone.text("hello")
    phone.choose(f"lang.{language}")
    for code in [m["items"][0] for m in case["missing"]]:
        api("patch", f"/api/cases/{case['id']}/checklist/{code}", {"at_counter": True})
    return case


def _window(container: Container) -> None:
    container.applicants.record_inbound(ApplicantRef(wa_id=PHONE), None, 4_000_000_000, 0)


def _button(phone: Phone, button_id: str) -> list[Any]:
    reply = {"type": "button_reply", "button_reply": {"id": button_id, "title": "x"}}
    return phone.send({"type": "interactive", "interactive": reply})


def test_an_arabic_applicant_picks_a_time_in_the_list_and_gets_the_confirmation(
    api: Api, phone: Phone, container: Container, gateway: FakeGateway
) -> None:
    open_counter(container, places=2)
    _window(container)
    case = _complete_case(api, phone, "ar")
    offer = gateway.sent[-1].content
    assert isinstance(offer, ListMenu) and offer.button == translate("conv.visit.button", "ar")
    rows = offer.sections[0].rows
    assert 1 <= len(rows) <= 10
    first = parse_slot_key(rows[0].id.removeprefix("slot."))
    assert first is not None and rows[0].title.startswith(weekday_name(WEEKDAYS[first.weekday()], "ar"))
    assert rows[0].title.endswith(format_time(first, "ar")) and len(rows[0].title) <= 24

    [confirmation] = phone.choose(rows[0].id)
    assert isinstance(confirmation, Text)
    assert format_date(first, "ar", "full") in confirmation.body and format_time(first, "ar") in confirmation.body
    assert translate("document.passport.title", "ar") in confirmation.body  # what to bring
    booked = api("get", f"/api/cases/{case['id']}")[1]
    assert booked["status"] == "appointment_booked" and booked["appointment"]["at"] == rows[0].id[5:]
    day = rows[0].id[5:15]
    slots = api("get", f"/api/calendar/slots?from={day}&to={day}")[1]["slots"]
    assert next(s for s in slots if s["at"] == rows[0].id[5:])["taken"] == 1
    assert phone.choose(rows[0].id)[0].body == confirmation.body  # the same choice again: booked once


def test_a_time_taken_meanwhile_gets_the_next_free_ones_never_an_error(
    api: Api, phone: Phone, container: Container, gateway: FakeGateway
) -> None:
    open_counter(container, places=1)
    _window(container)
    _complete_case(api, phone, "en")
    rows = gateway.sent[-1].content.sections[0].rows
    other = api(
        "post",
        "/api/cases",
        {"procedure": "rinnovo", "permit_type": "studio", "applicant": {"phone": "+393339999999", "name": "B"}},
    )[1]["case"]
    for code in [m["items"][0] for m in other["missing"]]:
        api("patch", f"/api/cases/{other['id']}/checklist/{code}", {"at_counter": True})
    assert api("post", f"/api/cases/{other['id']}/appointment", {"at": rows[0].id[5:]})[0] == 200
    [again] = phone.choose(rows[0].id)
    assert isinstance(again, ListMenu) and again.body.startswith(translate("conv.visit.taken", "en"))
    assert rows[0].id not in {row.id for row in again.sections[0].rows}


def test_the_applicant_sees_moves_and_cancels_their_visit(
    api: Api, phone: Phone, container: Container, gateway: FakeGateway
) -> None:
    open_counter(container)
    _window(container)
    case = _complete_case(api, phone, "en")
    rows = gateway.sent[-1].content.sections[0].rows
    phone.choose(rows[0].id)
    [current] = phone.text("appointment")
    assert isinstance(current, Buttons) and [b.id for b in current.buttons] == ["visit.move", "visit.cancel"]
    [times] = _button(phone, "visit.move")
    assert isinstance(times, ListMenu)
    [moved] = phone.choose(times.sections[0].rows[1].id)
    first = parse_slot_key(rows[0].id[5:])
    assert first is not None and isinstance(moved, Text)
    assert (
        translate(
            "notice.appointment_replaced",
            "en",
            old_date=format_date(first, "en", "full"),
            old_time=format_time(first, "en"),
        )
        in moved.body
    )
    assert _button(phone, "visit.cancel") == [Text(translate("conv.visit.cancelled", "en"))]
    after = api("get", f"/api/cases/{case['id']}")[1]
    assert after["status"] == "complete" and after["appointment"] is None
    timeline = [e["kind"] for e in after["timeline"]]
    assert timeline.count("appointment_booked") == 2 and "appointment_cancelled" in timeline


def test_too_close_to_the_visit_it_cannot_be_changed_in_the_chat(
    api: Api, phone: Phone, container: Container, gateway: FakeGateway, officer_token: Callable[..., str]
) -> None:
    open_counter(container)
    _window(container)
    case = _complete_case(api, phone, "en")
    visit = counter_day(1)
    api("post", f"/api/cases/{case['id']}/appointment", {"at": f"{visit.isoformat()}T17:30"})
    calendar = container.calendar_deps.store.get("AN")
    assert calendar is not None
    from dataclasses import replace

    container.calendar_deps.store.save(replace(calendar, change_hours=24 * 14))
    [current] = phone.text("appointment")
    assert isinstance(current, Text)  # no buttons: too late to change here
    assert _button(phone, "visit.cancel") == [Text(translate("conv.visit.too_late", "en", hours=str(24 * 14)))]


def test_outside_the_window_the_offer_is_a_template_whose_button_asks_for_the_list(
    api: Api, phone: Phone, container: Container, gateway: FakeGateway
) -> None:
    open_counter(container)
    case = _complete_case(api, phone, "fr")  # the recorded payloads' 2025 timestamps: the window is closed
    offer = gateway.sent[-1].content
    assert isinstance(offer, Template) and offer.name == "sportello_scegli_appuntamento"
    assert offer.quick_reply_payload == "visit.choose" and offer.body_parameters == (case["id"],)
    template_reply = {"type": "button", "button": {"payload": "visit.choose", "text": "Choisir"}}
    [times] = phone.send(template_reply)
    assert isinstance(times, ListMenu) and times.button == translate("conv.visit.button", "fr")


def test_before_the_documents_are_complete_the_command_says_what_to_do(api: Api, phone: Phone) -> None:
    body = {"procedure": "rinnovo", "permit_type": "studio", "applicant": {"phone": f"+{PHONE}", "language": "es"}}
    api("post", "/api/cases", {**body, "applicant": {**body["applicant"], "name": "Ana"}})
    phone.text("hola")
    phone.choose("lang.es")
    assert phone.text("cita") == [Text(translate("conv.visit.not_ready", "es"))]
