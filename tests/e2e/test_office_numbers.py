"""Two offices, two WhatsApp numbers, one local system (issue 15): a message to the second office's number is that
office's and answered from that number; a message to a number that is no office's gets no reply and is quarantined."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest
import requests

from devtools.local_auth import issuer_for, mint_id_token, signing_key
from tests.e2e.conftest import ROOT, SECRETS

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.e2e.conftest import LocalSystem

pytestmark = pytest.mark.e2e

MC_NUMBER = "100000000000002"  # Macerata's own number in offices.json
AN_NUMBER = SECRETS["WHATSAPP_PHONE_NUMBER_ID"]  # Ancona has none of its own: the configured one
STRANGER = "100000000000099"  # another number of the business account, no office's
POLL_TIMEOUT_S = 10.0


def _number() -> str:
    """A phone nobody else in the session writes from."""
    return f"+39334{secrets.randbelow(9_000_000) + 1_000_000}"


def _write(system: LocalSystem, phone: str, to: str, **content: Any) -> str:
    body = {"from": phone, "name": "Amina", "phone_number_id": to, **content}
    response = requests.post(f"{system.simulator}/_simulator/inbound", json=body, timeout=30)
    response.raise_for_status()
    assert response.json()["webhook_status"] == 200 and response.json()["phone_number_id"] == to
    return str(response.json()["wamid"])


def _outbox(system: LocalSystem, phone: str) -> list[dict[str, Any]]:
    params = {"to": phone.lstrip("+"), "include": "all"}
    response = requests.get(f"{system.simulator}/_simulator/messages", params=params, timeout=10)
    response.raise_for_status()
    return [m for m in response.json() if m["kind"] == "message"]


def _wait_for(system: LocalSystem, phone: str, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while True:
        found = [m for m in _outbox(system, phone) if wanted(m)]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"nothing wanted reached {phone}:\n{system.output_tail()}"
        time.sleep(0.1)


def _replying_to(wamid: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: (m["body"].get("context") or {}).get("message_id") == wamid


def _api(system: LocalSystem, office: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    token = mint_id_token(signing_key(), issuer=issuer_for(system.api), office=office, role="officer")
    headers = {"Authorization": f"Bearer {token}"}
    response = requests.request(method, f"{system.api}{path}", json=body, headers=headers, timeout=30)
    return response.status_code, response.json()


def test_a_stranger_writing_to_the_second_offices_number_hears_that_office_from_that_number(
    local_system: LocalSystem,
) -> None:
    phone = _number()
    menu = _wait_for(local_system, phone, _replying_to(_write(local_system, phone, MC_NUMBER, text="Buongiorno")))
    assert menu["accepted"] and menu["phone_number_id"] == MC_NUMBER
    chose = _write(local_system, phone, MC_NUMBER, list_reply={"id": "lang.it", "title": "Italiano"})
    _wait_for(local_system, phone, _replying_to(chose))
    asked = _write(local_system, phone, MC_NUMBER, list_reply={"id": "info.contacts", "title": "Contatti"})
    contacts = _wait_for(local_system, phone, _replying_to(asked))
    assert "Macerata" in contacts["body"]["text"]["body"] and contacts["phone_number_id"] == MC_NUMBER
    assert {m["phone_number_id"] for m in _outbox(local_system, phone)} == {MC_NUMBER}


def test_a_second_office_applicant_writes_to_its_number_and_the_message_lands_in_its_inbox(
    local_system: LocalSystem,
) -> None:
    phone = _number()
    applicant = {"phone": phone, "name": "Amina K.", "language": "en"}
    body = {"procedure": "rinnovo", "permit_type": "studio", "applicant": applicant}
    status, answer = _api(local_system, "MC", "POST", "/api/cases", body)
    assert status == 201, answer
    case_id = answer["case"]["id"]
    opening = _wait_for(local_system, phone, lambda m: m["type"] == "template")
    assert opening["phone_number_id"] == MC_NUMBER  # the office's own number, also for what officers send

    _wait_for(local_system, phone, _replying_to(_write(local_system, phone, MC_NUMBER, text="hello")))
    chose = _write(local_system, phone, MC_NUMBER, list_reply={"id": "lang.en", "title": "English"})
    _wait_for(local_system, phone, _replying_to(chose))
    question = "My employer changed, what do I do?"
    ack = _wait_for(local_system, phone, _replying_to(_write(local_system, phone, MC_NUMBER, text=question)))
    assert ack["phone_number_id"] == MC_NUMBER
    assert {m["phone_number_id"] for m in _outbox(local_system, phone)} == {MC_NUMBER}

    status, inbox = _api(local_system, "MC", "GET", "/api/inbox")
    assert status == 200
    [row] = [r for r in inbox["cases"] if r["id"] == case_id]
    assert row["last_message"]["text"] == question and "unanswered" in [r["reason"] for r in row["reasons"]]
    assert all(r["id"] != case_id for r in _api(local_system, "AN", "GET", "/api/inbox")[1]["cases"])


def test_a_message_to_a_number_that_is_no_offices_gets_no_reply_and_is_quarantined(
    local_system: LocalSystem,
) -> None:
    phone, other = _number(), _number()
    wamid = _write(local_system, phone, STRANGER, text="Buongiorno")
    # Written after it to the default office's number, and answered from it: by then the first one would have been.
    control = _wait_for(local_system, other, _replying_to(_write(local_system, other, AN_NUMBER, text="Buongiorno")))
    assert control["phone_number_id"] == AN_NUMBER
    assert _outbox(local_system, phone) == []

    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    command = [sys.executable, "-m", "devtools.ops", "--local", local_system.aws, "quarantine"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    records = [r for r in json.loads(result.stdout) if r["location"] == f"message:{wamid}"]
    assert [r["reason"] for r in records] == ["unknown_phone_number"]
