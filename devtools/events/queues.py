"""An SQS queue read like a Lambda event source mapping: long poll, delete on success, retry on failure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import DeleteMessageBatchRequestEntryTypeDef, MessageTypeDef

    from devtools.events.invoke import Invoker

# The shortest long poll: keeps an idle queue cheap and still lets stop() return within about a second.
WAIT_SECONDS = 1


def _attribute(value: Any) -> dict[str, Any]:
    # Lambda spells SQS message attributes in camelCase and always lists both list fields.
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": value.get("BinaryValue"),
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": value.get("BinaryListValues", []),
        "dataType": value.get("DataType"),
    }


def lambda_record(message: MessageTypeDef, queue_arn: str, region: str) -> dict[str, Any]:
    """A received message shaped like a record of Lambda's SQS event (``generate_sqs_event``'s shape)."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {k: _attribute(v) for k, v in message.get("MessageAttributes", {}).items()},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class QueuePoller:
    """Feeds one queue to one handler; a failed batch stays in the queue and reappears after its visibility
    timeout, so the queue's own redrive policy moves a poison message to its dead-letter queue."""

    def __init__(
        self, handler: str, queue_name: str, *, batch_size: int, sqs: SQSClient, invoke: Invoker, region: str
    ) -> None:
        self.handler = handler
        self._sqs, self._invoke, self._region = sqs, invoke, region
        self._batch_size = max(1, min(batch_size, 10))  # ReceiveMessage returns at most 10
        self._url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"]
        self._arn = attributes["QueueArn"]

    def poll_once(self) -> bool:
        """One long poll; True when a batch was handed to the handler."""
        messages = self._sqs.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=WAIT_SECONDS,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return False
        event = {"Records": [lambda_record(m, self._arn, self._region) for m in messages]}
        if self._invoke(self.handler, event, f"{len(messages)} messages").ok:
            entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ]
            self._sqs.delete_message_batch(QueueUrl=self._url, Entries=entries)
        return True
