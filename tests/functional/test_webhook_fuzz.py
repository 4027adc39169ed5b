"""Signed webhook bodies, generated from Meta's recorded payloads and mutated: never a 5xx, never a good item lost.

Each body is a batch built from the real payloads in ``tests/events`` (every message and status shape Meta sends),
some items left valid (each with a fresh wamid) and some mutated: oversized strings, wrong types, missing fields,
unicode (lone surrogates, digits that are not ASCII), huge numbers, nested junk, in the items and in the envelope.
A body is signed with the app secret (or, sometimes, not or wrongly). What must hold: a signed body is stored or
quarantined item by item and acknowledged, an unsigned one refused; nothing raises (the route would answer 500 and
Meta would retry the batch for 7 days); and every valid message of the batch is in the inbound table.

Moto takes some 70 ms a body, so the 10,000 examples call the ingest use case in-process with in-memory stores that
refuse what DynamoDB refuses (its documented limits: key sizes, 38-digit numbers, 400 KB items, UTF-8); samples
run on moto, in-process and through ``POST /webhook`` with Chalice's test client. Hypothesis is driven directly
(its pytest plugin is off: ``pyproject.toml``), without an example database, so runs do not write to the tree.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import os
import random
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.adapters.dynamo.models import InboundModel
from chalicelib.services.messages.ingest import IngestDeps, InvalidSignature, ingest_webhook
from tests.fakes import FakeInboundStore, FakeOutboundStore, FakeQuarantineStore
from tests.support import APP_SECRET, event_names, load_event, meta_encode, signed

if TYPE_CHECKING:
    from chalice.test import Client

    from chalicelib.bootstrap import Container
    from chalicelib.domain.delivery import StatusUpdate
    from chalicelib.domain.inbound import InboundMessage
    from chalicelib.services.messages.ports import QuarantineRecord, StatusOutcome

EXAMPLES = int(os.environ.get("WEBHOOK_FUZZ_EXAMPLES", "10000"))  # in CI: 10,000 (about 40 s on 2 CPUs)
ON_MOTO_EXAMPLES = 200  # in-process on moto
THROUGH_THE_ROUTE_EXAMPLES = 100  # through the route, on moto


def _fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


MESSAGE_EVENTS = [load_event(name) for name in event_names("message_")]
STATUS_EVENTS = [load_event(name) for name in event_names("status_")]
_wamids = itertools.count()

# Values Meta never sends where we read them, and that storage refuses or Python misreads.
_ODD_STRINGS = ["", " ", "\ud800", "\udfff", "²³", "٣٩٣٣", "1e3", "-1", "0", "9" * 39, "9" * 400, "null", "\x00"]
_LONG_UNITS = ["A", "9", "é", "😀", "\ud800"]
_TEXT = 'abcXYZ 019.#+_-éàü中文😀\u200f\n\t\\"'
_MESSAGE_FIELDS = ["id", "from", "from_user_id", "timestamp", "type", "text", "context", "image", "reaction"]
_STATUS_FIELDS = ["id", "status", "timestamp", "recipient_id", "biz_opaque_callback_data", "errors", "pricing"]
_ENVELOPE_FIELDS = ["object", "entry", "changes", "value", "field", "metadata", "contacts", "messages", "statuses"]
_RAW = [
    b"",
    b"not json",
    b"\xff\xfe",
    b"[" * 5_000,
    b"1" * 5_000,
    b'{"entry": NaN}',
    b'{"object": "whatsapp_business_account"',
]


def _junk(rnd: random.Random, depth: int = 0) -> Any:
    """Oversized strings, wrong types, odd unicode, huge numbers, nested junk."""
    kind = rnd.randrange(11 if depth < 3 else 9)
    if kind == 0:
        return None
    if kind == 1:
        return rnd.choice([True, False])
    if kind == 2:
        return rnd.randint(-(2**70), 2**70)
    if kind == 3:
        return rnd.randint(10**38, 10**300)
    if kind == 4:
        return rnd.choice([0.5, -1e308, float("inf"), float("-inf"), float("nan"), 1e-300])
    if kind == 5:
        return "".join(rnd.choice(_TEXT) for _ in range(rnd.randrange(20)))
    if kind == 6:
        return rnd.choice(_ODD_STRINGS)
    if kind in (7, 8):
        return rnd.choice(_LONG_UNITS) * rnd.randint(200, 70_000)
    if kind == 9:
        return [_junk(rnd, depth + 1) for _ in range(rnd.randrange(4))]
    return {rnd.choice(["id", "body", "type", "x", ""]): _junk(rnd, depth + 1) for _ in range(rnd.randrange(4))}


def _value(event: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = event["entry"][0]["changes"][0]["value"]
    return value


def _mutated(rnd: random.Random, item: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """``item`` with one to three fields (or a field's field) replaced by junk or removed."""
    item = copy.deepcopy(item)
    for _ in range(rnd.randint(1, 3)):
        field = rnd.choice(sorted({*fields, *item}))
        target = item
        inner = item.get(field)
        if isinstance(inner, dict) and inner and rnd.random() < 0.5:
            target, field = inner, rnd.choice(sorted(inner))
        if rnd.random() < 0.2:
            target.pop(field, None)
        else:
            target[field] = _junk(rnd)
    return item


def batch(rnd: random.Random) -> tuple[bytes, list[tuple[str, str]]]:
    """A webhook body, and the (applicant key, wamid) of each valid message in it (those it must store)."""
    if rnd.random() < 0.03:
        return rnd.choice(_RAW), []
    payload = copy.deepcopy(rnd.choice(MESSAGE_EVENTS))
    value = _value(payload)
    valid: list[tuple[str, str]] = []
    messages: list[Any] = []
    contacts: list[Any] = list(value.get("contacts", []))
    for _ in range(rnd.randrange(5)):
        event = rnd.choice(MESSAGE_EVENTS)
        message = copy.deepcopy(_value(event)["messages"][0])
        if message["type"] == "system":
            continue  # a number change names no contact of its own
        message["id"] = f"wamid.fuzz.{next(_wamids)}"
        messages.append(message)
        contacts.extend(c for c in _value(event).get("contacts", []) if c not in contacts)
        sender = message.get("from")
        valid.append((f"wa#{sender}" if sender else f"bsuid#{message['from_user_id']}", message["id"]))
    for _ in range(rnd.randrange(5)):
        messages.append(_mutated(rnd, _value(rnd.choice(MESSAGE_EVENTS))["messages"][0], _MESSAGE_FIELDS))
    statuses = []
    for _ in range(rnd.randrange(4)):
        status = _value(rnd.choice(STATUS_EVENTS))["statuses"][0]
        statuses.append(_mutated(rnd, status, _STATUS_FIELDS) if rnd.random() < 0.5 else status)
    rnd.shuffle(messages)
    value.update({"messages": messages, "contacts": contacts, "statuses": statuses})
    if rnd.random() < 0.15:  # the envelope itself: its valid messages may go to quarantine with it
        valid = []
        field = rnd.choice(_ENVELOPE_FIELDS)
        for holder in (payload, payload["entry"][0], payload["entry"][0]["changes"][0], value):
            if field in holder:
                holder[field] = _junk(rnd)
                break
    return meta_encode(payload), valid


# Hypothesis draws the seed and the signing; the body is built from the seed (some 30 times faster than composite
# strategies, which would make 10,000 examples take minutes). A failure names its seed: ``batch(Random(seed))``.
_BODIES = st.integers(0, 2**64).map(lambda seed: batch(random.Random(seed)))
_SIGNING = st.sampled_from(["good"] * 18 + ["missing", "wrong"])


def _headers(body: bytes, signing: str) -> dict[str, str]:
    if signing == "missing":
        return {"Content-Type": "application/json"}
    _, headers = signed(body, "test-app-secret" if signing == "good" else "another-secret")
    return headers


def _assert_stored(valid: list[tuple[str, str]]) -> None:
    missing = [key for key in valid if InboundModel.count(key[0], InboundModel.wamid == key[1]) == 0]
    assert missing == [], f"valid messages not stored: {missing}"


class DynamoLimitError(Exception):
    """What DynamoDB would answer with a ValidationException (and the webhook with a 500)."""


def _key(value: str, limit: int) -> None:
    if not value or len(value.encode("utf-8")) > limit:  # encode() also refuses lone surrogates, as DynamoDB does
        raise DynamoLimitError(f"key of {len(value)} characters")


def _number(value: int) -> None:
    if len(str(abs(value))) > 38:
        raise DynamoLimitError("number past 38 digits")


def _item(*texts: str | None) -> None:
    size = sum(len(t.encode("utf-8")) for t in texts if t is not None)
    if size > 400_000:
        raise DynamoLimitError(f"item of {size} bytes")


class StrictInbound(FakeInboundStore):
    def add(self, message: InboundMessage, received_at_ms: int) -> bool:
        _key(message.applicant.key, 2048)
        _key(message.wamid, 1024)
        _number(message.sent_at)
        extra = (message.profile_name, message.phone_number_id, message.applicant.wa_id, message.applicant.user_id)
        _item(json.dumps(message.message), *extra)  # PynamoDB's JSONAttribute: json.dumps, ASCII-escaped
        return super().add(message, received_at_ms)


class StrictOutbound(FakeOutboundStore):
    def apply_status(self, update: StatusUpdate, now_ms: int) -> StatusOutcome:
        if update.outbound_id is not None:
            _key(update.outbound_id, 2048)
        _key(update.wamid, 2048)  # the by_wamid index's key
        _number(update.timestamp)
        for error in update.errors:
            _number(error.code or 0)
            _item(error.title)
        return super().apply_status(update, now_ms)


class StrictQuarantine(FakeQuarantineStore):
    def put(self, record: QuarantineRecord) -> None:
        _key(record.quarantine_id, 2048)
        inline = record.item_json if len(record.item_json.encode("utf-8")) <= 300_000 else None  # larger: to S3
        _item(record.reason, record.location, record.detail, inline)
        super().put(record)


def _acknowledged(deps: IngestDeps, body: bytes, signing: str) -> bool:
    """Ingest one body: True when it was taken (well signed), False when refused as unsigned; anything else it
    raises is what the route would answer 500."""
    try:
        ingest_webhook(body, _headers(body, signing).get("X-Hub-Signature-256"), deps)
    except InvalidSignature:
        assert signing != "good"
        return False
    assert signing == "good"
    return True


@pytest.fixture(autouse=True)
def quiet(caplog: pytest.LogCaptureFixture) -> None:
    """Thousands of quarantined items: their warnings are the behaviour under test, not worth keeping."""
    caplog.set_level(logging.ERROR, logger="sportello")


def test_signed_webhooks_are_acknowledged_item_by_item_and_every_valid_message_is_stored() -> None:
    inbound = StrictInbound()
    deps = IngestDeps(lambda: APP_SECRET, inbound, StrictOutbound(), StrictQuarantine(), lambda: 1_764_100_000_000)

    @_fuzz(EXAMPLES)
    @given(_BODIES, _SIGNING)
    def check(body_and_valid: tuple[bytes, list[tuple[str, str]]], signing: str) -> None:
        body, valid = body_and_valid
        if _acknowledged(deps, body, signing):
            assert [key for key in valid if key not in inbound.items] == []

    check()


def test_on_moto_signed_webhooks_are_acknowledged_and_every_valid_message_is_stored(container: Container) -> None:
    deps = container.ingest_deps

    @_fuzz(ON_MOTO_EXAMPLES)
    @given(_BODIES, _SIGNING)
    def check(body_and_valid: tuple[bytes, list[tuple[str, str]]], signing: str) -> None:
        body, valid = body_and_valid
        if _acknowledged(deps, body, signing):
            _assert_stored(valid)

    check()


def test_the_route_answers_200_or_401_never_5xx(client: Client) -> None:
    @_fuzz(THROUGH_THE_ROUTE_EXAMPLES)
    @given(_BODIES, _SIGNING)
    def check(body_and_valid: tuple[bytes, list[tuple[str, str]]], signing: str) -> None:
        body, valid = body_and_valid
        response = client.http.post("/webhook", headers=_headers(body, signing), body=body)
        assert response.status_code == (200 if signing == "good" else 401), response.body
        if signing == "good":
            _assert_stored(valid)

    check()


def test_the_recorded_payloads_are_all_generated_from() -> None:
    assert len(MESSAGE_EVENTS) >= 15 and len(STATUS_EVENTS) >= 5
    assert json.loads(meta_encode(MESSAGE_EVENTS[0])) == MESSAGE_EVENTS[0]
