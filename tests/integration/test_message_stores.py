"""The DynamoDB repositories on moto: conditional writes make every step idempotent."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from chalicelib.adapters.dynamo.applicants import DynamoApplicantStore
from chalicelib.adapters.dynamo.messages import DynamoInboundStore, DynamoOutboundStore
from chalicelib.adapters.dynamo.models import ApplicantModel, InboundModel, OutboundModel, bind_models
from chalicelib.domain.delivery import DeliveryStatus, StatusUpdate
from chalicelib.domain.outbound import OutboundMessage, Text
from chalicelib.services.messages.ports import ClaimOutcome, StatusOutcome
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


def test_only_one_caller_can_claim_a_send_until_it_is_released() -> None:
    store = DynamoOutboundStore(retention_days=30)
    message = _outbound()
    assert store.claim(message, NOW, Rendered("hello")) is ClaimOutcome.CLAIMED
    assert store.claim(message, NOW, Rendered("hello")) is ClaimOutcome.ALREADY_HANDLED
    store.release(message.outbound_id, 131000, NOW)
    assert store.claim(message, NOW, Rendered("hello")) is ClaimOutcome.CLAIMED
    store.record_accepted(message.outbound_id, "wamid.out.1", NOW)
    assert store.claim(message, NOW, Rendered("hello")) is ClaimOutcome.ALREADY_HANDLED
    item = OutboundModel.get(message.outbound_id)
    assert (item.state, item.wamid, item.status) == ("accepted", "wamid.out.1", "accepted")
    assert item.content["body"] == "Ricevuto"


def _status(status: DeliveryStatus, outbound_id: str | None = "ack.wamid.1", code: int | None = None) -> StatusUpdate:
    from chalicelib.domain.delivery import StatusError

    errors = (StatusError(code, "Re-engagement message"),) if code else ()
    return StatusUpdate("wamid.out.1", status, 1764100100 + status.rank, outbound_id, errors)


def test_statuses_never_move_backwards_and_duplicates_change_nothing() -> None:
    store = DynamoOutboundStore(retention_days=30)
    store.claim(_outbound(), NOW, Rendered("hello"))
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
    store.claim(_outbound(), NOW, Rendered("hello"))
    assert store.apply_status(_status(DeliveryStatus.DELIVERED), NOW) is StatusOutcome.APPLIED
    store.record_accepted("ack.wamid.1", "wamid.out.1", NOW)
    item = OutboundModel.get("ack.wamid.1")
    assert (item.status, item.state) == ("delivered", "accepted")


def test_a_failed_status_keeps_metas_error_code() -> None:
    store = DynamoOutboundStore(retention_days=30)
    store.claim(_outbound(), NOW, Rendered("hello"))
    store.record_accepted("ack.wamid.1", "wamid.out.1", NOW)
    store.apply_status(_status(DeliveryStatus.FAILED, code=131047), NOW)
    item = OutboundModel.get("ack.wamid.1")
    assert (item.status, item.error_code, item.error_title) == ("failed", 131047, "Re-engagement message")


def test_a_status_without_callback_data_is_matched_by_wamid_or_reported_unknown() -> None:
    store = DynamoOutboundStore(retention_days=30)
    store.claim(_outbound(), NOW, Rendered("hello"))
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
