"""The local event runner feeds streams, queues and schedules to handlers the way Lambda would."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from chalice import Chalice, Rate

from devtools.event_runner import EventRunner
from devtools.events.schedules import period_of
from devtools.events.streams import Backoff
from devtools.events.template import accepted
from devtools.local_aws import LocalResources, create_resources, resolve

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

REGION = "eu-south-1"
PLACEHOLDER_ARN = f"arn:aws:dynamodb:{REGION}:000000000000:table/placeholder/stream/x"


def _template(max_retries: int = 2) -> dict[str, Any]:
    """A small merge template shaped like ``infra/resources.json``: a streamed table and its failure queue."""
    return {
        "Resources": {
            "ItemsTable": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
                },
            },
            "FailuresQueue": {"Type": "AWS::SQS::Queue"},
            "WorkQueue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 1}},
            "OnItem": {
                "Properties": {
                    "Events": {
                        "OnItemDynamodbEventSource": {
                            "Properties": {
                                "Stream": {"Fn::GetAtt": ["ItemsTable", "StreamArn"]},
                                "MaximumRetryAttempts": max_retries,
                                "FilterCriteria": {"Filters": [{"Pattern": '{"eventName": ["INSERT"]}'}]},
                                "DestinationConfig": {
                                    "OnFailure": {"Destination": {"Fn::GetAtt": ["FailuresQueue", "Arn"]}}
                                },
                            }
                        }
                    }
                }
            },
        }
    }


class Recorder:
    """What the test app's handlers saw; ``fail_on`` makes the stream handler raise for those keys."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.batches: list[list[dict[str, Any]]] = []
        self.bodies: list[str] = []
        self.ticks = 0
        self.fail_on: set[str] = set()
        self.fail_bodies: set[str] = set()

    def stream_keys(self) -> list[str]:
        with self.lock:
            return [r["dynamodb"]["Keys"]["pk"]["S"] for batch in self.batches for r in batch]


def _app(recorder: Recorder, queue_name: str | None) -> Chalice:
    app = Chalice(app_name="runner-test")

    @app.on_dynamodb_record(stream_arn=PLACEHOLDER_ARN, batch_size=2)
    def on_item(event: Any) -> int:
        records = [record.to_dict() for record in event]
        with recorder.lock:
            recorder.batches.append(records)
        if any(r["dynamodb"]["Keys"]["pk"]["S"] in recorder.fail_on for r in records):
            raise RuntimeError("boom")
        return len(records)

    if queue_name is not None:  # only where needed: stop() waits for the queue's 1 s long poll

        @app.on_sqs_message(queue=queue_name, batch_size=5)
        def on_work(event: Any) -> None:
            bodies = [record.body for record in event]
            with recorder.lock:
                recorder.bodies.extend(bodies)
            if recorder.fail_bodies & set(bodies):
                raise RuntimeError("boom")

    @app.schedule(Rate(5, unit=Rate.MINUTES))
    def tick(event: Any) -> dict[str, str]:
        with recorder.lock:
            recorder.ticks += 1
        return {"source": event.source}

    return app


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


class Harness:
    """A test app, its resources in moto server and the runner feeding it."""

    def __init__(self, template: dict[str, Any], with_queue: bool = False, **runner_options: Any) -> None:
        self.session = boto3.session.Session(region_name=REGION)
        self.resources: LocalResources = resolve(template, prefix=f"t{uuid.uuid4().hex[:8]}")
        create_resources(template, self.resources, self.session, REGION)
        self.recorder = Recorder()
        self.app = _app(self.recorder, self.resources.names["WorkQueue"] if with_queue else None)
        self.runner = EventRunner(
            self.app, template=template, names=self.resources.names, session=self.session, **runner_options
        )
        self.dynamodb = self.session.client("dynamodb")
        self.sqs = self.session.client("sqs")

    def put(self, key: str, value: str = "v") -> None:
        item = {"pk": {"S": key}, "value": {"S": value}}
        self.dynamodb.put_item(TableName=self.resources.names["ItemsTable"], Item=item)

    def queue_url(self, logical_id: str) -> str:
        return self.sqs.get_queue_url(QueueName=self.resources.names[logical_id])["QueueUrl"]


@pytest.fixture
def make_harness(moto_endpoint: str) -> Iterator[Callable[..., Harness]]:
    """Builds harnesses on the module's moto server and stops their runners after the test, pass or fail."""
    made: list[Harness] = []

    def make(with_queue: bool = False, **runner_options: Any) -> Harness:
        made.append(Harness(_template(), with_queue, **runner_options))
        return made[-1]

    yield make
    for built in made:
        built.runner.stop()


@pytest.fixture
def harness(make_harness: Callable[..., Harness]) -> Harness:
    return make_harness(backoff=Backoff(base=0.01, cap=0.05), poll_interval=0.1)


def test_stream_records_reach_the_handler_in_order_in_batches(harness: Harness) -> None:
    harness.put("k0")  # written before the runner starts: TRIM_HORIZON still delivers it
    harness.runner.start()
    for i in range(1, 7):
        harness.put(f"k{i}")
    harness.put("k3", "changed")  # a MODIFY: filtered out by the template's INSERT-only pattern
    harness.put("k7")  # after the MODIFY in the stream: once it is delivered, so is (or not) the MODIFY

    eventually(lambda: "k7" in harness.recorder.stream_keys())
    assert harness.recorder.stream_keys() == [f"k{i}" for i in range(8)]
    assert all(1 <= len(batch) <= 2 for batch in harness.recorder.batches)
    record = harness.recorder.batches[0][0]
    table = harness.dynamodb.describe_table(TableName=harness.resources.names["ItemsTable"])["Table"]
    assert record["eventSourceARN"] == table["LatestStreamArn"]
    assert (record["eventName"], record["eventSource"], record["awsRegion"]) == ("INSERT", "aws:dynamodb", REGION)
    assert record["dynamodb"]["NewImage"] == {"pk": {"S": "k0"}, "value": {"S": "v"}}
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int | float)


def test_a_failing_batch_is_retried_then_parked_on_the_failure_queue(harness: Harness) -> None:
    harness.recorder.fail_on = {"bad"}
    harness.runner.start()
    harness.put("bad")
    eventually(lambda: len(harness.recorder.stream_keys()) >= 3)  # 1 try + MaximumRetryAttempts 2
    harness.put("ok")  # the stream moves on after the failed batch is given up

    eventually(lambda: "ok" in harness.recorder.stream_keys())
    assert harness.recorder.stream_keys() == ["bad", "bad", "bad", "ok"]  # 1 try + MaximumRetryAttempts 2
    messages = harness.sqs.receive_message(QueueUrl=harness.queue_url("FailuresQueue"), WaitTimeSeconds=1)
    [message] = messages["Messages"]
    failure = json.loads(message["Body"])
    info = failure["DDBStreamBatchInfo"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["requestContext"]["functionArn"].endswith(":function:runner-test-dev-on_item")
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"].endswith("/stream/" + info["streamArn"].rsplit("/", 1)[-1])
    assert info["shardId"]
    assert "bad" not in message["Body"]  # metadata only, never the records


def test_sqs_messages_are_deleted_on_success_and_redelivered_on_failure(
    make_harness: Callable[..., Harness],
) -> None:
    harness = make_harness(with_queue=True, poll_interval=0.1)
    url = harness.queue_url("WorkQueue")
    harness.recorder.fail_bodies = {"poison"}
    harness.runner.start()
    harness.sqs.send_message(QueueUrl=url, MessageBody="hello")
    eventually(lambda: "hello" in harness.recorder.bodies)
    harness.sqs.send_message(QueueUrl=url, MessageBody="poison")
    eventually(lambda: harness.recorder.bodies.count("poison") >= 2)  # back after the 1 s visibility timeout
    harness.runner.stop()
    attributes = harness.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (
        int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"]) == 1
    )
    assert harness.recorder.bodies.count("hello") == 1


def test_schedules_fire_at_their_period_and_on_demand(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(poll_interval=0.05, schedule_period=0.2)
    [now] = harness.runner.fire_schedules_now()
    assert (now.handler, now.ok, now.payload) == ("tick", True, {"source": "aws.events"})
    harness.runner.start()
    eventually(lambda: harness.recorder.ticks >= 3, timeout=5)


def test_stop_returns_promptly(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(with_queue=True, schedule_period=60.0)  # a stream, a queue and a schedule thread
    harness.runner.start()
    time.sleep(0.3)
    started = time.monotonic()
    harness.runner.stop()
    assert time.monotonic() - started < 1.5


def test_schedule_expressions_and_filters() -> None:
    assert [period_of(e) for e in ("rate(5 minutes)", "rate(1 hour)", "rate(2 days)", "cron(0 9 * * ? *)")] == [
        300.0,
        3600.0,
        172800.0,
        60.0,
    ]
    with pytest.raises(ValueError, match="unsupported"):
        period_of("every 5 minutes")
    insert_only = [{"eventName": ["INSERT"]}]
    assert accepted(insert_only, {"eventName": "INSERT"}) and not accepted(insert_only, {"eventName": "MODIFY"})
    nested = [{"dynamodb": {"NewImage": {"state": {"S": ["pending"]}}}}]
    assert accepted(nested, {"dynamodb": {"NewImage": {"state": {"S": "pending"}}}})
    assert not accepted(nested, {"dynamodb": {}}) and accepted([], {"anything": 1})
