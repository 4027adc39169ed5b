"""One deployment, several offices' WhatsApp numbers (issue 15): a message is the office's whose number it was sent
to and is answered from that number; a number that is no office's is quarantined and never answered."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from chalice.test import Client

from chalicelib.adapters.dynamo.models import InboundModel, QuarantineModel
from chalicelib.bootstrap import office_number
from chalicelib.domain.outbound import ListMenu, Text
from chalicelib.offices import office
from tests.fakes import FakeGateway
from tests.functional.test_conversation import PHONE, Phone
from tests.support import load_event, signed

MC_NUMBER = "100000000000002"  # Macerata's own number (offices.json)
CONFIGURED = "106540352242922"  # the WhatsApp secret's (tests/conftest.py): Ancona's, which has none of its own


def _payload(to: str, message: dict[str, Any], serial: int) -> dict[str, Any]:
    payload = copy.deepcopy(load_event("message_text"))
    value = payload["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = to
    value["contacts"][0]["wa_id"] = PHONE
    base = {"from": PHONE, "from_user_id": f"IT.{PHONE}", "timestamp": "1764100000"}
    value["messages"] = [{**base, "id": f"wamid.office.{serial}", **message}]
    return payload


class OfficePhone(Phone):
    """The applicant writing to one business number."""

    def __init__(self, client: Client, gateway: FakeGateway, to: str) -> None:
        super().__init__(client, gateway)
        self.to, self.serial = to, 0

    def send(self, message: dict[str, Any], redeliver: bool = False) -> list[Any]:
        self.serial += 1
        return self.post(_payload(self.to, message, self.serial), redeliver)


def _bodies(replies: list[Any]) -> str:
    return "\n".join(r.body for r in replies if isinstance(r, (Text, ListMenu)))


def test_a_message_to_the_second_offices_number_is_that_offices_and_answered_from_it(
    client: Client, gateway: FakeGateway
) -> None:
    phone = OfficePhone(client, gateway, MC_NUMBER)
    [menu] = phone.text("Buongiorno")
    assert isinstance(menu, ListMenu)
    stored = InboundModel.get(f"wa#{PHONE}", "wamid.office.1")
    assert (stored.office, stored.phone_number_id) == ("MC", MC_NUMBER)
    contacts = _bodies([*phone.choose("lang.en"), *phone.choose("info.contacts")])
    assert office("MC").name in contacts and "071 2288482" not in contacts  # Macerata's, not Ancona's
    assert {m.office for m in gateway.sent} == {"MC"}  # every reply leaves from Macerata's number…
    assert office_number("MC") == MC_NUMBER  # …which is this one
    assert gateway.read_through == [MC_NUMBER] * 3  # read receipts through the number written to


def test_a_message_to_the_configured_number_is_the_default_offices_as_before(
    client: Client, gateway: FakeGateway
) -> None:
    phone = OfficePhone(client, gateway, CONFIGURED)
    phone.text("Buongiorno")
    assert InboundModel.get(f"wa#{PHONE}", "wamid.office.1").office == "AN"
    assert "071 2288482" in _bodies([*phone.choose("lang.en"), *phone.choose("info.contacts")])
    assert {m.office for m in gateway.sent} == {"AN"} and office_number("AN") is None  # the configured number


def test_a_message_to_a_number_that_is_no_offices_is_quarantined_and_never_answered(
    client: Client, gateway: FakeGateway
) -> None:
    body, headers = signed(_payload("100000000000099", {"type": "text", "text": {"body": "Ciao"}}, 1))
    assert client.http.post("/webhook", headers=headers, body=body).status_code == 200
    assert list(InboundModel.scan()) == []  # nothing stored, so nothing processed or answered
    [record] = QuarantineModel.scan()
    assert record.reason == "unknown_phone_number" and "100000000000099" in (record.detail or "")
    assert gateway.sent == [] and gateway.read == []


def test_an_offices_case_is_written_to_from_that_offices_number(
    client: Client, gateway: FakeGateway, officer_token: Callable[..., str]
) -> None:
    body = {
        "procedure": "rinnovo",
        "permit_type": "studio",
        "applicant": {"phone": f"+{PHONE}", "name": "Amina", "language": "en"},
    }
    headers = {"Authorization": officer_token(office="MC"), "Content-Type": "application/json"}
    assert client.http.post("/api/cases", headers=headers, body=json.dumps(body)).status_code == 201
    [opening] = gateway.sent
    assert opening.office == "MC" and opening.is_template
