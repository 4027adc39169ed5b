"""Webhook ingestion with fakes: signature first, each update stored once, odd items quarantined."""

from __future__ import annotations

import pytest

from chalicelib.services.messages.ingest import IngestDeps, IngestResult, InvalidSignature, ingest_webhook
from tests.fakes import FakeOutboundStore, OutboundRecord, fake_ingest_deps
from tests.support import APP_SECRET, load_event, meta_encode, signed


@pytest.fixture
def deps() -> IngestDeps:
    return fake_ingest_deps()


def _ingest(deps: IngestDeps, payload: object, secret: str = APP_SECRET) -> IngestResult:
    body, headers = signed(payload, secret)
    return ingest_webhook(body, headers["X-Hub-Signature-256"], deps)


@pytest.mark.parametrize("signature", [None, "", "sha256=", "sha1=abc", "sha256=" + "0" * 64])
def test_unsigned_or_wrongly_signed_posts_store_nothing(deps: IngestDeps, signature: str | None) -> None:
    with pytest.raises(InvalidSignature):
        ingest_webhook(meta_encode(load_event("message_text")), signature, deps)
    assert deps.inbound.items == {}  # type: ignore[attr-defined]
    assert deps.quarantine.records == {}  # type: ignore[attr-defined]


def test_a_post_signed_with_another_secret_is_refused(deps: IngestDeps) -> None:
    with pytest.raises(InvalidSignature):
        _ingest(deps, load_event("message_text"), secret="not-our-secret")


def test_the_signature_covers_the_raw_bytes_not_the_reencoded_json(deps: IngestDeps) -> None:
    body = meta_encode(load_event("message_text"))
    assert b"\\u00e0" in body and b"\\/" in body  # Meta's escapes are in the signed bytes
    body_signed, headers = signed(body)
    assert ingest_webhook(body_signed, headers["X-Hub-Signature-256"], deps).stored == 1


def test_a_message_is_stored_once_however_often_it_is_delivered(deps: IngestDeps) -> None:
    results = [_ingest(deps, load_event("message_text")) for _ in range(3)]
    assert [r.stored for r in results] == [1, 0, 0]
    assert [r.duplicates for r in results] == [0, 1, 1]
    assert len(deps.inbound.items) == 1  # type: ignore[attr-defined]


def test_invalid_json_is_acknowledged_and_quarantined_with_the_raw_body(deps: IngestDeps) -> None:
    result = _ingest(deps, b'{"object": "whatsapp_business_account", "entry": [')
    assert result == IngestResult(quarantined=1)
    [record] = deps.quarantine.records.values()  # type: ignore[attr-defined]
    assert record.reason == "invalid_json"
    assert record.item_json.startswith('{"object"')


def test_redelivering_the_same_bad_webhook_keeps_one_quarantine_record(deps: IngestDeps) -> None:
    for _ in range(2):
        _ingest(deps, load_event("value_errors"))
    assert len(deps.quarantine.records) == 1  # type: ignore[attr-defined]


def test_a_batch_with_one_malformed_item_stores_the_good_ones(deps: IngestDeps) -> None:
    payload = load_event("message_text")
    value = payload["entry"][0]["changes"][0]["value"]
    good = value["messages"][0]
    value["messages"] = [good, {"id": "wamid.bad", "type": "text"}, {**good, "id": "wamid.good2"}]

    result = _ingest(deps, payload)

    assert (result.stored, result.quarantined) == (2, 1)


def test_statuses_move_forward_only_and_unknown_ones_are_quarantined(deps: IngestDeps) -> None:
    outbound = deps.outbound
    assert isinstance(outbound, FakeOutboundStore)
    outbound.records["ack.wamid.HBgMMzkzMzMxMjM0NTY3FQIAEhgg0001"] = OutboundRecord("accepted")

    read = _ingest(deps, load_event("status_read"))
    late_delivered = _ingest(deps, load_event("status_delivered"))
    orphan_status = load_event("status_without_callback_data")
    orphan_status["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = "wamid.NEVER.SENT"
    orphan = _ingest(deps, orphan_status)

    assert (read.statuses_applied, late_delivered.statuses_stale) == (1, 1)
    assert outbound.records["ack.wamid.HBgMMzkzMzMxMjM0NTY3FQIAEhgg0001"].status == "read"
    assert orphan.quarantined == 1


def test_messages_of_many_applicants_are_stored_with_an_executor(deps: IngestDeps) -> None:
    from concurrent.futures import ThreadPoolExecutor

    payload = load_event("message_text")
    value = payload["entry"][0]["changes"][0]["value"]
    template = value["messages"][0]
    value["messages"] = [{**template, "id": f"wamid.{i}", "from": f"3933300000{i % 7}"} for i in range(50)]
    with ThreadPoolExecutor(4) as pool:
        parallel = IngestDeps(deps.app_secret, deps.inbound, deps.outbound, deps.quarantine, deps.clock_ms, pool)
        assert _ingest(parallel, payload).stored == 50


def test_a_status_naming_an_outbound_id_we_never_sent_is_quarantined_and_creates_nothing(deps: IngestDeps) -> None:
    outbound = deps.outbound
    assert isinstance(outbound, FakeOutboundStore)
    forged = load_event("status_read")
    forged["entry"][0]["changes"][0]["value"]["statuses"][0]["biz_opaque_callback_data"] = "chat.never.sent.0"

    results = [_ingest(deps, forged), _ingest(deps, load_event("status_delivered"))]

    assert [(r.statuses_applied, r.quarantined) for r in results] == [(0, 1), (0, 1)]
    assert outbound.records == {}
    reasons = {r.reason for r in deps.quarantine.records.values()}  # type: ignore[attr-defined]
    assert reasons == {"unknown_outbound"}
