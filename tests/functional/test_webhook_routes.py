"""``GET/POST /webhook`` through the Chalice app: handshake, signature, idempotent storage, quarantine."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from chalicelib.adapters.dynamo.models import InboundModel, OutboundModel, QuarantineModel
from chalicelib.services.messages.ingest import ingest_webhook
from tests.support import event_names, load_event, meta_encode, signed

if TYPE_CHECKING:
    from chalice.test import Client

    from chalicelib.bootstrap import Container


def _post(client: Client, payload: object, secret: str = "test-app-secret") -> tuple[int, object]:
    body, headers = signed(payload, secret)
    response = client.http.post("/webhook", headers=headers, body=body)
    return response.status_code, response.body


def _stored() -> list[InboundModel]:
    return list(InboundModel.scan())  # a Scan in a test, to see everything


def test_the_handshake_echoes_the_challenge_as_plain_text(client: Client) -> None:
    response = client.http.get(
        "/webhook?hub.mode=subscribe&hub.verify_token=test-verify-token&hub.challenge=1158201444"
    )
    assert response.status_code == 200
    assert response.body == b"1158201444"
    assert response.headers["Content-Type"] == "text/plain"


@pytest.mark.parametrize(
    "query",
    [
        "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
        "hub.mode=unsubscribe&hub.verify_token=test-verify-token&hub.challenge=1",
        "hub.mode=subscribe&hub.challenge=1",
        "",
    ],
)
def test_the_handshake_refuses_anything_else(client: Client, query: str) -> None:
    assert client.http.get(f"/webhook?{query}" if query else "/webhook").status_code == 403


def test_an_unsigned_post_gets_401_and_stores_nothing(client: Client) -> None:
    response = client.http.post(
        "/webhook", headers={"Content-Type": "application/json"}, body=meta_encode(load_event("message_text"))
    )
    assert response.status_code == 401
    assert json.loads(response.body)["error"]["code"] == "invalid_signature"
    assert _stored() == []


def test_a_wrongly_signed_post_gets_401_and_stores_nothing(client: Client) -> None:
    status, _ = _post(client, load_event("message_text"), secret="someone-else")
    assert status == 401
    assert _stored() == [] and list(QuarantineModel.scan()) == []


@pytest.mark.parametrize("name", event_names("message_"))
def test_every_recorded_message_payload_is_acknowledged(client: Client, name: str) -> None:
    status, body = _post(client, load_event(name))
    assert (status, body) == (200, b"")
    [stored] = _stored()  # polls and other unsupported types too: they are answered that we cannot read them
    assert list(QuarantineModel.scan()) == []
    assert stored.wamid == load_event(name)["entry"][0]["changes"][0]["value"]["messages"][0]["id"]


@pytest.mark.parametrize("name", event_names("status_"))
def test_every_recorded_status_payload_is_acknowledged(client: Client, name: str) -> None:
    OutboundModel("ack.wamid.HBgMMzkzMzMxMjM0NTY3FQIAEhgg0001", state="accepted", wamid="wamid.OUT0000000042").save()
    assert _post(client, load_event(name))[0] == 200
    item = OutboundModel.get("ack.wamid.HBgMMzkzMzMxMjM0NTY3FQIAEhgg0001")
    assert item.status == load_event(name)["entry"][0]["changes"][0]["value"]["statuses"][0]["status"]


def test_signed_invalid_json_is_acknowledged_and_quarantined(client: Client) -> None:
    status, _ = _post(client, b"\xff\xfe not json")
    assert status == 200
    [record] = QuarantineModel.scan()
    assert record.reason == "invalid_json"


def test_a_signed_batch_with_one_malformed_item_keeps_the_good_ones(client: Client) -> None:
    payload = load_event("message_text")
    value = payload["entry"][0]["changes"][0]["value"]
    good = value["messages"][0]
    value["messages"] = [
        good,
        {"id": "wamid.bad", "type": "text", "timestamp": "1"},
        {**good, "id": "wamid.ok2"},
    ]

    assert _post(client, payload)[0] == 200

    assert sorted(i.wamid for i in _stored()) == sorted([good["id"], "wamid.ok2"])
    [record] = QuarantineModel.scan()
    assert (record.reason, record.location) == ("missing_field", "$.entry[0].changes[0].value.messages[1]")
    assert json.loads(record.item or "")["id"] == "wamid.bad"


def test_the_same_webhook_delivered_20_times_concurrently_is_stored_once(container: Container) -> None:
    body, headers = signed(load_event("message_text"))
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(
            pool.map(
                lambda _: ingest_webhook(body, headers["X-Hub-Signature-256"], container.ingest_deps),
                range(20),
            )
        )
    assert sum(r.stored for r in results) == 1
    assert sum(r.duplicates for r in results) == 19
    assert len(_stored()) == 1


def test_a_storage_failure_is_not_acknowledged_so_meta_retries(client: Client, container: Container) -> None:
    class BrokenInbound:
        def add(self, *_: object) -> bool:
            raise RuntimeError("dynamodb is down")

    container.__dict__["ingest_deps"] = replace(container.ingest_deps, inbound=BrokenInbound())  # type: ignore[arg-type]
    status, body = _post(client, load_event("message_text"))
    assert status == 500
    assert json.loads(body)["error"]["code"] == "store_failed"  # type: ignore[arg-type]


def test_a_status_for_an_outbound_message_we_never_sent_is_quarantined_and_creates_no_record(client: Client) -> None:
    forged = load_event("status_delivered")
    forged["entry"][0]["changes"][0]["value"]["statuses"][0]["biz_opaque_callback_data"] = "chat.never.sent.0"
    later = load_event("status_read")
    later["entry"][0]["changes"][0]["value"]["statuses"][0]["biz_opaque_callback_data"] = "chat.never.sent.0"

    assert [_post(client, forged)[0], _post(client, later)[0], _post(client, load_event("status_sent"))[0]] == [200] * 3

    assert list(OutboundModel.scan()) == []
    assert {q.reason for q in QuarantineModel.scan()} == {"unknown_outbound"}
    assert len(list(QuarantineModel.scan())) == 3


def test_items_out_of_range_for_storage_are_quarantined_and_the_batch_acknowledged(client: Client) -> None:
    payload = load_event("message_text")
    value = payload["entry"][0]["changes"][0]["value"]
    good = value["messages"][0]
    value["messages"] = [
        {**good, "id": "wamid." + "A" * 1_500},
        {**good, "id": "wamid.long.from", "from": "3" * 3_000},
        {**good, "id": "wamid.long.timestamp", "timestamp": "9" * 400},
        good,
    ]
    status = load_event("status_read")["entry"][0]["changes"][0]["value"]["statuses"][0]
    value["statuses"] = [{**status, "id": "wamid." + "B" * 3_000}, {**status, "timestamp": "9" * 400}]

    assert _post(client, payload) == (200, b"")

    assert [i.wamid for i in _stored()] == [good["id"]]
    reasons = sorted((q.location, q.reason) for q in QuarantineModel.scan())
    assert reasons == [
        ("$.entry[0].changes[0].value.messages[0]", "out_of_range"),
        ("$.entry[0].changes[0].value.messages[1]", "out_of_range"),
        ("$.entry[0].changes[0].value.messages[2]", "out_of_range"),
        ("$.entry[0].changes[0].value.statuses[0]", "out_of_range"),
        ("$.entry[0].changes[0].value.statuses[1]", "out_of_range"),
    ]
