"""The operator commands list and replay what did not go through."""

from __future__ import annotations

import json

import pytest

from chalicelib.bootstrap import Container
from devtools import ops
from tests.fakes import FakeGateway
from tests.support import load_event, signed


def _receive(container: Container, name: str) -> None:
    from chalicelib.services.messages.ingest import ingest_webhook

    body, headers = signed(load_event(name))
    ingest_webhook(body, headers["X-Hub-Signature-256"], container.ingest_deps)


def test_pending_messages_are_listed_and_replayed_once(
    container: Container, gateway: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    _receive(container, "message_text")
    _receive(container, "message_image")

    ops.main(["pending"])
    listed = json.loads(capsys.readouterr().out)
    assert {p["attempts"] for p in listed} == {0} and len(listed) == 2
    assert "Buongiorno" not in json.dumps(listed)

    ops.main(["replay"])
    assert json.loads(capsys.readouterr().out) == {"processed": 2, "failed": 0, "skipped_parked": 0}
    ops.main(["pending"])
    assert json.loads(capsys.readouterr().out) == []
    assert len(gateway.sent) == 2  # one answer each: the language menu, then "no case, file not kept"


def test_quarantined_items_are_listed_by_day(container: Container, capsys: pytest.CaptureFixture[str]) -> None:
    _receive(container, "value_errors")
    ops.main(["quarantine"])
    [item] = json.loads(capsys.readouterr().out)
    assert item["reason"] == "meta_error"


def test_parked_reminder_jobs_are_counted_and_replayed(
    container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3

    sqs = boto3.client("sqs", region_name="eu-south-1")
    dlq = sqs.get_queue_url(QueueName="sportello-reminders-dlq")["QueueUrl"]
    queue = sqs.get_queue_url(QueueName="sportello-reminders")["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"job": n}))

    ops.main(["reminders-dlq"])
    assert json.loads(capsys.readouterr().out) == {"parked": 3}
    ops.main(["reminders-dlq", "--replay"])
    assert json.loads(capsys.readouterr().out) == {"replayed": 3}

    moved = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    assert sorted(json.loads(m["Body"])["job"] for m in moved) == [0, 1, 2]
    ops.main(["reminders-dlq"])
    assert json.loads(capsys.readouterr().out) == {"parked": 0}
