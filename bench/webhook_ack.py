"""Benchmark: the webhook's ack path, in-process, against moto's server on loopback.

Measures, in one run and interleaved so that machine noise hits both alike:
- p50/p99 of ``POST /webhook`` (through the Chalice app) for a 1-message body and a 100-update batch;
- AWS API calls per inbound message on the ack path, counted with botocore ``before-send`` hooks;
- one bare DynamoDB PutItem round trip (boto3) against the same server, for scale.
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any

from bench.measure import CallCounter, timing

if TYPE_CHECKING:
    from collections.abc import Callable

    from bench.environment import LocalAws

ITERATIONS = 300
BATCH_ITERATIONS = 30
WARMUP = 20


def _payload(first: int, count: int, applicants: int) -> dict[str, Any]:
    messages = [
        {
            "from": f"39333{(first + i) % applicants:07d}",
            "id": f"wamid.bench.{first + i}",
            "timestamp": str(1764100000 + i),
            "type": "text",
            "text": {"body": "Buongiorno, vorrei sapere lo stato della mia pratica"},
        }
        for i in range(count)
    ]
    contacts = [{"profile": {"name": "Bench"}, "wa_id": m["from"], "user_id": f"IT.{m['from']}"} for m in messages]
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390712288000", "phone_number_id": "100000000000001"},
        "contacts": contacts,
        "messages": messages,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }


def run(local: LocalAws) -> dict[str, Any]:
    """Run the benchmark and return its figures."""
    from chalice.test import Client

    from app import app
    from chalicelib.adapters.dynamo.models import ALL_MODELS
    from chalicelib.bootstrap import container
    from chalicelib.whatsapp.signature import sign

    secret = os.environ["WHATSAPP_APP_SECRET"]
    c = container()
    counter = CallCounter()
    ddb = local.session.client("dynamodb", region_name=local.region)
    table = c.settings.applicants_table
    with Client(app, stage_name="dev", project_dir=str(local.root)) as client:

        def post(payload: dict[str, Any]) -> float:
            body = json.dumps(payload, separators=(",", ":")).encode()
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(secret, body)}
            start = time.perf_counter()
            response = client.http.post("/webhook", headers=headers, body=body)
            elapsed = time.perf_counter() - start
            assert response.status_code == 200, response.body
            return elapsed

        def bare_put(i: int) -> float:
            start = time.perf_counter()
            ddb.put_item(TableName=table, Item={"applicant_key": {"S": f"bench#{i}"}, "n": {"N": str(i)}})
            return time.perf_counter() - start

        serial = iter(range(10**9))
        for _ in range(WARMUP):  # connections, caches, first-use imports
            post(_payload(next(serial) * 1000, 1, 10_000))
            bare_put(next(serial))
        for model in ALL_MODELS:
            counter.attach(model._get_connection().connection.client)
        for name in ("s3", "secretsmanager"):
            counter.attach(c.client(name))

        single: list[float] = []
        bare: list[float] = []
        counter.calls = 0
        for _ in range(ITERATIONS):
            single.append(post(_payload(next(serial) * 1000, 1, 10_000)))
            bare.append(bare_put(next(serial)))
        calls_single = counter.calls / ITERATIONS

        batch: list[float] = []
        counter.calls = 0
        for _ in range(BATCH_ITERATIONS):
            batch.append(post(_payload(next(serial) * 1000, 100, 40)))
        calls_batch = counter.calls / (BATCH_ITERATIONS * 100)
        duplicate = _payload(42_000_000, 1, 1)
        post(duplicate)
        counter.calls = 0
        post(duplicate)
        calls_duplicate = counter.calls

    return {
        "single": timing(single),
        "batch": timing(batch),
        "bare_put": timing(bare),
        "calls_per_message_single": calls_single,
        "calls_per_message_batch": calls_batch,
        "calls_duplicate": calls_duplicate,
    }


def report(figures: dict[str, Any], emit: Callable[[str], None] = print) -> None:
    """Print the figures as the Markdown table that goes in BENCHMARKS.md."""
    single, batch, bare = figures["single"], figures["batch"], figures["bare_put"]
    target = 1.5 * bare.p99 + 2
    emit("| measure | p50 (ms) | p99 (ms) | n |")
    emit("|---|---|---|---|")
    emit(f"| bare PutItem (boto3 → moto server) | {bare.p50:.2f} | {bare.p99:.2f} | {bare.n} |")
    emit(f"| POST /webhook, 1 message | {single.p50:.2f} | {single.p99:.2f} | {single.n} |")
    emit(f"| POST /webhook, 100-message batch | {batch.p50:.2f} | {batch.p99:.2f} | {batch.n} |")
    emit("")
    emit(
        f"- AWS calls per inbound message on the ack path: {figures['calls_per_message_single']:.2f} (1-message POST), "
        f"{figures['calls_per_message_batch']:.2f} (100-message batch); a redelivered message: "
        f"{figures['calls_duplicate']} call(s). Target ≤ 1."
    )
    emit(
        f"- 1-message ack p99 / bare PutItem p99 = {single.p99 / bare.p99:.2f}; target p99 ≤ 1.5 x {bare.p99:.2f} + 2 "
        f"= {target:.2f} ms → {'met' if single.p99 <= target else 'NOT met'}."
    )
    emit(
        f"- 1-message ack p50 / bare PutItem p50 = {single.p50 / bare.p50:.2f}; "
        f"per message in a batch: {batch.p50 / 100:.2f} ms at p50."
    )
