"""Graph side: auth, ids, schema validation, success shapes, mark-as-read, outbox."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulator.conftest import (
    AUTH,
    MESSAGES,
    PHONE,
    WA_ID,
    Sim,
    buttons,
    list_message,
    template,
    text,
)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-access-token"}])
def test_missing_or_wrong_token_is_error_190(sim: Sim, headers: dict[str, str]) -> None:
    sim.inbound(text="ciao")
    response = sim.send(text(), headers=headers)
    assert response.status_code == 401
    error = response.json["error"]
    assert error["code"] == 190
    assert error["type"] == "OAuthException"
    assert error["message"]
    assert error["fbtrace_id"]


def test_unknown_phone_number_id_is_error_100(sim: Sim) -> None:
    response = sim.client.post("/v25.0/999/messages", json=text(), headers=AUTH)
    assert response.status_code == 400
    assert response.json["error"]["code"] == 100
    assert "999" in response.json["error"]["message"]


@pytest.mark.parametrize("version", ["v23.0", "v25.0", "v26.0"])
def test_any_graph_version_is_served(sim: Sim, version: str) -> None:
    sim.inbound(text="ciao")
    response = sim.client.post(f"/{version}/100000000000001/messages", json=text(), headers=AUTH)
    assert response.status_code == 200, response.json


def test_success_shape_for_a_phone_recipient(sim: Sim) -> None:
    sim.inbound(text="ciao")
    response = sim.send(text())
    assert response.status_code == 200
    assert response.json["messaging_product"] == "whatsapp"
    assert response.json["contacts"] == [{"input": PHONE, "wa_id": WA_ID}]
    [message] = response.json["messages"]
    assert message["id"].startswith("wamid.")
    assert sim.send(text()).json["messages"][0]["id"] != message["id"]


def test_success_shape_for_a_bsuid_recipient(sim: Sim) -> None:
    sim.inbound(user_id="IT.555000111", text="ciao")
    body = {"messaging_product": "whatsapp", "recipient": "IT.555000111", "type": "text", "text": {"body": "Ok"}}
    response = sim.send(body)
    assert response.status_code == 200, response.json
    assert response.json["contacts"] == [{"input": "IT.555000111", "user_id": "IT.555000111"}]


VALID: dict[str, dict[str, Any]] = {
    "text": text() | {"text": {"body": "Ciao", "preview_url": False}},
    "text with callback data": text(biz_opaque_callback_data="case#C-2026-1", recipient_type="individual"),
    "reply to a message": text(context={"message_id": "wamid.x"}),
    "buttons": buttons(["Sì", "No"]),
    "list": list_message([[{"id": "r1", "title": "Rinnovo", "description": "Permesso in scadenza"}]]),
    "template": template(biz_opaque_callback_data="case#C-2026-2"),
    "template with quick reply button 0": template()
    | {
        "template": {
            "name": "conferma",
            "language": {"code": "it", "policy": "deterministic"},
            "components": [
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "0",
                    "parameters": [{"type": "payload", "payload": "si"}],
                }
            ],
        }
    },
    "document by id": {
        "messaging_product": "whatsapp",
        "to": PHONE,
        "type": "document",
        "document": {"id": "1", "filename": "a.pdf"},
    },
}


@pytest.mark.parametrize("body", VALID.values(), ids=VALID.keys())
def test_valid_messages_are_accepted(sim: Sim, body: dict[str, Any]) -> None:
    sim.inbound(text="ciao")
    response = sim.send(body)
    assert response.status_code == 200, response.json


INVALID = {
    "no to nor recipient": ({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}, "'to'"),
    "unknown property": (text(colour="red"), "'colour' was unexpected"),
    "unknown type": (text() | {"type": "fax"}, "'fax' is not one of"),
    "no type": ({"messaging_product": "whatsapp", "to": PHONE, "text": {"body": "x"}}, "'type' is a required"),
    "text without body": (text() | {"text": {"preview_url": True}}, "text['body']"),
    "text property typo": (text() | {"text": {"bodi": "x"}}, "'bodi' was unexpected"),
    "callback data too long": (text(biz_opaque_callback_data="x" * 513), "biz_opaque_callback_data"),
    "template parameter without text": (
        template()
        | {
            "template": {
                "name": "t",
                "language": {"code": "it"},
                "components": [{"type": "body", "parameters": [{"type": "text"}]}],
            }
        },
        "'text' is a required property",
    ),
    "template without language": (template() | {"template": {"name": "t"}}, "'language' is a required"),
    "image with id and link": (
        {"messaging_product": "whatsapp", "to": PHONE, "type": "image", "image": {"id": "1", "link": "https://x"}},
        "more than one",
    ),
    "wrong messaging product": (text(messaging_product="sms"), "messaging_product"),
    "to is not a phone": (text(to="IT.123"), "recipient"),
}


@pytest.mark.parametrize(("body", "needle"), INVALID.values(), ids=INVALID.keys())
def test_schema_violations_are_error_100_with_details(sim: Sim, body: dict[str, Any], needle: str) -> None:
    sim.inbound(text="ciao")
    response = sim.send(body)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == 100
    assert error["type"] == "OAuthException"
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert needle in error["error_data"]["details"]


def test_body_that_is_not_json_is_error_100(sim: Sim) -> None:
    response = sim.client.post(MESSAGES, data=b"{nope", headers=AUTH | {"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == 100


def test_mark_as_read_with_typing_indicator(sim: Sim) -> None:
    wamid = sim.inbound(text="ciao")["wamid"]
    body = {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": wamid,
        "typing_indicator": {"type": "text"},
    }
    response = sim.send(body)
    assert response.status_code == 200
    assert response.json == {"success": True}
    [entry] = [e for e in sim.client.get("/_simulator/messages?include=all").json if e["kind"] == "mark_read"]
    assert entry["body"]["message_id"] == wamid
    assert entry["accepted"]


@pytest.mark.parametrize(
    ("change", "needle"),
    [({"typing_indicator": {"type": "audio"}}, "typing_indicator"), ({"message_id": "wamid.unknown"}, "message_id")],
)
def test_mark_as_read_rejections(sim: Sim, change: dict[str, Any], needle: str) -> None:
    wamid = sim.inbound(text="ciao")["wamid"]
    response = sim.send({"messaging_product": "whatsapp", "status": "read", "message_id": wamid} | change)
    assert response.status_code == 400
    assert response.json["error"]["code"] == 100
    assert needle in response.json["error"]["error_data"]["details"]


def test_outbox_keeps_every_request_with_its_result(sim: Sim) -> None:
    sim.inbound(text="ciao")
    ok = sim.send(text(body="Benvenuto"))
    sim.send(text(colour="red"))
    sim.send(text(), headers={})
    listed = sim.client.get("/_simulator/messages").json
    assert [e["wamid"] for e in listed] == [ok.json["messages"][0]["id"]]
    assert listed[0]["body"]["text"]["body"] == "Benvenuto"
    assert listed[0]["result"] == ok.json
    assert listed[0]["preview"] == "Benvenuto"
    assert listed[0]["type"] == "text"
    assert listed[0]["time"].startswith("2026-")
    everything = sim.client.get("/_simulator/messages?include=all").json
    assert [e["http_status"] for e in everything] == [200, 400, 401]
    assert everything[1]["result"]["error"]["code"] == 100
