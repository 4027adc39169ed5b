"""Several numbers in one business account (issue 15): the phone writes to any of them, the app sends from each
office's, and statuses, read receipts and media keep to the number a message went through."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from devtools.simulator.app import create_app
from devtools.simulator.config import SimulatorConfig
from devtools.simulator.state import state_of
from tests.simulator.conftest import AUTH, PHONE, WA_ID, FakeClock, Receiver, Sim, text

MAIN = "100000000000001"
SECOND = "100000000000002"  # another office's number, known to the app
STRANGER = "100000000000099"  # a number of the account that is no office's


@pytest.fixture
def two_numbers(config: SimulatorConfig, clock: FakeClock, receiver: Receiver) -> Iterator[Sim]:
    app = create_app(SimulatorConfig(**{**config.__dict__, "other_phone_number_ids": (SECOND,)}), clock)
    harness = Sim(app.test_client(), state_of(app), clock, receiver)
    yield harness
    harness.state.wait_idle(5)


def test_the_numbers_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", MAIN)
    monkeypatch.delenv("WHATSAPP_OTHER_PHONE_NUMBER_IDS", raising=False)
    assert SimulatorConfig.from_env().phone_number_ids == (MAIN,)
    monkeypatch.setenv("WHATSAPP_OTHER_PHONE_NUMBER_IDS", f"{SECOND}, {MAIN},")
    assert SimulatorConfig.from_env().phone_number_ids == (MAIN, SECOND)


@pytest.mark.parametrize("number", [SECOND, STRANGER])
def test_the_phone_writes_to_any_number_of_the_account(two_numbers: Sim, number: str) -> None:
    result = two_numbers.inbound(text="Buongiorno", phone_number_id=number)
    assert result["phone_number_id"] == number
    [received] = two_numbers.receiver.wait_for(1)
    [value] = received.values()
    assert value["metadata"]["phone_number_id"] == number
    assert value["metadata"]["display_phone_number"] != "390712288000"  # not the main number's


def test_by_default_the_phone_writes_to_the_main_number(two_numbers: Sim) -> None:
    assert two_numbers.inbound(text="Buongiorno")["phone_number_id"] == MAIN


def test_a_number_id_is_digits(two_numbers: Sim) -> None:
    assert "phone_number_id" in two_numbers.inbound(400, text="x", phone_number_id="+39 0733")["error"]


def test_the_app_sends_from_its_numbers_only_and_statuses_name_the_number(two_numbers: Sim) -> None:
    two_numbers.inbound(text="ciao", phone_number_id=SECOND)
    response = two_numbers.client.post(f"/v25.0/{SECOND}/messages", json=text(), headers=AUTH)
    assert response.status_code == 200, response.json
    two_numbers.wait_idle()
    statuses = two_numbers.receiver.status_webhooks()
    assert statuses and {r.values()[0]["metadata"]["phone_number_id"] for r in statuses} == {SECOND}
    [entry] = two_numbers.client.get(f"/_simulator/messages?to={WA_ID}").json
    assert entry["phone_number_id"] == SECOND
    refused = two_numbers.client.post(f"/v25.0/{STRANGER}/messages", json=text(to=PHONE), headers=AUTH)
    assert refused.status_code == 400 and refused.json["error"]["code"] == 100


def test_read_receipts_and_media_only_through_the_number_written_to(two_numbers: Sim) -> None:
    pdf = base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()
    result = two_numbers.inbound(file={"base64": pdf, "filename": "a.pdf"}, phone_number_id=SECOND)
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": result["wamid"]}
    assert two_numbers.client.post(f"/v25.0/{MAIN}/messages", json=read, headers=AUTH).status_code == 400
    assert two_numbers.client.post(f"/v25.0/{SECOND}/messages", json=read, headers=AUTH).status_code == 200
    media = f"/v25.0/{result['media_id']}?phone_number_id="
    assert two_numbers.client.get(media + MAIN, headers=AUTH).status_code != 200
    assert two_numbers.client.get(media + SECOND, headers=AUTH).status_code == 200
