"""Delivery switches (duplicate, hold/flush) and status webhooks after sends."""

from __future__ import annotations

import threading

from devtools.simulator.identity import bsuid_for_phone
from tests.simulator.conftest import WA_ID, Received, Sim, template, text


def test_duplicate_delivers_concurrently(sim: Sim) -> None:
    barrier = threading.Barrier(2, timeout=3)
    met: list[bool] = []

    def both_at_once(_: Received) -> None:
        barrier.wait()  # raises (and the test fails) unless both copies are in flight together
        met.append(True)

    sim.receiver.handler = both_at_once
    sim.configure(duplicate=2)
    result = sim.inbound(text="ciao")
    assert result["deliveries"] == 2
    assert result["webhook_statuses"] == [200, 200]
    first, second = sim.receiver.wait_for(2)
    assert met == [True, True]
    assert first.raw == second.raw
    assert first.signature_valid and second.signature_valid


def test_hold_then_flush_in_order(sim: Sim) -> None:
    sim.configure(hold=True)
    wamids = [sim.inbound(text=f"messaggio {n}")["wamid"] for n in range(3)]
    held = sim.inbound(text="ultimo")
    assert held["held"] is True
    assert held["webhook_status"] is None
    assert held["deliveries"] == 0
    wamids.append(held["wamid"])
    assert sim.receiver.received == []
    assert sim.client.get("/_simulator/status").json["held"] == 4
    flushed = sim.client.post("/_simulator/flush", json={"mode": "in_order"}).json
    assert flushed["flushed"] == 4
    assert [w["statuses"] for w in flushed["webhooks"]] == [[200]] * 4
    received = sim.receiver.wait_for(4)
    assert [r.messages()[0]["id"] for r in received] == wamids
    assert sim.client.get("/_simulator/status").json["held"] == 0


def test_flush_reverse(sim: Sim) -> None:
    sim.configure(hold=True)
    wamids = [sim.inbound(text=f"messaggio {n}")["wamid"] for n in range(3)]
    sim.client.post("/_simulator/flush", json={"mode": "reverse"})
    received = sim.receiver.wait_for(3)
    assert [r.messages()[0]["id"] for r in received] == wamids[::-1]
    assert all(r.signature_valid for r in received)


def test_flush_batch_merges_into_one_webhook(sim: Sim) -> None:
    sim.configure(hold=True)
    first = sim.inbound(text="uno")["wamid"]
    second = sim.inbound(**{"from": "+39 347 0000001", "text": "due"})["wamid"]
    third = sim.inbound(text="tre")["wamid"]
    flushed = sim.client.post("/_simulator/flush", json={"mode": "batch"}).json
    assert flushed["flushed"] == 3
    assert len(flushed["webhooks"]) == 1
    [received] = sim.receiver.wait_for(1)
    assert received.signature_valid
    [entry] = received.payload["entry"]
    assert len(entry["changes"]) == 3
    assert [m["id"] for m in received.messages()] == [first, second, third]
    assert [v["contacts"][0]["wa_id"] for v in received.values()] == [WA_ID, "393470000001", WA_ID]


def test_flush_rejects_unknown_modes(sim: Sim) -> None:
    assert sim.client.post("/_simulator/flush", json={"mode": "shuffle"}).status_code == 400


def test_status_webhooks_after_a_send(sim: Sim) -> None:
    sim.inbound(text="ciao", name="Mario")
    wamid = sim.send(text(biz_opaque_callback_data="case#C-7")).json["messages"][0]["id"]
    received = sim.receiver.wait_for(4)[1:]
    statuses = [r.statuses()[0] for r in received]
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"]
    for status, webhook in zip(statuses, received, strict=True):
        assert webhook.signature_valid
        assert status["id"] == wamid
        assert status["recipient_id"] == WA_ID
        assert status["recipient_user_id"] == bsuid_for_phone(WA_ID)
        assert status["biz_opaque_callback_data"] == "case#C-7"
        assert status["timestamp"].isdigit()
        assert webhook.values()[0]["contacts"][0]["profile"] == {"name": "Mario"}
    assert statuses[0]["pricing"]["category"] == "service"
    assert statuses[0]["pricing"]["pricing_model"] == "PMP"
    assert "pricing" in statuses[1]
    assert "pricing" not in statuses[2]


def test_statuses_without_callback_data_and_for_templates(sim: Sim) -> None:
    sim.configure(statuses=["read"])
    sim.send(template())
    sim.wait_idle()
    [webhook] = sim.receiver.wait_for(1)
    [status] = webhook.statuses()
    assert status["status"] == "read"
    assert "biz_opaque_callback_data" not in status
    assert status["pricing"]["category"] == "utility"


def test_statuses_switched_off(sim: Sim) -> None:
    sim.configure(statuses=[])
    sim.send(template())
    sim.wait_idle()
    assert sim.receiver.received == []


def test_fail_next_sends(sim: Sim) -> None:
    sim.configure(fail_next_sends={"code": 131026})
    sim.inbound(text="ciao")
    failing = sim.send(text(biz_opaque_callback_data="case#9"))
    assert failing.status_code == 200  # accepted; the failure arrives asynchronously
    sim.wait_idle()
    [webhook] = sim.receiver.status_webhooks()
    [status] = webhook.statuses()
    assert status["status"] == "failed"
    assert status["id"] == failing.json["messages"][0]["id"]
    assert status["biz_opaque_callback_data"] == "case#9"
    assert status["recipient_id"] == WA_ID
    assert "recipient_user_id" not in status  # failed send to a phone number
    assert "contacts" not in webhook.values()[0]
    [error] = status["errors"]
    assert error["code"] == 131026
    assert error["title"] == error["message"] == "Message undeliverable"
    assert error["error_data"]["details"]
    assert sim.client.get("/_simulator/config").json["fail_next_sends"] is None
    sim.send(text())
    sim.wait_idle()
    assert [w.statuses()[0]["status"] for w in sim.receiver.status_webhooks()][1:] == ["sent", "delivered", "read"]


def test_fail_next_sends_count(sim: Sim) -> None:
    sim.configure(fail_next_sends={"code": 131049, "count": 2}, statuses=["sent"])
    for _ in range(3):
        sim.send(template())
    sim.wait_idle()
    names = sorted(w.statuses()[0]["status"] for w in sim.receiver.status_webhooks())
    assert names == ["failed", "failed", "sent"]


def test_status_webhook_non_200_is_logged_not_retried(sim: Sim) -> None:
    sim.receiver.status = 503
    sim.configure(statuses=["sent", "read"])
    sim.send(template())
    assert sim.client.get("/_simulator/status?wait_idle=5").json["idle"] is True
    log = sim.client.get("/_simulator/webhooks?kind=status").json
    assert [(r["kind"], r["status"]) for r in log] == [("status:sent", 503), ("status:read", 503)]
    assert len(sim.receiver.received) == 2


def test_status_for_a_bsuid_send_without_phone(sim: Sim) -> None:
    sim.inbound(user_id="IT.4242", text="ciao")
    body = {"messaging_product": "whatsapp", "recipient": "IT.4242", "type": "text", "text": {"body": "Ok"}}
    sim.configure(statuses=["delivered"])
    sim.send(body)
    sim.wait_idle()
    [webhook] = sim.receiver.status_webhooks()
    [status] = webhook.statuses()
    assert "recipient_id" not in status
    assert status["recipient_user_id"] == "IT.4242"
    assert webhook.values()[0]["contacts"] == [{"profile": {"name": "Applicant"}, "user_id": "IT.4242"}]
