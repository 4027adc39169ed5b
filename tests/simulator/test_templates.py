"""Templates with a dynamic URL button: validation, the preview, the listing's ``links``."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from devtools.simulator import schema
from devtools.simulator.app import create_app
from devtools.simulator.config import SimulatorConfig
from devtools.simulator.preview import links, preview
from devtools.simulator.state import state_of
from tests.simulator.conftest import UPLOAD_TOKEN as TOKEN
from tests.simulator.conftest import FakeClock, Receiver, Sim, buttons, documents_request, template, text

BASE = "http://127.0.0.1:8000/u/"


def with_quick_reply(body: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(body)
    quick = {
        "type": "button",
        "sub_type": "quick_reply",
        "index": "1",
        "parameters": [{"type": "payload", "payload": "ok"}],
    }
    body["template"]["components"].append(quick)
    return body


def test_the_apps_payload_is_valid_for_metas_schema() -> None:
    assert schema.validate_message(documents_request()) == []
    assert schema.validate_message(with_quick_reply(documents_request())) == []


def test_the_apps_payload_is_accepted_without_a_conversation(sim: Sim) -> None:
    response = sim.send(documents_request())  # a template needs no open customer-service window
    assert response.status_code == 200, response.json


@pytest.mark.parametrize(
    ("url_button", "count"),
    [
        ({"parameters": []}, 0),
        ({"parameters": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}, 2),
    ],
    ids=["no parameters", "two parameters"],
)
def test_url_button_needs_exactly_one_parameter_error_132000(sim: Sim, url_button: dict[str, Any], count: int) -> None:
    response = sim.send(documents_request(**url_button))
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == 132000
    assert error["message"] == "(#132000) Number of parameters does not match the expected number of params"
    assert error["error_data"]["details"] == (
        f"button: number of localizable_params ({count}) does not match the expected number of params (1)"
    )
    assert sim.client.get("/_simulator/messages").json == []


def test_url_button_without_parameters_key_is_error_132000(sim: Sim) -> None:
    body = documents_request()
    del body["template"]["components"][1]["parameters"]
    response = sim.send(body)
    assert response.status_code == 400
    assert response.json["error"]["code"] == 132000


def test_preview_resolves_url_buttons_and_shows_quick_replies() -> None:
    body = with_quick_reply(documents_request())
    assert preview(body, url_base=BASE) == (
        f"[template sportello_documenti_richiesti/en] ABC123 | Passport, Payslip [link] {BASE}{TOKEN} [button ok]"
    )
    assert preview(body) == (
        f"[template sportello_documenti_richiesti/en] ABC123 | Passport, Payslip [link] {TOKEN} [button ok]"
    )
    assert preview(template(), url_base=BASE) == "[template promemoria_documenti/it] Mario"  # unchanged


def test_links_of_templates_texts_and_others() -> None:
    assert links(documents_request(), url_base=BASE) == [BASE + TOKEN]
    assert links(with_quick_reply(documents_request()), url_base=BASE) == [BASE + TOKEN]
    assert links(template(), url_base=BASE) == []
    body = "Carica qui: https://sportello.example/u/abc. Oppure (http://127.0.0.1:8000/u/x?y=1), grazie"
    assert links(text(body=body)) == ["https://sportello.example/u/abc", "http://127.0.0.1:8000/u/x?y=1"]
    assert links(text(body="nessun link, www.example.com")) == []
    assert links(buttons(["Sì"])) == []
    assert links("not json") == []


def test_listing_shows_the_resolved_links_next_to_the_preview(sim: Sim) -> None:
    sim.inbound(text="ciao")
    sim.send(documents_request())
    sim.send(text(body="Apri https://sportello.example/u/abc"))
    sim.send(buttons(["Sì", "No"]))
    listed = sim.client.get("/_simulator/messages").json
    assert [e["links"] for e in listed] == [[BASE + TOKEN], ["https://sportello.example/u/abc"], []]
    assert listed[0]["preview"].endswith(f"[link] {BASE}{TOKEN}")
    assert {"index", "body", "preview", "result", "wamid", "time", "type", "accepted"} <= set(listed[0])


@pytest.fixture
def sim_with_base(config: SimulatorConfig, clock: FakeClock, receiver: Receiver) -> Iterator[Sim]:
    app = create_app(SimulatorConfig(**{**config.__dict__, "url_button_base": "https://sportello.example/u/"}), clock)
    harness = Sim(app.test_client(), state_of(app), clock, receiver)
    yield harness
    harness.state.wait_idle(5)


def test_listing_uses_the_configured_base(sim_with_base: Sim) -> None:
    sim_with_base.send(documents_request())
    [entry] = sim_with_base.client.get("/_simulator/messages").json
    assert entry["links"] == [f"https://sportello.example/u/{TOKEN}"]
    assert entry["preview"].endswith(f"[link] https://sportello.example/u/{TOKEN}")
