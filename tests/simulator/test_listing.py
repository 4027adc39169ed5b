"""Listings for tests and debugging, and the configuration read from the environment."""

from __future__ import annotations

import json

import pytest

from devtools.simulator.config import SimulatorConfig
from devtools.simulator.identity import bsuid_for_phone
from tests.simulator.conftest import WA_ID, Sim, template, text

OTHER = "+39 347 0000001"


def test_messages_filtered_by_recipient_in_any_form(sim: Sim) -> None:
    sim.inbound(user_id="IT.77", text="ciao")
    sim.send(template())
    sim.send(template(to=OTHER))
    sim.send({"messaging_product": "whatsapp", "recipient": "IT.77", "type": "text", "text": {"body": "Ok"}})
    sim.send(template(to="393331234567"))
    listed = sim.client.get("/_simulator/messages").json
    assert [e["index"] for e in listed] == [0, 1, 2, 3]
    for who in ("+39 333 1234567", WA_ID, bsuid_for_phone(WA_ID)):
        assert [e["index"] for e in sim.client.get("/_simulator/messages", query_string={"to": who}).json] == [0, 3]
    assert [e["index"] for e in sim.client.get("/_simulator/messages?to=IT.77").json] == [2]
    assert sim.client.get("/_simulator/messages?to=IT.77").json[0]["recipient"] == "IT.77"


def test_messages_since_index_or_time(sim: Sim) -> None:
    sim.send(template())
    sim.clock.advance(60)
    sim.send(template())
    second_time = sim.client.get("/_simulator/messages").json[1]["time"]
    sim.clock.advance(60)
    sim.send(template())
    assert [e["index"] for e in sim.client.get("/_simulator/messages?since=1").json] == [1, 2]
    by_time = sim.client.get("/_simulator/messages", query_string={"since": second_time}).json
    assert [e["index"] for e in by_time] == [1, 2]
    assert sim.client.get("/_simulator/messages?since=yesterday").status_code == 400


def test_webhook_log_lists_deliveries_with_the_apps_answers(sim: Sim) -> None:
    wamid = sim.inbound(text="ciao")["wamid"]
    sim.send(text())
    sim.wait_idle()
    log = sim.client.get("/_simulator/webhooks").json
    assert [r["kind"] for r in log] == ["inbound", "status:sent", "status:delivered", "status:read"]
    assert log[0]["ids"] == [wamid]
    assert log[0]["status"] == 200
    assert log[0]["response"] == "ok"
    assert log[0]["payload"]["entry"][0]["changes"][0]["value"]["messages"][0]["id"] == wamid
    assert json.loads(log[0]["raw"]) == log[0]["payload"]
    assert [r["kind"] for r in sim.client.get("/_simulator/webhooks?kind=status&since=2").json] == [
        "status:delivered",
        "status:read",
    ]
    status = sim.client.get("/_simulator/status?wait_idle=1").json
    assert status["idle"] is True
    assert status["webhooks"] == 4


def test_config_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SIMULATOR_PORT",
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_ACCESS_TOKEN",
        "WHATSAPP_PHONE_NUMBER_ID",
        "WEBHOOK_URL",
        "UPLOAD_PAGE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    defaults = SimulatorConfig.from_env()
    assert defaults == SimulatorConfig()
    assert (defaults.host, defaults.port) == ("127.0.0.1", 8001)
    assert defaults.app_secret == "local-app-secret"
    assert defaults.access_token == "local-access-token"
    assert defaults.phone_number_id == "100000000000001"
    assert defaults.display_phone_number == "390712288000"
    assert defaults.webhook_url == "http://127.0.0.1:8000/webhook"
    assert defaults.url_button_base == "http://127.0.0.1:8000/u/"
    monkeypatch.setenv("SIMULATOR_PORT", "9100")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "s")
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "t")
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", "42")
    monkeypatch.setenv("WEBHOOK_URL", "http://127.0.0.1:9000/hook")
    monkeypatch.setenv("UPLOAD_PAGE_URL", "https://sportello.example/u/")
    config = SimulatorConfig.from_env()
    assert (config.port, config.app_secret, config.access_token) == (9100, "s", "t")
    assert (config.phone_number_id, config.webhook_url) == ("42", "http://127.0.0.1:9000/hook")
    assert config.url_button_base == "https://sportello.example/u/"
