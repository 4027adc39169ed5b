"""A reminder meets Meta's pair-rate limit (the simulator's 131056 switch) on the real local system: it is retried
with back-off and arrives exactly once, in the applicant's language."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from devtools import local_auth
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


def _sweep(system: LocalSystem, as_of: str) -> None:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    command = [sys.executable, "-m", "devtools.ops", "--local", system.aws, "sweep", "--as-of", as_of]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]


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

    config = f"{system.simulator}/_simulator/config"
    requests.post(config, json={"pair_rate_limit": True, "pair_rate_seconds": 6}, timeout=10).raise_for_status()
    try:
        _sweep(system, f"{date.today() + timedelta(days=3)}T09:05")
        deadline = time.monotonic() + 60
        while not [m for m in _outbox(system, digits) if m["accepted"] and REMINDER in str(m["body"])]:
            assert time.monotonic() < deadline, system.output_tail()
            time.sleep(0.5)
    finally:
        requests.post(config, json={"pair_rate_limit": False}, timeout=10).raise_for_status()

    reminders = [m for m in _outbox(system, digits) if REMINDER in str(m["body"])]
    accepted = [m for m in reminders if m["accepted"]]
    refused = [m for m in reminders if not m["accepted"]]
    assert len(accepted) == 1 and accepted[0]["body"]["template"]["language"]["code"] == "es"
    assert refused and all(m["result"]["error"]["code"] == 131056 for m in refused)  # it did meet the limit
    time.sleep(2)
    _sweep(system, f"{date.today() + timedelta(days=3)}T09:05")  # the schedule fires again: nothing more
    time.sleep(2)
    assert len([m for m in _outbox(system, digits) if m["accepted"] and REMINDER in str(m["body"])]) == 1
