"""The stream and redrive handlers through ``app.py``: the acknowledgement goes out once per inbound text."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from chalicelib.adapters.dynamo.messages import inbound_from_model
from chalicelib.adapters.dynamo.models import InboundModel, OutboundModel
from chalicelib.services.chat.conversation import reply_id
from chalicelib.whatsapp.errors import ServiceUnavailable
from tests.support import load_event, signed, stream_event

if TYPE_CHECKING:
    from chalice.test import Client

    from chalicelib.bootstrap import Container
    from tests.fakes import FakeGateway


def _receive(client: Client, name: str = "message_text") -> InboundModel:
    body, headers = signed(load_event(name))
    assert client.http.post("/webhook", headers=headers, body=body).status_code == 200
    [item] = [i for i in InboundModel.scan() if i.state == "pending"]
    return item


def _invoke(client: Client, item: InboundModel, event_name: str = "INSERT") -> object:
    event = stream_event([item.serialize()], event_name)
    return client.lambda_.invoke("process_inbound_messages", event).payload


def test_a_stored_text_is_acknowledged_once_even_when_the_stream_redelivers(
    client: Client, gateway: FakeGateway
) -> None:
    item = _receive(client)

    first = _invoke(client, item)
    second = _invoke(client, item)

    assert first == {"processed": 1, "already_processed": 0}
    assert second == {"processed": 0, "already_processed": 1}
    assert len(gateway.sent) == 1 and gateway.read == [item.wamid]
    record = OutboundModel.get(reply_id(inbound_from_model(item), 0))
    assert (record.state, record.purpose) == ("accepted", "chat")
    assert InboundModel.get(item.applicant_key, item.wamid).state == "processed"


def test_modify_events_are_ignored(client: Client, gateway: FakeGateway) -> None:
    item = _receive(client)
    assert _invoke(client, item, "MODIFY") == {"processed": 0, "already_processed": 0}
    assert gateway.sent == []


OUTBOX_COUNTS = ("found", "sent", "already_sent", "failed", "waiting")


def test_a_transient_failure_fails_the_batch_and_the_redrive_finishes_the_job(
    client: Client, gateway: FakeGateway, container: Container
) -> None:
    item = _receive(client)
    gateway.errors.append(ServiceUnavailable("down", code=131000, is_transient=True))

    with pytest.raises(ServiceUnavailable):  # in AWS: the batch is retried, then parked on the failure queue
        client.lambda_.invoke("process_inbound_messages", stream_event([item.serialize()]))
    stored = InboundModel.get(item.applicant_key, item.wamid)
    assert (stored.state, stored.attempts, stored.last_error) == ("pending", 1, "ServiceUnavailable")

    container.settings = replace(container.settings, redrive_after_seconds=0)
    tick = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    swept = client.lambda_.invoke("redrive_inbound", tick).payload
    # The reply the stream could not send went with the redrive's processing: the outbox sweep after it found none.
    assert swept == {"processed": 1, "failed": 0, "parked": 0} | {f"outbox_{k}": 0 for k in OUTBOX_COUNTS}
    assert len(gateway.sent) == 1
    assert InboundModel.get(item.applicant_key, item.wamid).state == "processed"
