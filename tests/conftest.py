"""Test environment: fake AWS credentials and local resource names set before anything imports the app.

PynamoDB and botocore read configuration early, and a leaked ``AWS_ENDPOINT_URL`` would send "mocked" calls to
a real endpoint, so the environment is fixed here, at import, before ``moto`` and the app are imported.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

for _key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL") or k == "DYNAMODB_HOST"]:
    os.environ.pop(_key)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-south-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "WHATSAPP_APP_SECRET": "test-app-secret",
        "WHATSAPP_VERIFY_TOKEN": "test-verify-token",
        "WHATSAPP_ACCESS_TOKEN": "test-access-token",
        "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
        "GRAPH_API_BASE_URL": "https://graph.example.test",
        "UPLOAD_PAGE_URL": "https://sportello.example.test/u/",
    }
)
os.environ.pop("AWS_PROFILE", None)

from devtools.local_aws import create_resources, load_template, resolve  # noqa: E402

_TEMPLATE = load_template()
_RESOURCES = resolve(_TEMPLATE)
os.environ.update({k: v for k, v in _RESOURCES.environment.items() if k != "WHATSAPP_SECRET_ID"})

# Officer authentication as in AWS, with a key pair made once per test session (signed the way the local issuer
# signs, so tests and `make run` share one token shape).
import json  # noqa: E402

from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from devtools.local_auth import jwks, mint_id_token  # noqa: E402

TEST_ISSUER = "https://cognito-idp.eu-south-1.amazonaws.com/eu-south-1_TestPool"
TEST_AUDIENCE = "test-officers-client"
TEST_SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
os.environ.update(
    {
        "AUTH_ISSUER": TEST_ISSUER,
        "AUTH_AUDIENCE": TEST_AUDIENCE,
        "AUTH_JWKS_JSON": json.dumps(jwks(TEST_SIGNING_KEY)),
        "CURSOR_SECRET": "test-cursor-secret-0123456789",
    }
)

import boto3  # noqa: E402
import moto  # noqa: E402, F401 - registers moto's botocore hooks before any client exists
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import bootstrap  # noqa: E402
from chalicelib.settings import get_settings  # noqa: E402
from tests.fakes import FakeGateway  # noqa: E402

# Records each Lambda function's AWS calls for the least-privilege check in tests/iam (see tests/aws_calls.py).
pytest_plugins = ["tests.aws_calls"]


@pytest.fixture
def aws() -> Iterator[None]:
    """Moto in-process, with every table, queue and bucket of ``infra/resources.json``."""
    with mock_aws():
        create_resources(_TEMPLATE, _RESOURCES, boto3.session.Session(), "eu-south-1")
        get_settings.cache_clear()
        bootstrap.override(None)
        yield
        bootstrap.override(None)


@pytest.fixture
def gateway() -> FakeGateway:
    """A fake WhatsApp Cloud API that records what is sent."""
    return FakeGateway()


@pytest.fixture
def container(aws: None, gateway: FakeGateway) -> bootstrap.Container:
    """The real composition root on moto, with the fake gateway in place of the Graph API."""
    built = bootstrap.Container(get_settings())
    built.__dict__["gateway"] = gateway  # replaces the cached_property before first use
    bootstrap.override(built)
    return built


@pytest.fixture
def officer_token() -> Callable[..., str]:
    """``officer_token(office="AN", role="officer", username=None, name=None)``: an Authorization header the app
    accepts (sample officers, such as the default ``an.officer``, carry their display name)."""

    def make(office: str = "AN", role: str = "officer", username: str | None = None, name: str | None = None) -> str:
        token = mint_id_token(
            TEST_SIGNING_KEY,
            issuer=TEST_ISSUER,
            audience=TEST_AUDIENCE,
            office=office,
            role=role,
            username=username,
            display_name=name,
        )
        return f"Bearer {token}"

    return make


@pytest.fixture
def serial_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process moto answers DynamoDB calls one at a time, as DynamoDB keeps its conditions (and as the local
    system's moto server does: ``devtools/moto_server.py``). Without it, moto 5.2.5 checks a transaction's conditions
    and writes its items in separate steps that two threads interleave, and rolls a failed transaction back over
    another's writes: a race test would measure moto, not our conditions."""
    import threading

    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    original = BotocoreStubber.__call__

    def serial(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
        if ".dynamodb." not in event_name:
            return original(self, event_name, request, **kwargs)
        with lock:
            return original(self, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", serial)
