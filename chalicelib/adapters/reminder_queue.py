"""The reminder jobs' SQS queue (boto3): batched sends, each job with its pacing delay."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from chalicelib.services.reminders.ports import ReminderJob


def job_body(job: ReminderJob) -> str:
    """The message body of a job."""
    return json.dumps(asdict(job), separators=(",", ":"))


class SqsJobQueue:
    """Sends jobs with ``SendMessageBatch``; the queue is named (locally) or given by URL (``Ref`` in AWS)."""

    def __init__(self, queue: str, client: Callable[[], Any]) -> None:
        self._queue, self._client = queue, client
        self._url: str | None = queue if queue.startswith("http") else None

    def url(self) -> str:
        """The queue's URL (looked up once from its name)."""
        if self._url is None:
            self._url = str(self._client().get_queue_url(QueueName=self._queue)["QueueUrl"])
        return self._url

    def send_batch(self, jobs: Sequence[tuple[ReminderJob, int]]) -> int:
        if not jobs:
            return 0
        entries = [
            {"Id": str(i), "MessageBody": job_body(job), "DelaySeconds": delay} for i, (job, delay) in enumerate(jobs)
        ]
        response = self._client().send_message_batch(QueueUrl=self.url(), Entries=entries)
        return len(response.get("Successful", []))
