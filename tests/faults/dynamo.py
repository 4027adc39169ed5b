"""DynamoDB faults through botocore's ``before-call`` hook on the app's own clients (PynamoDB's and boto3's).

A handler that answers ``before-call`` short-circuits the request: the call raises the ``ClientError`` that botocore
raises once its own retries are spent (``ProvisionedThroughputExceededException``), and PynamoDB wraps it as it
would. The same hook runs a second worker on the same item just before a conditional claim, so the first worker's
condition meets a real race.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore.awsrequest import AWSResponse, HTTPHeaders
from pynamodb.models import Model

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

THROTTLED = "ProvisionedThroughputExceededException"


def _models() -> list[type[Model]]:
    found: list[type[Model]] = []
    pending = list(Model.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if getattr(model.Meta, "table_name", "unbound-table") != "unbound-table":
            found.append(model)
    return found


def model_clients() -> list[Any]:
    """The DynamoDB client of each PynamoDB model's connection (made before the hook could see them made)."""
    clients = {id(c): c for c in (m._get_connection().connection.client for m in _models())}
    return list(clients.values())


@dataclass
class DynamoFaults:
    """Throttles a share of DynamoDB calls; before a conditional claim, may let ``race`` run a rival worker."""

    throttle_rate: float = 0.0
    race_rate: float = 0.0
    seed: int = 2
    # (operation, parameters, whether the dice say race) -> the kind of rival that wrote first, or None
    race: Callable[[str, dict[str, Any], bool], str | None] | None = None
    injected: Counter[str] = field(default_factory=Counter)
    clients: list[Any] = field(default_factory=list)
    enabled: bool = False
    _quiet: int = 0
    _racing: bool = False

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def install(self, clients: list[Any]) -> None:
        for client in clients:
            self.hook(client)

    def hook(self, client: Any) -> None:
        """Put the hook on ``client`` (a DynamoDB client; other services' are left alone)."""
        if client.meta.service_model.service_name == "dynamodb":
            client.meta.events.register("before-call.dynamodb.*", self._before_call, unique_id="faults-dynamo")
            self.clients.append(client)

    def uninstall(self) -> None:
        for client in self.clients:
            client.meta.events.unregister("before-call.dynamodb.*", unique_id="faults-dynamo")
        self.clients.clear()

    @contextmanager
    def hooking_new_clients(self) -> Iterator[None]:
        """Every client botocore makes meanwhile gets the hook (the app makes some lazily, e.g. for transactions)."""
        original = botocore.session.Session.create_client

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            self.hook(client)
            return client

        botocore.session.Session.create_client = create_client  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            botocore.session.Session.create_client = original  # type: ignore[method-assign]

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """The harness's own reads and writes: never faulted."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def _before_call(self, model: Any, params: dict[str, Any], **kwargs: Any) -> Any:
        if not self.enabled or self._quiet:
            return None
        # ``params`` is the serialised request: DynamoDB's JSON body holds the API parameters.
        body = params.get("body") or b"{}"
        api: dict[str, Any] = json.loads(body) if isinstance(body, bytes | str) else {}
        if "ConditionExpression" in api or model.name == "TransactWriteItems":
            self._maybe_race(model.name, api)
        if self._random.random() < self.throttle_rate:
            self.injected["dynamo_throttle"] += 1
            error = {"Code": THROTTLED, "Message": "Rate of requests exceeds the allowed throughput (injected)"}
            response = AWSResponse("https://dynamodb.eu-south-1.amazonaws.com/", 400, HTTPHeaders(), None)
            return response, {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}
        return None

    def _maybe_race(self, operation: str, params: dict[str, Any]) -> None:
        """A conditional write is about to run: ``race`` may first let a rival worker write the same item."""
        if self.race is None or self._racing:
            return
        self._racing = True
        try:
            kind = self.race(operation, params, self._random.random() < self.race_rate)
            if kind:
                self.injected[kind] += 1
        finally:
            self._racing = False
