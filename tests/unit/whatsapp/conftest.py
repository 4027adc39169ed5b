"""Shared fixtures: a Graph API client wired to ``responses`` with a recorded sleep and a fixed jitter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses

from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.outbound import OutboundMessage, Text
from chalicelib.whatsapp.graph import GraphApiClient

BASE = "https://graph.test"
VERSION = "v25.0"
PHONE_NUMBER_ID = "106540352242922"
TOKEN = "EAAG-super-secret-token-42"
MESSAGES_URL = f"{BASE}/{VERSION}/{PHONE_NUMBER_ID}/messages"
APPLICANT_PHONE = "393331234567"

ClientFactory = Callable[..., GraphApiClient]


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(sleeps: list[float]) -> ClientFactory:
    """A client whose jitter is always the maximum, so backoff delays are the deterministic upper bounds."""

    def factory(**overrides: Any) -> GraphApiClient:
        options: dict[str, Any] = {
            "base_url": BASE,
            "api_version": VERSION,
            "phone_number_id": lambda: PHONE_NUMBER_ID,
            "access_token": lambda: TOKEN,
            "max_attempts": 4,
            "backoff_base": 1.0,
            "backoff_cap": 8.0,
            "sleep": sleeps.append,
            "random": lambda: 1.0,
        }
        options.update(overrides)
        return GraphApiClient(**options)

    return factory


@pytest.fixture
def client(make_client: ClientFactory) -> GraphApiClient:
    return make_client()


def text_message(body: str = "Ciao, abbiamo ricevuto il documento.") -> OutboundMessage:
    return OutboundMessage(
        outbound_id="ack#wamid.IN1", recipient=ApplicantRef(wa_id=APPLICANT_PHONE), content=Text(body)
    )


def graph_error_body(code: int, message: str = "error", **extra: Any) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbC123",
    }
    error.update(extra)
    return {"error": error}


def sent(wamid: str = "wamid.OUT1") -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": f"+{APPLICANT_PHONE}", "wa_id": APPLICANT_PHONE}],
        "messages": [{"id": wamid}],
    }
