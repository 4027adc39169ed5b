"""Fixtures: a fake clock, a local webhook receiver (the app's stand-in) and a simulator test client."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from devtools.simulator.app import create_app
from devtools.simulator.config import SimulatorConfig
from devtools.simulator.state import SimulatorState, state_of

SECRET = "test-app-secret"
TOKEN = "test-access-token"
PHONE_NUMBER_ID = "100000000000001"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MESSAGES = f"/v25.0/{PHONE_NUMBER_ID}/messages"
PHONE = "+39 333 1234567"
WA_ID = "393331234567"
START = 1_790_000_000.0
UPLOAD_TOKEN = "q5Jx0k3Vd9Yb2mR7tL1wZs8eN4hA6cU0pG3iO5fK7jE"


class FakeClock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Received:
    """One webhook POST as the app would see it."""

    raw: bytes
    headers: dict[str, str]
    signature_valid: bool
    payload: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    def values(self) -> list[dict[str, Any]]:
        return [c["value"] for e in self.payload["entry"] for c in e["changes"]]

    def messages(self) -> list[dict[str, Any]]:
        return [m for v in self.values() for m in v.get("messages", [])]

    def statuses(self) -> list[dict[str, Any]]:
        return [s for v in self.values() for s in v.get("statuses", [])]


class Receiver:
    """A tiny webhook endpoint on a free loopback port that checks signatures over the raw bytes."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status = 200
        self.handler: Callable[[Received], None] | None = None
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        headers = {k[5:].replace("_", "-").title(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
        headers["Content-Type"] = str(environ.get("CONTENT_TYPE", ""))
        got = headers.get("X-Hub-Signature-256", "")
        record = Received(raw, headers, hmac.compare_digest(got, expected), json.loads(raw))
        with self.lock:
            self.received.append(record)
        if self.handler is not None:
            self.handler(record)
        start_response(f"{self.status} STATUS", [("Content-Type", "text/plain")])
        return [b"ok"]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Poll until at least ``count`` webhooks arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.005)
        raise AssertionError(f"expected {count} webhooks, got {len(self.received)}")

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Poll until ``count`` inbound messages arrived (status webhooks are skipped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                messages = [m for r in self.received for m in r.messages()]
            if len(messages) >= count:
                return messages
            time.sleep(0.005)
        raise AssertionError(f"expected {count} inbound messages, got {len(messages)}")

    def status_webhooks(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.statuses()]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Sim:
    """A simulator app under the Flask test client, plus helpers."""

    client: FlaskClient
    state: SimulatorState
    clock: FakeClock
    receiver: Receiver

    def send(self, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(MESSAGES, json=body, headers=AUTH if headers is None else headers)

    def inbound(self, expect: int = 200, **request: Any) -> dict[str, Any]:
        if "user_id" not in request:
            request.setdefault("from", PHONE)
        response = self.client.post("/_simulator/inbound", json=request)
        assert response.status_code == expect, response.json
        return dict(response.json)

    def configure(self, **switches: Any) -> dict[str, Any]:
        response = self.client.post("/_simulator/config", json=switches)
        assert response.status_code == 200, response.json
        return dict(response.json)

    def wait_idle(self) -> None:
        assert self.state.wait_idle(5)


def text(to: str = PHONE, body: str = "Ciao", **extra: Any) -> dict[str, Any]:
    """A valid text send request."""
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}, **extra}


def template(to: str = PHONE, **extra: Any) -> dict[str, Any]:
    """A valid utility template send request."""
    return {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "template",
        "template": {
            "name": "promemoria_documenti",
            "language": {"code": "it"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Mario"}]}],
        },
        **extra,
    }


def documents_request(to: str = PHONE, **url_button: Any) -> dict[str, Any]:
    """What the app sends: body parameters and a URL button whose parameter is the upload token."""
    button = {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": UPLOAD_TOKEN}]}
    return {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "template",
        "template": {
            "name": "sportello_documenti_richiesti",
            "language": {"policy": "deterministic", "code": "en"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": "ABC123"}, {"type": "text", "text": "Passport, Payslip"}],
                },
                button | url_button,
            ],
        },
    }


def buttons(titles: list[str], to: str = PHONE, body: str = "Scegli") -> dict[str, Any]:
    """An interactive reply-button send request."""
    return {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": f"b{n}", "title": title}} for n, title in enumerate(titles)
                ]
            },
        },
    }


def list_message(sections: list[list[dict[str, Any]]], to: str = PHONE, label: str = "Scegli") -> dict[str, Any]:
    """An interactive list send request; one list of rows per section."""
    return {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Quale pratica?"},
            "action": {
                "button": label,
                "sections": [{"title": f"Sezione {n}", "rows": rows} for n, rows in enumerate(sections)],
            },
        },
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.close()


@pytest.fixture
def config(receiver: Receiver) -> SimulatorConfig:
    return SimulatorConfig(
        app_secret=SECRET, access_token=TOKEN, phone_number_id=PHONE_NUMBER_ID, webhook_url=receiver.url
    )


@pytest.fixture
def sim(config: SimulatorConfig, clock: FakeClock, receiver: Receiver) -> Iterator[Sim]:
    app = create_app(config, clock)
    harness = Sim(app.test_client(), state_of(app), clock, receiver)
    yield harness
    harness.state.wait_idle(5)  # no status thread may outlive the receiver
