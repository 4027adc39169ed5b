"""Meta delivers in bursts: 150 signed webhook POSTs at once to the local system's API, all taken, each message
stored and answered exactly once (issue 16, point 8)."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import requests

from devtools.local_aws import load_template, resolve
from tests.e2e.conftest import SECRETS
from tests.support import signed

if TYPE_CHECKING:
    from tests.e2e.conftest import LocalSystem

pytestmark = pytest.mark.e2e
BURST = 150
PROCESSED_TIMEOUT = 120.0  # the event runner works through 150 first contacts one stream batch at a time


def _register(system: LocalSystem, serial: int) -> dict[str, Any]:
    """A first contact from a phone of its own, written through the simulator while it holds webhooks: the simulator
    then knows the phone (the reply is inside its window) and the wamid (the read receipt), and delivers nothing."""
    request = {"from": f"+3933451{serial:05d}", "name": "Burst", "text": "Ciao"}
    response = requests.post(f"{system.simulator}/_simulator/inbound", json=request, timeout=10)
    response.raise_for_status()
    sent: dict[str, Any] = response.json()
    assert sent["held"], sent
    return sent


def _webhook(sent: dict[str, Any]) -> dict[str, Any]:
    """The webhook Meta would send for a registered message (the simulator's own holds the same message)."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390712288000", "phone_number_id": sent["phone_number_id"]},
        "contacts": [{"profile": {"name": "Burst"}, "wa_id": sent["wa_id"], "user_id": sent["user_id"]}],
        "messages": [
            {
                "from": sent["wa_id"],
                "from_user_id": sent["user_id"],
                "id": sent["wamid"],
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": "Ciao"},
            }
        ],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }


def _fire(url: str, payloads: list[dict[str, Any]]) -> list[tuple[int | str, float]]:
    """POST every payload at the same moment (one thread each, released together): (status or error, seconds)."""
    requests_ready = [signed(payload, SECRETS["WHATSAPP_APP_SECRET"]) for payload in payloads]
    start = threading.Barrier(len(payloads))

    def post(request: tuple[bytes, dict[str, str]]) -> tuple[int | str, float]:
        body, headers = request
        start.wait()
        began = time.monotonic()
        try:
            status: int | str = requests.post(url, data=body, headers=headers, timeout=60).status_code
        except requests.RequestException as exc:  # a reset connection is what this test is about
            status = type(exc).__name__
        return status, time.monotonic() - began

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        return list(pool.map(post, requests_ready))


def _inbound_rows(system: LocalSystem, wamids: set[str]) -> list[dict[str, Any]]:
    """The inbound rows of ``wamids``, read straight from moto (a Scan: this is a test, not app code)."""
    dynamodb = boto3.session.Session().client(
        "dynamodb",
        endpoint_url=system.aws,
        region_name="eu-south-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        aws_session_token=None,
    )
    table = resolve(load_template()).environment["INBOUND_TABLE"]
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=table, ProjectionExpression="wamid, #s", ExpressionAttributeNames={"#s": "state"}
    )
    return [item for page in pages for item in page["Items"] if item["wamid"]["S"] in wamids]


def _replies(system: LocalSystem, wamids: set[str]) -> Counter[str]:
    """How many replies the simulator received that answer each of ``wamids``."""
    response = requests.get(f"{system.simulator}/_simulator/messages", timeout=30)
    response.raise_for_status()
    answered = ((m["body"].get("context") or {}).get("message_id") for m in response.json())
    return Counter(wamid for wamid in answered if wamid in wamids)


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def test_150_concurrent_signed_webhooks_are_all_taken_and_each_message_answered_once(
    local_system: LocalSystem,
) -> None:
    config = f"{local_system.simulator}/_simulator/config"
    requests.post(config, json={"hold": True}, timeout=10).raise_for_status()
    try:
        registered = [_register(local_system, serial) for serial in range(BURST)]
        results = _fire(f"{local_system.api}/webhook", [_webhook(sent) for sent in registered])
    finally:
        requests.post(config, json={"hold": False}, timeout=10).raise_for_status()
        # The simulator's own copies, one after another: Meta's redelivery of what was already taken.
        flushed = requests.post(f"{local_system.simulator}/_simulator/flush", json={"mode": "in_order"}, timeout=300)
        flushed.raise_for_status()
    wamids = {str(sent["wamid"]) for sent in registered}

    statuses = Counter(status for status, _ in results)
    assert statuses == {200: BURST}, f"{statuses}\n{local_system.output_tail()}"
    latencies = [seconds for _, seconds in results]
    print(  # the figures in BENCHMARKS.md come from this line (pytest -s)
        f"webhook burst: {BURST} concurrent, all 200; latency p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {_percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    redelivered = [status for webhook in flushed.json()["webhooks"] for status in webhook["statuses"]]
    assert redelivered == [200] * BURST

    # Stored once each, processed (the rows' state: the durable record that the stream got through them) and
    # answered: polled together, as replies may leave after the row is marked (an outbox sends after the save).
    deadline = time.monotonic() + PROCESSED_TIMEOUT
    while True:
        rows = _inbound_rows(local_system, wamids)
        processed = sum(row.get("state", {}).get("S") == "processed" for row in rows)
        replies = _replies(local_system, wamids)
        if processed == BURST and set(replies) == wamids:
            break
        assert time.monotonic() < deadline, (
            f"within {PROCESSED_TIMEOUT} s: {len(rows)} stored, {processed} processed, {len(replies)} answered of "
            f"{BURST}\n{local_system.output_tail()}"
        )
        time.sleep(0.5)
    assert Counter(row["wamid"]["S"] for row in rows) == Counter(wamids)  # every wamid stored, none twice
    assert replies == Counter(wamids)  # one reply each (the first contact's language menu), none twice
