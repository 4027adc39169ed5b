"""The local system end to end over HTTP: a phone writes through the simulator, the app answers through it."""

from __future__ import annotations

import os
import signal
import socket
import time
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.e2e.conftest import SECRETS, start_local_system, stop_local_system, wait_until_processed

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import LocalSystem

pytestmark = pytest.mark.e2e
REPLY_TIMEOUT = 10.0


def _send(system: LocalSystem, phone: str, text: str) -> dict[str, Any]:
    response = requests.post(f"{system.simulator}/_simulator/inbound", json={"from": phone, "text": text}, timeout=30)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def _replies_to(system: LocalSystem, phone: str, wamid: str) -> list[dict[str, Any]]:
    digits = phone.lstrip("+")
    response = requests.get(f"{system.simulator}/_simulator/messages", params={"to": digits}, timeout=10)
    response.raise_for_status()
    return [m for m in response.json() if (m["body"].get("context") or {}).get("message_id") == wamid]


def _wait_for_replies(system: LocalSystem, phone: str, wamid: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + REPLY_TIMEOUT
    while not (replies := _replies_to(system, phone, wamid)):
        assert time.monotonic() < deadline, f"no reply within {REPLY_TIMEOUT} s:\n{system.output_tail()}"
        time.sleep(0.2)
    return replies


def test_a_text_from_a_phone_is_answered(local_system: LocalSystem) -> None:
    phone = "+393330000101"
    sent = _send(local_system, phone, "Buongiorno, ho una domanda sul permesso")
    assert sent["webhook_status"] == 200

    [reply] = _wait_for_replies(local_system, phone, sent["wamid"])
    assert reply["type"] == "interactive" and reply["accepted"]  # first contact: the language menu
    assert reply["body"]["to"].lstrip("+") == phone.lstrip("+")


def test_the_same_webhook_delivered_20_times_concurrently_is_stored_and_answered_once(
    local_system: LocalSystem,
) -> None:
    phone = "+393330000102"
    config = f"{local_system.simulator}/_simulator/config"
    requests.post(config, json={"duplicate": 20}, timeout=10).raise_for_status()
    try:
        sent = _send(local_system, phone, "Ciao")
    finally:
        requests.post(config, json={"duplicate": 1}, timeout=10).raise_for_status()
    assert sent["webhook_statuses"] == [200] * 20

    # Every copy was answered 200 above, so each was stored or found stored already: one row, hence one stream
    # record. Once that row is processed (its durable state, not a pause), nothing more can answer the message.
    _wait_for_replies(local_system, phone, sent["wamid"])
    wait_until_processed(local_system, sent["wamid"], REPLY_TIMEOUT)
    assert len(_replies_to(local_system, phone, sent["wamid"])) == 1


def test_an_unsigned_webhook_is_refused(local_system: LocalSystem) -> None:
    body = {"object": "whatsapp_business_account", "entry": []}
    unsigned = requests.post(f"{local_system.api}/webhook", json=body, timeout=10)
    forged = requests.post(
        f"{local_system.api}/webhook", json=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}, timeout=10
    )
    assert (unsigned.status_code, forged.status_code) == (401, 401)


def test_the_verification_handshake_uses_the_local_verify_token(local_system: LocalSystem) -> None:
    params = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
    good = requests.get(
        f"{local_system.api}/webhook",
        params={**params, "hub.verify_token": SECRETS["WHATSAPP_VERIFY_TOKEN"]},
        timeout=10,
    )
    bad = requests.get(f"{local_system.api}/webhook", params={**params, "hub.verify_token": "wrong"}, timeout=10)
    assert (good.status_code, good.text, bad.status_code) == (200, "1158201444", 403)


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/no-such-page", {}),
        ("POST", "/api/no-such-thing", {"Authorization": "Bearer x"}),  # chalice's local gateway answers differently
        ("GET", "/u/a/b/c", {}),
    ],
)
def test_a_path_no_route_has_is_404_not_found_as_in_aws(
    local_system: LocalSystem, method: str, path: str, headers: dict[str, str]
) -> None:
    """Not chalice's 403 "Missing Authentication Token": the gateway response of infra/responses.py."""
    from infra.responses import ANSWERS, HEADERS

    response = requests.request(method, f"{local_system.api}{path}", headers=headers, timeout=10)
    assert response.status_code == 404 and response.headers["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": "not_found", "message": ANSWERS["RESOURCE_NOT_FOUND"][2]}}
    assert response.headers["X-Content-Type-Options"] == HEADERS["X-Content-Type-Options"]
    assert response.headers["Cache-Control"] == "no-store"


def _port_is_free(url: str) -> bool:
    host, port = url.rsplit("/", 1)[-1].split(":")
    with socket.socket() as sock:
        return sock.connect_ex((host, int(port))) != 0


def test_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    system = start_local_system(tmp_path)
    api_pid = system.ready["api_pid"]
    started = time.monotonic()
    os.kill(system.process.pid, signal.SIGINT)
    try:
        status = system.process.wait(10)
    finally:
        stop_local_system(system)
    assert status == 0, system.output_tail()
    assert time.monotonic() - started < 5
    with pytest.raises(ProcessLookupError):
        os.kill(api_pid, 0)
    assert _port_is_free(system.api) and _port_is_free(system.simulator) and _port_is_free(system.aws)
