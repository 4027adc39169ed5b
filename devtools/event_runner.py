"""Runs the app's non-HTTP handlers locally, which ``chalice local`` does not do.

DynamoDB stream handlers read their table's stream (found through the merge template, as in AWS), SQS handlers
long-poll their queue, and scheduled handlers fire at their rate. Handlers run in-process through
``chalice.test.Client``, the same code path as the tests, against whatever endpoint boto3 is pointed at.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import boto3
from chalice.app import DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig

from devtools.events.invoke import Invocation, Invoker
from devtools.events.queues import QueuePoller
from devtools.events.schedules import Schedule, period_of, scheduled_event
from devtools.events.streams import Backoff, StreamPoller, StreamTarget
from devtools.events.template import source_override
from devtools.local_aws import ROOT, load_template, resolve

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

log = logging.getLogger("devtools.events")
ACCOUNT = "123456789012"  # moto's account: only used in ARNs that no local service checks


class EventRunner:
    """Feeds streams, queues and schedules to the app's handlers until :meth:`stop`."""

    def __init__(
        self,
        app: Any,
        *,
        template: dict[str, Any] | None = None,
        names: dict[str, str] | None = None,
        session: boto3.session.Session | None = None,
        project_dir: Path = ROOT,
        stage: str = "dev",
        poll_interval: float = 0.3,
        backoff: Backoff | None = None,
        schedule_period: float | None = None,
    ) -> None:
        from chalice.test import Client

        self._app, self._stage = app, stage
        self._template = template if template is not None else load_template()
        self._names = names if names is not None else resolve(self._template).names
        self._session = session or boto3.session.Session()
        self._region = self._session.region_name or "eu-south-1"
        self._invoke = Invoker(Client(app, stage_name=stage, project_dir=str(project_dir)))
        self._poll_interval, self._backoff = poll_interval, backoff or Backoff()
        self._schedule_period = schedule_period  # tests and demos: every schedule fires this often instead
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._schedules: list[Schedule] = []

    def start(self) -> None:
        """Resolve every event source and start one thread per stream or queue, plus one for the schedules."""
        self._stop.clear()
        for source in self._app.event_sources:
            if isinstance(source, DynamoDBEventConfig):
                self._spawn(source.name, self._stream_poller(source))
            elif isinstance(source, SQSEventConfig):
                self._spawn(source.name, self._queue_poller(source))
        now = time.monotonic()
        self._schedules = [
            Schedule(s.name, self._rule_arn(s.name), period, now + period)
            for s in self._scheduled()
            for period in [self._schedule_period or period_of(_expression(s))]
        ]
        if self._schedules:
            self._start_thread("events-schedules", self._schedule_loop)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop every thread (each notices within about a second) and wait for them."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def fire_schedules_now(self) -> list[Invocation]:
        """Invoke every scheduled handler once, now, in the calling thread."""
        return [self._fire(s.name, self._rule_arn(s.name)) for s in self._scheduled()]

    def _scheduled(self) -> list[Any]:
        return [s for s in self._app.event_sources if isinstance(s, ScheduledEventConfig)]

    def _function_arn(self, handler: str) -> str:
        name = f"{self._app.app_name}-{self._stage}-{handler}"  # Chalice's function naming
        return f"arn:aws:lambda:{self._region}:{ACCOUNT}:function:{name}"

    def _rule_arn(self, handler: str) -> str:
        return f"arn:aws:events:{self._region}:{ACCOUNT}:rule/{self._app.app_name}-{self._stage}-{handler}-event"

    def _fire(self, handler: str, rule_arn: str) -> Invocation:
        return self._invoke(handler, scheduled_event(rule_arn, self._region, ACCOUNT), "schedule")

    def _stream_poller(self, source: Any) -> StreamPoller | None:
        override = source_override(self._template, source.name, "Stream")
        # The template's Fn::GetAtt names the table; without an override, the handler's literal ARN does.
        table = self._names.get(override.source_logical_id or "") or source.stream_arn.split(":", 5)[-1].split("/")[1]
        description = self._session.client("dynamodb").describe_table(TableName=table)["Table"]
        stream_arn = description.get("LatestStreamArn")
        if not stream_arn:
            log.warning("%s: table %s has no stream; handler not fed", source.name, table)
            return None
        sqs = self._session.client("sqs")
        failure_queue = self._names.get(override.on_failure_logical_id or "")
        target = StreamTarget(
            handler=source.name,
            function_arn=self._function_arn(source.name),
            stream_arn=stream_arn,
            batch_size=source.batch_size,
            max_retries=override.max_retries,
            patterns=override.patterns,
            failure_queue_url=sqs.get_queue_url(QueueName=failure_queue)["QueueUrl"] if failure_queue else None,
        )
        streams = self._session.client("dynamodbstreams")
        return StreamPoller(
            target,
            streams=streams,
            sqs=sqs,
            invoke=self._invoke,
            stop=self._stop,
            region=self._region,
            backoff=self._backoff,
        )

    def _queue_poller(self, source: Any) -> QueuePoller:
        override = source_override(self._template, source.name, "Queue")
        queue = self._names.get(override.source_logical_id or "") or source.queue or source.queue_arn.split(":")[-1]
        sqs = self._session.client("sqs")
        return QueuePoller(
            source.name,
            queue,
            batch_size=source.batch_size,
            sqs=sqs,
            invoke=self._invoke,
            region=self._region,
        )

    def _spawn(self, name: str, poller: StreamPoller | QueuePoller | None) -> None:
        if poller is not None:
            self._start_thread(f"events-{name}", lambda: self._poll_loop(name, poller.poll_once))

    def _start_thread(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _poll_loop(self, name: str, poll_once: Callable[[], bool]) -> None:
        while not self._stop.is_set():
            try:
                busy = poll_once()
            except Exception as exc:  # the endpoint restarting, an expired iterator...: keep going
                log.warning("%s: polling failed (%s); retrying", name, type(exc).__name__)
                self._stop.wait(1.0)
                busy = False
            if not busy:
                self._stop.wait(self._poll_interval)

    def _schedule_loop(self) -> None:
        while not self._stop.wait(self._poll_interval):
            now = time.monotonic()
            for schedule in self._schedules:
                if schedule.take_if_due(now):
                    self._fire(schedule.handler, schedule.rule_arn)


def _expression(source: Any) -> str:
    expression = source.schedule_expression
    return expression if isinstance(expression, str) else str(expression.to_string())
