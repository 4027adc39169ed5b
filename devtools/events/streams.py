"""A DynamoDB stream read like a Lambda event source mapping: shards in order, retries, failure queue."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from devtools.events.invoke import log
from devtools.events.template import accepted

if TYPE_CHECKING:
    import threading
    from collections.abc import Mapping

    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_sqs import SQSClient

    from devtools.events.invoke import Invoker

# How often the stream is described again to notice new shards (DynamoDB rolls shards over every few hours).
DISCOVERY_SECONDS = 10.0
_DYNAMODB_FIELDS = (
    "ApproximateCreationDateTime",
    "Keys",
    "NewImage",
    "OldImage",
    "SequenceNumber",
    "SizeBytes",
)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential delay between retries of a failed batch."""

    base: float = 0.2
    cap: float = 2.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based)."""
        return float(min(self.cap, self.base * 2**attempt))


@dataclass(frozen=True, slots=True)
class StreamTarget:
    """One handler fed by one stream, with the mapping's settings from the merge template."""

    handler: str
    function_arn: str
    stream_arn: str
    batch_size: int
    max_retries: int
    patterns: list[dict[str, Any]] = field(default_factory=list)
    failure_queue_url: str | None = None


def lambda_record(raw: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A GetRecords record shaped like a Lambda event's record (Chalice needs epoch seconds and the ARN)."""
    source = raw["dynamodb"]
    dynamodb = {key: source[key] for key in _DYNAMODB_FIELDS if key in source}
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    dynamodb["StreamViewType"] = source.get("StreamViewType", "NEW_IMAGE")
    return {
        "eventID": raw["eventID"],
        "eventName": raw["eventName"],
        "eventVersion": raw.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,  # moto always says us-east-1
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


class StreamPoller:
    """Reads every shard of a stream from TRIM_HORIZON and delivers the records in order, batch by batch."""

    def __init__(
        self,
        target: StreamTarget,
        *,
        streams: DynamoDBStreamsClient,
        sqs: SQSClient,
        invoke: Invoker,
        stop: threading.Event,
        region: str,
        backoff: Backoff,
    ) -> None:
        self.target = target
        self._streams, self._sqs, self._invoke, self._stop = streams, sqs, invoke, stop
        self._region, self._backoff = region, backoff
        self._iterators: dict[str, str | None] = {}  # open shards; None: (re)acquire the iterator
        self._parents: dict[str, str | None] = {}
        self._last_sequence: dict[str, str] = {}
        self._finished: set[str] = set()
        self._next_discovery = 0.0

    def poll_once(self) -> bool:
        """Read each readable shard once; True when records were delivered."""
        if time.monotonic() >= self._next_discovery:
            self._discover()
            self._next_discovery = time.monotonic() + DISCOVERY_SECONDS
        delivered = False
        for shard_id in list(self._iterators):
            if self._parents.get(shard_id) in self._iterators:
                continue  # Lambda finishes a parent shard before reading its children
            try:
                delivered |= self._read(shard_id)
            except Exception:
                self._iterators[shard_id] = None  # expired or broken: start again after the last delivered record
                raise
        return delivered

    def _discover(self) -> None:
        kwargs: dict[str, Any] = {"StreamArn": self.target.stream_arn}
        while True:
            description = self._streams.describe_stream(**kwargs)["StreamDescription"]
            for shard in description.get("Shards", []):
                shard_id = shard["ShardId"]
                if shard_id not in self._iterators and shard_id not in self._finished:
                    self._iterators[shard_id] = None
                    self._parents[shard_id] = shard.get("ParentShardId")
            if not description.get("LastEvaluatedShardId"):
                return
            kwargs["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]

    def _read(self, shard_id: str) -> bool:
        iterator = self._iterators[shard_id] or self._new_iterator(shard_id)
        page = self._streams.get_records(ShardIterator=iterator, Limit=min(self.target.batch_size, 1000))
        records = page.get("Records", [])
        if records:
            self._deliver(shard_id, [lambda_record(r, self.target.stream_arn, self._region) for r in records])
            self._last_sequence[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
        next_iterator = page.get("NextShardIterator")
        if next_iterator:
            self._iterators[shard_id] = next_iterator
        else:  # the shard is closed and fully read
            del self._iterators[shard_id]
            self._finished.add(shard_id)
        return bool(records)

    def _new_iterator(self, shard_id: str) -> str:
        arn, last = self.target.stream_arn, self._last_sequence.get(shard_id)
        if last is None:
            response = self._streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
            )
        else:
            response = self._streams.get_shard_iterator(
                StreamArn=arn,
                ShardId=shard_id,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                SequenceNumber=last,
            )
        return response["ShardIterator"]

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        batch = [r for r in records if accepted(self.target.patterns, r)]
        if not batch:
            return
        attempts = 1 + self.target.max_retries
        what = f"{len(batch)} records"
        for attempt in range(attempts):
            note = f" attempt {attempt + 1}/{attempts}" if attempt else ""
            if self._invoke(self.target.handler, {"Records": batch}, what, note).ok:
                return
            if attempt + 1 < attempts and self._stop.wait(self._backoff.delay(attempt)):
                return  # stopping: the batch is neither delivered nor parked, as when Lambda is interrupted
        self._park(shard_id, batch, attempts)

    def _park(self, shard_id: str, batch: list[dict[str, Any]], attempts: int) -> None:
        if self.target.failure_queue_url is None:
            return
        body = failure_record(self.target, shard_id, batch, attempts)
        self._sqs.send_message(QueueUrl=self.target.failure_queue_url, MessageBody=json.dumps(body))
        queue = self.target.failure_queue_url.rsplit("/", 1)[-1]
        log.warning("%s %d records -> retries exhausted, parked on %s", self.target.handler, len(batch), queue)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def failure_record(target: StreamTarget, shard_id: str, batch: list[dict[str, Any]], attempts: int) -> dict[str, Any]:
    """The on-failure message Lambda sends for a stream batch (metadata only, never the records)."""
    first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": target.function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": _iso(time.time()),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _iso(first.get("ApproximateCreationDateTime", 0)),
            "approximateArrivalOfLastRecord": _iso(last.get("ApproximateCreationDateTime", 0)),
            "batchSize": len(batch),
            "streamArn": target.stream_arn,
        },
    }
