"""A reminder meets Meta's pair-rate limit (the simulator's 131056 switch) on the real local system: it is retried
with back-off and arrives exactly once, in the applicant's language."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
import requests

from chalicelib.offices import office
from devtools import local_auth
from devtools.local_aws import load_template, resolve
from tests.conftest import ROOT
from tests.e2e.conftest import LocalSystem

pytestmark = pytest.mark.e2e
REMINDER = "sportello_promemoria_documenti"


def _outbox(system: LocalSystem, digits: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{system.simulator}/_simulator/messages", params={"to": digits, "include": "all"}, timeout=10
    )
    response.raise_for_status()
    return [m for m in response.json() if m["body"].get("type") == "template"]


def _sweep(system: LocalSystem, as_of: str) -> dict[str, int]:
    """Run the reminder sweep on the local system as of ``as_of``; its counts (``due``, ``queued``)."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    command = [sys.executable, "-m", "devtools.ops", "--local", system.aws, "sweep", "--as-of", as_of]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    # Its stdout holds the app's one-line JSON logs, then the result, indented: from its last line that is "{".
    lines = result.stdout.splitlines()
    start = max(number for number, line in enumerate(lines) if line == "{")
    counts: dict[str, int] = json.loads("\n".join(lines[start:]))
    return counts


def _reminder_sweep_time(requested_on: date, zone: ZoneInfo) -> str:
    """09:05 at the office, three days after the request: the first document reminder is due by then.

    The day is the office's (due dates are office-local), never the machine's: from 23:00 Rome (22:00 UTC in
    summer) until midnight UTC the machine's date is the day before Rome's, and a sweep on its "day + 3" found
    nothing due. The offset is explicit, so the sweep reads it as the office's time whatever its default zone.
    """
    return datetime.combine(requested_on + timedelta(days=3), clock(9, 5), zone).isoformat()


def _local_aws(system: LocalSystem) -> dict[str, Any]:
    """Client arguments for the local system's moto."""
    return {
        "endpoint_url": system.aws,
        "region_name": "eu-south-1",
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
        "aws_session_token": None,
    }


def _reminder_states(system: LocalSystem, case_id: str) -> dict[str, str]:
    """The case's missing-documents reminders and their states (one Query on the reminders table)."""
    table = resolve(load_template()).environment["REMINDERS_TABLE"]
    items = (
        boto3.session.Session()
        .client("dynamodb", **_local_aws(system))
        .query(
            TableName=table,
            KeyConditionExpression="case_id = :c",
            ExpressionAttributeValues={":c": {"S": case_id}},
            ConsistentRead=True,
        )["Items"]
    )
    return {item["reminder_id"]["S"]: item["state"]["S"] for item in items if item["kind"]["S"] == "missing_documents"}


def _until(condition: Any, what: str, system: LocalSystem, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} not within {timeout} s\n{system.output_tail()}"
        time.sleep(0.5)


def test_a_throttled_reminder_is_retried_and_sent_once(local_system: LocalSystem) -> None:
    system = local_system
    digits = f"3933{random.randint(10_000_000, 99_999_999)}"
    token = local_auth.mint_id_token(
        local_auth.signing_key(), issuer=local_auth.issuer_for(system.api), office="AN", role="officer"
    )
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "procedure": "rinnovo",
        "permit_type": "lavoro_subordinato",
        "applicant": {"phone": f"+{digits}", "name": "Lucía", "language": "es"},
    }
    case = requests.post(f"{system.api}/api/cases", headers=headers, json=body, timeout=10).json()["case"]
    requested = requests.post(
        f"{system.api}/api/cases/{case['id']}/requests", headers=headers, json={"items": ["buste_paga"]}, timeout=10
    )
    assert requested.status_code == 200, requested.text
    zone = ZoneInfo(office(case["office"]).timezone)
    # Read after the request: at worst a day later than the request's office-local day, never earlier, so the
    # first reminder (three days after that day, at 09:00) is due at the sweep's time.
    as_of = _reminder_sweep_time(datetime.now(zone).date(), zone)

    def sent(accepted: bool) -> bool:
        return any(bool(m["accepted"]) == accepted and REMINDER in str(m["body"]) for m in _outbox(system, digits))

    # The pair limit (one message per window to a person, counted from the last one accepted) holds until the
    # reminder has met it once, then lifts: the retry's success follows from that, not from a 6-second race with
    # the request's message (lost in a busy session, where the sweep and the worker take longer than that).
    config = f"{system.simulator}/_simulator/config"
    requests.post(config, json={"pair_rate_limit": True, "pair_rate_seconds": 3600}, timeout=10).raise_for_status()
    try:
        assert _sweep(system, as_of)["queued"] >= 1  # this case's, and any other test's due by then
        _until(lambda: sent(accepted=False), "the reminder refused with 131056", system)
    finally:
        requests.post(config, json={"pair_rate_limit": False}, timeout=10).raise_for_status()
    _until(lambda: sent(accepted=True), "the retried reminder accepted", system)

    reminders = [m for m in _outbox(system, digits) if REMINDER in str(m["body"])]
    accepted = [m for m in reminders if m["accepted"]]
    refused = [m for m in reminders if not m["accepted"]]
    assert len(accepted) == 1 and accepted[0]["body"]["template"]["language"]["code"] == "es"
    assert refused and all(m["result"]["error"]["code"] == 131056 for m in refused)  # it did meet the limit

    # Nothing more can come: the reminder is recorded sent (a durable record, not a pause), so any job for it still
    # on the queue finds it done and sends nothing, and the schedule firing again finds nothing to queue.
    _until(lambda: "sent" in _reminder_states(system, case["id"]).values(), "the reminder recorded sent", system)
    assert _sweep(system, as_of)["queued"] == 0
    assert len([m for m in _outbox(system, digits) if m["accepted"] and REMINDER in str(m["body"])]) == 1
