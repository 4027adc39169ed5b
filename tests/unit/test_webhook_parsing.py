"""Reading webhook payloads: every documented message and status type, and what goes to quarantine."""

from __future__ import annotations

import pytest

from chalicelib.domain.delivery import DeliveryStatus
from chalicelib.domain.inbound import MessageType
from chalicelib.whatsapp.updates import QuarantineReason, parse_webhook
from tests.support import event_names, load_event

EXPECTED_TYPES = {
    "message_audio_voice": MessageType.AUDIO,
    "message_contacts": MessageType.CONTACTS,
    "message_document": MessageType.DOCUMENT,
    "message_image": MessageType.IMAGE,
    "message_image_with_url": MessageType.IMAGE,
    "message_interactive_button_reply": MessageType.INTERACTIVE,
    "message_interactive_list_reply": MessageType.INTERACTIVE,
    "message_location": MessageType.LOCATION,
    "message_order": MessageType.ORDER,
    "message_reaction": MessageType.REACTION,
    "message_sticker": MessageType.STICKER,
    "message_system_user_changed_number": MessageType.SYSTEM,
    "message_template_quick_reply": MessageType.BUTTON,
    "message_text": MessageType.TEXT,
    "message_text_forwarded": MessageType.TEXT,
    "message_text_reply_context": MessageType.TEXT,
    "message_text_username_user": MessageType.TEXT,
    "message_unsupported": MessageType.UNSUPPORTED,
    "message_video": MessageType.VIDEO,
}


def test_every_recorded_message_payload_has_an_expectation() -> None:
    assert set(event_names("message_")) == set(EXPECTED_TYPES)


@pytest.mark.parametrize(("name", "kind"), sorted(EXPECTED_TYPES.items()))
def test_each_message_type_is_read_with_its_sender_and_wamid(name: str, kind: MessageType) -> None:
    payload = load_event(name)
    raw = payload["entry"][0]["changes"][0]["value"]["messages"][0]

    batch = parse_webhook(payload)

    assert batch.quarantined == []
    [message] = batch.messages
    assert message.type is kind
    assert message.wamid == raw["id"]
    assert message.sent_at == int(raw["timestamp"])
    assert message.phone_number_id == "106540352242922"
    assert message.message == raw


def test_a_phone_user_is_keyed_by_wa_id_and_keeps_the_bsuid() -> None:
    [message] = parse_webhook(load_event("message_text")).messages
    assert message.applicant.wa_id == "393331234567"
    assert message.applicant.user_id == "IT.7714290188821340"
    assert message.applicant.key == "wa#393331234567"
    assert message.profile_name == "Amina Haddad"
    assert message.text is not None and message.text.startswith("Buongiorno")


def test_a_username_user_without_phone_is_keyed_by_bsuid() -> None:
    [message] = parse_webhook(load_event("message_text_username_user")).messages
    assert message.applicant.wa_id is None
    assert message.applicant.key == "bsuid#IT.9911223344556677"


def test_replies_expose_the_chosen_id() -> None:
    [button] = parse_webhook(load_event("message_interactive_button_reply")).messages
    [row] = parse_webhook(load_event("message_interactive_list_reply")).messages
    [quick] = parse_webhook(load_event("message_template_quick_reply")).messages
    assert (button.reply_id, row.reply_id, quick.reply_id) == ("status", "lang.ar", "CONFIRM_APPOINTMENT")


def test_media_messages_expose_the_media_id() -> None:
    [image] = parse_webhook(load_event("message_image")).messages
    [document] = parse_webhook(load_event("message_document")).messages
    assert (image.media_id, document.media_id) == ("1230984567812345", "622684793477189")


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("status_sent", DeliveryStatus.SENT),
        ("status_delivered", DeliveryStatus.DELIVERED),
        ("status_read", DeliveryStatus.READ),
        ("status_played", DeliveryStatus.PLAYED),
        ("status_failed", DeliveryStatus.FAILED),
        ("status_without_callback_data", DeliveryStatus.DELIVERED),
    ],
)
def test_each_status_type_is_read(name: str, status: DeliveryStatus) -> None:
    batch = parse_webhook(load_event(name))
    assert batch.quarantined == []
    [update] = batch.statuses
    assert update.status is status
    assert update.wamid == "wamid.OUT0000000042"


def test_a_failed_status_keeps_metas_error_code() -> None:
    [update] = parse_webhook(load_event("status_failed")).statuses
    assert update.error_code == 131047
    assert update.outbound_id == "ack.wamid.HBgMMzkzMzMxMjM0NTY3FQIAEhgg0001"


def test_unsupported_and_unknown_types_are_kept_to_be_answered_and_value_errors_are_quarantined() -> None:
    unsupported = parse_webhook(load_event("message_unsupported"))
    errors = parse_webhook(load_event("value_errors"))
    [message] = unsupported.messages
    assert (message.type, message.message["unsupported"]) == (MessageType.UNSUPPORTED, {"type": "poll_creation"})
    assert unsupported.quarantined == []
    assert [q.reason for q in errors.quarantined] == [QuarantineReason.META_ERROR]


def test_a_bad_item_in_a_batch_never_costs_the_good_ones() -> None:
    payload = load_event("message_text")
    value = payload["entry"][0]["changes"][0]["value"]
    good = value["messages"][0]
    value["messages"] = [
        good,
        {"id": "wamid.x", "type": "text", "timestamp": "1", "from": "39333"},  # no text body
        {"type": "text", "text": {"body": "no id"}},
        {**good, "id": "wamid.second"},
        {**good, "id": "wamid.weird", "type": "hologram"},
        "not an object",
    ]
    value["statuses"] = [{"id": "wamid.s", "status": "teleported", "timestamp": "1"}]

    batch = parse_webhook(payload)

    assert [m.wamid for m in batch.messages] == [good["id"], "wamid.second", "wamid.weird"]
    assert batch.messages[2].type is MessageType.UNSUPPORTED
    assert sorted(q.reason.value for q in batch.quarantined) == [
        "missing_field",
        "missing_field",
        "not_an_object",
        "unknown_status",
    ]
    assert batch.quarantined[0].location == "$.entry[0].changes[0].value.messages[1]"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ([], QuarantineReason.NOT_AN_OBJECT),
        ({"object": "page", "entry": []}, QuarantineReason.UNEXPECTED_OBJECT),
        ({"object": "whatsapp_business_account"}, QuarantineReason.MISSING_FIELD),
        (
            {
                "object": "whatsapp_business_account",
                "entry": [{"changes": [{"field": "account_update", "value": {}}]}],
            },
            QuarantineReason.UNHANDLED_FIELD,
        ),
        ({"object": "whatsapp_business_account", "entry": [{"id": "1"}]}, QuarantineReason.MISSING_FIELD),
    ],
)
def test_odd_envelopes_are_quarantined_whole(payload: object, reason: QuarantineReason) -> None:
    batch = parse_webhook(payload)
    assert (batch.messages, batch.statuses) == ([], [])
    assert [q.reason for q in batch.quarantined] == [reason]


def test_a_sender_that_is_not_a_phone_number_is_refused() -> None:
    payload = load_event("message_text")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["from"] = "+39 333"
    batch = parse_webhook(payload)
    assert batch.messages == [] and batch.quarantined[0].reason is QuarantineReason.MISSING_FIELD


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "wamid." + "A" * 1_500),  # past the inbound table's sort key
        ("from", "3" * 3_000),  # past its partition key
        ("timestamp", "9" * 400),  # past DynamoDB's 38 digits
        ("timestamp", "1"),  # no plausible epoch
        ("timestamp", "²³"),  # digits to str.isdigit, not to int()
        ("from", "٣٩٣٣٣"),  # Arabic-Indic digits: no phone number we can write to
        ("from_user_id", "IT." + "7" * 200),
        ("id", "wamid.\ud800"),  # a lone surrogate: valid in a JSON escape, no UTF-8 for DynamoDB
        ("text", {"body": "x" * 70_000}),
        ("context", {"junk": "y" * 300_000}),  # the stored message past the item's 400 KB
    ],
)
def test_messages_with_fields_out_of_range_for_storage_are_quarantined(field: str, value: object) -> None:
    payload = load_event("message_text")
    value_object = payload["entry"][0]["changes"][0]["value"]
    good = value_object["messages"][0]
    value_object["messages"] = [good, {**good, "id": "wamid.bad", field: value}]

    batch = parse_webhook(payload)

    assert [m.wamid for m in batch.messages] == [good["id"]]
    [item] = batch.quarantined
    assert item.location == "$.entry[0].changes[0].value.messages[1]"
    assert item.reason in {QuarantineReason.OUT_OF_RANGE, QuarantineReason.MISSING_FIELD}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "wamid." + "B" * 1_500),
        ("timestamp", "9" * 400),
        ("biz_opaque_callback_data", "c" * 3_000),
    ],
)
def test_statuses_with_fields_out_of_range_for_storage_are_quarantined(field: str, value: object) -> None:
    payload = load_event("status_read")
    status = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    status[field] = value

    batch = parse_webhook(payload)

    assert batch.statuses == []
    assert [q.reason for q in batch.quarantined] == [QuarantineReason.OUT_OF_RANGE]


@pytest.mark.parametrize("errors", [5, "oops", [{"code": 10**50, "title": {"nested": 1}}]])
def test_odd_status_errors_are_read_not_fatal(errors: object) -> None:
    payload = load_event("status_failed")
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"] = errors
    [update] = parse_webhook(payload).statuses
    assert update.error_code is None
