"""Phone side: the shape of inbound webhooks, their signature and escaping, and inbound errors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from devtools.simulator.config import SimulatorConfig
from devtools.simulator.identity import bsuid_for_phone
from tests.simulator.conftest import PHONE, SECRET, START, WA_ID, Sim, buttons, list_message

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def test_text_webhook_shape(sim: Sim, config: SimulatorConfig) -> None:
    result = sim.inbound(text="Buongiorno", name="Mario Rossi")
    assert result["webhook_status"] == 200
    assert result["deliveries"] == 1
    assert result["wa_id"] == WA_ID
    [received] = sim.receiver.wait_for(1)
    payload = received.payload
    assert payload["object"] == "whatsapp_business_account"
    [entry] = payload["entry"]
    assert entry["id"] == config.waba_id
    [change] = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {"display_phone_number": "390712288000", "phone_number_id": "100000000000001"}
    user_id = bsuid_for_phone(WA_ID)
    assert value["contacts"] == [{"profile": {"name": "Mario Rossi"}, "wa_id": WA_ID, "user_id": user_id}]
    assert value["messages"] == [
        {
            "from": WA_ID,
            "from_user_id": user_id,
            "id": result["wamid"],
            "timestamp": str(int(START)),
            "type": "text",
            "text": {"body": "Buongiorno"},
        }
    ]
    assert received.headers["Content-Type"] == "application/json"


def test_signature_is_over_the_exact_escaped_bytes(sim: Sim) -> None:
    sim.inbound(text="Perché? Vedi https://example.org/a @ufficio", name="Zoë")
    [received] = sim.receiver.wait_for(1)
    assert received.signature_valid
    assert received.raw.isascii()
    assert b"\\u00e9" in received.raw and b"\\u00eb" in received.raw
    assert b"https:\\/\\/example.org\\/a" in received.raw
    assert received.messages()[0]["text"]["body"] == "Perché? Vedi https://example.org/a @ufficio"
    reserialised = json.dumps(received.payload).encode()
    digest = hmac.new(SECRET.encode(), reserialised, hashlib.sha256).hexdigest()
    assert received.headers["X-Hub-Signature-256"] != "sha256=" + digest  # an app must hash raw bytes


def test_bsuid_is_deterministic_from_the_phone() -> None:
    assert bsuid_for_phone("393331234567") == bsuid_for_phone("393331234567")
    assert bsuid_for_phone("393331234567").startswith("IT.")
    assert bsuid_for_phone("447700900123").startswith("GB.")
    assert bsuid_for_phone("393331234567") != bsuid_for_phone("393331234568")


def test_phone_formatting_does_not_matter(sim: Sim) -> None:
    first = sim.inbound(**{"from": "+39 333 1234567", "text": "a"})
    second = sim.inbound(**{"from": "393331234567", "text": "b"})
    third = sim.inbound(**{"from": "+39 (333) 123-4567", "text": "c"})
    assert first["user_id"] == second["user_id"] == third["user_id"]


def test_image_file_from_a_path(sim: Sim, tmp_path: Path) -> None:
    path = tmp_path / "passaporto.png"
    path.write_bytes(PNG)
    result = sim.inbound(file={"path": str(path), "caption": "Pagina 1"})
    [message] = sim.receiver.wait_for(1)[0].messages()
    assert message["type"] == "image"
    assert message["image"] == {
        "caption": "Pagina 1",
        "mime_type": "image/png",
        "sha256": base64.b64encode(hashlib.sha256(PNG).digest()).decode(),
        "id": result["media_id"],
    }


def test_document_from_base64_guesses_the_mime_type(sim: Sim) -> None:
    data = b"%PDF-1.7 contratto"
    sim.inbound(file={"base64": base64.b64encode(data).decode(), "filename": "contratto di lavoro.pdf"})
    [message] = sim.receiver.wait_for(1)[0].messages()
    assert message["type"] == "document"
    document = message["document"]
    assert document["filename"] == "contratto di lavoro.pdf"
    assert document["mime_type"] == "application/pdf"
    assert document["sha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert "caption" not in document


def test_button_reply_points_at_the_last_interactive_message(sim: Sim) -> None:
    sim.inbound(text="ciao")
    sim.send(buttons(["Sì", "No"], body="Prima"))
    wamid = sim.send(buttons(["Sì", "No"], body="Seconda")).json["messages"][0]["id"]
    sim.inbound(button_reply={"id": "b1", "title": "No"})
    message = sim.receiver.wait_for_messages(2)[-1]
    assert message["type"] == "interactive"
    assert message["interactive"] == {"type": "button_reply", "button_reply": {"id": "b1", "title": "No"}}
    assert message["context"] == {"from": "390712288000", "id": wamid}


def test_list_reply_with_description(sim: Sim) -> None:
    sim.inbound(text="ciao")
    body = list_message([[{"id": "rinnovo", "title": "Rinnovo", "description": "In scadenza"}]])
    wamid = sim.send(body).json["messages"][0]["id"]
    sim.inbound(list_reply={"id": "rinnovo", "title": "Rinnovo", "description": "In scadenza"})
    message = sim.receiver.wait_for_messages(2)[-1]
    assert message["interactive"] == {
        "type": "list_reply",
        "list_reply": {"id": "rinnovo", "title": "Rinnovo", "description": "In scadenza"},
    }
    assert message["context"]["id"] == wamid


def test_username_user_without_phone(sim: Sim) -> None:
    result = sim.inbound(user_id="IT.987654321", name="mario.r", text="ciao")
    assert result["wa_id"] is None
    value = sim.receiver.wait_for(1)[0].values()[0]
    assert value["contacts"] == [{"profile": {"name": "mario.r"}, "user_id": "IT.987654321"}]
    [message] = value["messages"]
    assert "from" not in message
    assert message["from_user_id"] == "IT.987654321"


def test_raw_message_is_sent_as_given(sim: Sim) -> None:
    raw = {"type": "sticker", "sticker": {"mime_type": "image/webp", "sha256": "x", "id": "77", "animated": False}}
    result = sim.inbound(raw_message=raw)
    [message] = sim.receiver.wait_for(1)[0].messages()
    assert message["sticker"] == raw["sticker"]
    assert message["type"] == "sticker"
    assert message["id"] == result["wamid"]
    assert message["from"] == WA_ID


@pytest.mark.parametrize(
    "request_body",
    [
        {"from": PHONE},
        {"from": PHONE, "text": "a", "button_reply": {"id": "1", "title": "x"}},
        {"text": "nobody"},
        {"from": "no digits", "text": "a"},
        {"from": PHONE, "file": {"path": "/nonexistent/file.pdf"}},
        {"from": PHONE, "file": {"base64": "***"}},
        {"from": PHONE, "raw_message": {"no": "type"}},
    ],
)
def test_malformed_inbound_requests_are_400(sim: Sim, request_body: dict[str, object]) -> None:
    response = sim.client.post("/_simulator/inbound", json=request_body)
    assert response.status_code == 400
    assert response.json["error"]


def test_non_200_from_the_app_is_reported_not_retried(sim: Sim) -> None:
    sim.receiver.status = 500
    result = sim.inbound(text="ciao")
    assert result["webhook_status"] == 500
    log = sim.client.get("/_simulator/webhooks").json
    assert [(r["kind"], r["status"]) for r in log] == [("inbound", 500)]
    assert log[0]["ids"] == [result["wamid"]]
    assert log[0]["attempts"] == 1  # an HTTP answer is never retried
    assert len(sim.receiver.received) == 1


def test_unreachable_app_is_reported(sim: Sim) -> None:
    sim.configure(webhook_url="http://127.0.0.1:9/webhook")
    result = sim.inbound(text="ciao")
    assert result["webhook_status"] is None
    [record] = sim.client.get("/_simulator/webhooks").json
    assert record["error"]
    assert record["attempts"] == 3  # no HTTP answer at all: the connection is tried again, briefly
