"""The DynamoDB repositories on moto: conditional writes make every step idempotent."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from chalicelib.adapters.dynamo.applicants import DynamoApplicantStore
from chalicelib.adapters.dynamo.messages import DynamoInboundStore, DynamoOutboundStore
from chalicelib.adapters.dynamo.models import ApplicantModel, InboundModel, OutboundModel, bind_models
from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.delivery import DeliveryStatus, StatusUpdate
from chalicelib.domain.outbound import OutboundMessage, Text
from chalicelib.services.messages.ports import Claim, ClaimOutcome, Lease, OutboxEntry, StatusOutcome
from chalicelib.services.messages.rendering import Rendered
from chalicelib.settings import get_settings
from chalicelib.whatsapp.updates import parse_webhook
from tests.support import load_event

if TYPE_CHECKING:
    from chalicelib.domain.inbound import InboundMessage

NOW = 1_764_100_000_000


@pytest.fixture(autouse=True)
def bound(aws: None) -> None:
    bind_models(get_settings())


def _message(name: str = "message_text") -> InboundMessage:
    [message] = parse_webhook(load_event(name)).messages
    return message


def test_an_inbound_message_is_stored_once_per_wamid() -> None:
    store = DynamoInboundStore(retention_days=30)
    message = _message()
    assert [store.add(message, NOW), store.add(message, NOW + 5)] == [True, False]
    item = InboundModel.get(message.applicant.key, message.wamid)
    assert (item.received_at, item.state, item.message) == (NOW, "pending", message.message)
    assert item.expires_at is not None


def test_pending_messages_leave_the_pending_index_when_processed() -> None:
    store = DynamoInboundStore(retention_days=30)
    first, second = _message("message_text"), _message("message_image")
    store.add(first, NOW)
    store.add(second, NOW + 1)
    store.record_failure(second, "ServiceUnavailable")

    pending = list(store.pending_since(NOW + 10, limit=10))
    assert [(p.message.wamid, p.attempts) for p in pending] == [(first.wamid, 0), (second.wamid, 1)]
    assert pending[0].message == first

    store.mark_processed(first, NOW + 20)
    assert store.is_processed(first) and not store.is_processed(second)
    assert [p.message.wamid for p in store.pending_since(NOW + 10, limit=10)] == [second.wamid]


def test_marking_an_unknown_message_processed_fails_loudly() -> None:
    from pynamodb.exceptions import UpdateError

    with pytest.raises(UpdateError):
        DynamoInboundStore(retention_days=30).mark_processed(_message(), NOW)


def _outbound(outbound_id: str = "ack.wamid.1") -> OutboundMessage:
    return OutboundMessage(outbound_id, _message().applicant, Text("Ricevuto"), reply_to="wamid.1")


LEASE = Lease(NOW + 90_000, NOW + 600_000)


def _claim(store: DynamoOutboundStore, message: OutboundMessage, now: int = NOW) -> Claim:
    return store.claim(message, now, Rendered("hello"), Lease(now + 90_000, now + 600_000))


def test_only_one_caller_can_claim_a_send_until_it_is_released() -> None:
    store = DynamoOutboundStore(retention_days=30)
    message = _outbound()
    assert _claim(store, message).outcome is ClaimOutcome.CLAIMED
    assert _claim(store, message) == Claim(ClaimOutcome.IN_FLIGHT, retry_at_ms=NOW + 600_000)  # a live lease
    store.release(message.outbound_id, 131000, NOW)
    assert _claim(store, message).outcome is ClaimOutcome.CLAIMED
    store.record_accepted(message.outbound_id, "wamid.out.1", NOW)
    assert _claim(store, message) == Claim(ClaimOutcome.ALREADY_HANDLED, wamid="wamid.out.1")
    item = OutboundModel.get(message.outbound_id)
    assert (item.state, item.wamid, item.status) == ("accepted", "wamid.out.1", "accepted")
    assert item.content["body"] == "Ricevuto"
    assert (item.attempts, item.unsent_shard) == (2, None)  # sent: out of the outbox


def test_a_dead_workers_claim_is_taken_again_only_past_its_reconcile_time_and_without_a_wamid() -> None:
    store = DynamoOutboundStore(retention_days=30)
    message, other = _outbound(), _outbound("ack.wamid.2")
    _claim(store, message)  # the worker dies here: no answer, no record of one
    _claim(store, other)
    store.apply_status(StatusUpdate("wamid.out.2", DeliveryStatus.SENT, 1764100100, "ack.wamid.2"), NOW + 5_000)

    assert _claim(store, message, NOW + 100_000).outcome is ClaimOutcome.IN_FLIGHT  # lease over, Meta may answer
    assert _claim(store, message, NOW + 600_000).outcome is ClaimOutcome.CLAIMED  # no wamid by then: send again
    # The other one reached Meta (its status gave the wamid): sent, never again, whatever the time.
    assert _claim(store, other, NOW + 3_600_000) == Claim(ClaimOutcome.ALREADY_HANDLED, wamid="wamid.out.2")


def test_a_send_in_doubt_waits_for_metas_status_until_its_reconcile_time() -> None:
    store = DynamoOutboundStore(retention_days=30)
    message = _outbound()
    _claim(store, message)
    store.record_uncertain(message.outbound_id, NOW + 10_000, NOW + 600_000)

    assert _claim(store, message, NOW + 599_999) == Claim(ClaimOutcome.IN_FLIGHT, retry_at_ms=NOW + 600_000)
    assert [u.message.outbound_id for u in store.unsent(NOW + 599_999, 10)] == []
    assert [u.message.outbound_id for u in store.unsent(NOW + 600_000, 10)] == [message.outbound_id]
    assert _claim(store, message, NOW + 600_000).outcome is ClaimOutcome.CLAIMED


def test_a_message_failed_for_good_is_never_claimed_again_and_leaves_the_outbox() -> None:
    store = DynamoOutboundStore(retention_days=30)
    message = _outbound()
    _claim(store, message)
    store.record_failed(message.outbound_id, 131026, "Undeliverable", NOW)
    assert _claim(store, message, NOW + 3_600_000).outcome is ClaimOutcome.ALREADY_FAILED
    assert store.unsent(NOW + 3_600_000, 10) == []


def test_the_outbox_keeps_what_is_needed_to_send_again_without_the_upload_token() -> None:
    from chalicelib.adapters.dynamo.messages import outbox_item
    from chalicelib.domain.actors import Actor, ActorKind
    from chalicelib.domain.outbound import Template
    from chalicelib.domain.upload_links import HIDDEN_TOKEN, LinkPurpose

    token = "T" * 43
    officer = Actor(ActorKind.OFFICER, "sub-1", "rossi", "Maria Rossi")
    message = OutboundMessage(
        "case.AN-1.v3.request",
        _message().applicant,
        Template("sportello_documenti", "it", ("AN-1", "passaporto"), token),
        purpose="sportello_documenti",
        case_id="AN-1",
        author=officer,
        office="MC",
        link=LinkPurpose.DOCUMENTS_REQUEST,
    )
    entry = OutboxEntry(message, Rendered("Documenti"), NOW, NOW + 90_000)
    outbox_item(entry, 30).save()
    store = DynamoOutboundStore(retention_days=30)

    assert store.unsent(NOW + 89_999, 10) == []  # the request that queued it tries first
    [unsent] = store.unsent(NOW + 90_000, 10)

    hidden = replace(message.content, url_button_parameter=HIDDEN_TOKEN)  # type: ignore[arg-type]
    # Sent to the identifier it is keyed by (the number; the user id too only when there is no number).
    recipient = ApplicantRef.from_key(message.recipient.key)
    assert unsent.message == replace(message, content=hidden, recipient=recipient)
    assert token not in str(OutboundModel.get(message.outbound_id).attribute_values)
    thread_key = OutboundModel.get(message.outbound_id).thread_key
    assert store.claim(unsent.message, NOW + 200_000, Rendered("x"), LEASE).outcome is ClaimOutcome.CLAIMED
    item = OutboundModel.get(message.outbound_id)
    assert (item.thread_key, item.rendered, item.state) == (thread_key, "Documenti", "sending")  # its place kept


def _status(status: DeliveryStatus, outbound_id: str | None = "ack.wamid.1", code: int | None = None) -> StatusUpdate:
    from chalicelib.domain.delivery import StatusError

    errors = (StatusError(code, "Re-engagement message"),) if code else ()
    return StatusUpdate("wamid.out.1", status, 1764100100 + status.rank, outbound_id, errors)


def test_statuses_never_move_backwards_and_duplicates_change_nothing() -> None:
    store = DynamoOutboundStore(retention_days=30)
    store.claim(_outbound(), NOW, Rendered("hello"), LEASE)
    store.record_accepted("ack.wamid.1", "wamid.out.1", NOW)

    outcomes = [
        store.apply_status(_status(DeliveryStatus.READ), NOW),
        store.apply_status(_status(DeliveryStatus.DELIVERED), NOW),
        store.apply_status(_status(DeliveryStatus.SENT), NOW),
        store.apply_status(_status(DeliveryStatus.READ), NOW),
    ]

    assert outcomes == [StatusOutcome.APPLIED, StatusOutcome.STALE, StatusOutcome.STALE, StatusOutcome.STALE]
    assert OutboundModel.get("ack.wamid.1").status == "read"


def test_a_status_that_beats_the_send_response_is_kept() -> None:
    store = DynamoOutboundStore(retention_days=30)
    store.claim(_outbound(), NOW, Rendered("hello"), LEASE)
    assert store.apply_status(_status(DeliveryStatus.DELIVERED), NOW) is StatusOutcome.APPLIED
    store.record_accepted("ack.wamid.1", "wamid.out.1", NOW)
    item = OutboundModel.get("ack.wamid.1")
    assert (item.status, item.state) == ("delivered", "accepted")


def test_a_failed_status_keeps_metas_error_code() -> None:
    store = DynamoOutboundStore(retention_days=30)
    store.claim(_outbound(), NOW, Rendered("hello"), LEASE)
    store.record_accepted("ack.wamid.1", "wamid.out.1", NOW)
    store.apply_status(_status(DeliveryStatus.FAILED, code=131047), NOW)
    item = OutboundModel.get("ack.wamid.1")
    assert (item.status, item.error_code, item.error_title) == ("failed", 131047, "Re-engagement message")


def test_a_status_without_callback_data_is_matched_by_wamid_or_reported_unknown() -> None:
    store = DynamoOutboundStore(retention_days=30)
    store.claim(_outbound(), NOW, Rendered("hello"), LEASE)
    store.record_accepted("ack.wamid.1", "wamid.out.1", NOW)
    assert store.apply_status(_status(DeliveryStatus.SENT, outbound_id=None), NOW) is StatusOutcome.APPLIED
    orphan = StatusUpdate("wamid.nobody", DeliveryStatus.SENT, 1, None)
    assert store.apply_status(orphan, NOW) is StatusOutcome.UNKNOWN_MESSAGE


def test_a_status_naming_an_outbound_id_we_never_sent_creates_nothing() -> None:
    store = DynamoOutboundStore(retention_days=30)
    forged = [
        _status(DeliveryStatus.SENT, outbound_id="chat.never.sent.0"),
        _status(DeliveryStatus.READ, "chat.never.sent.0"),
    ]

    assert [store.apply_status(update, NOW) for update in forged] == [StatusOutcome.UNKNOWN_MESSAGE] * 2
    assert list(OutboundModel.scan()) == []  # a Scan in a test, to see everything
    # nor did it record their wamid: a status without callback data finds nothing either
    assert store.apply_status(_status(DeliveryStatus.DELIVERED, outbound_id=None), NOW) is StatusOutcome.UNKNOWN_MESSAGE


def test_the_applicants_last_inbound_time_only_moves_forward() -> None:
    store = DynamoApplicantStore()
    applicant = _message().applicant
    store.record_inbound(applicant, "Amina", 200, NOW)
    store.record_inbound(applicant, "Amina H.", 100, NOW + 1)
    item = ApplicantModel.get(applicant.key)
    assert (item.last_inbound_at, item.profile_name, item.first_seen_at) == (200, "Amina H.", NOW)
    assert (item.wa_id, item.user_id) == ("393331234567", "IT.7714290188821340")
