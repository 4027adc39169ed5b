"""Fixtures for integration tests that need moto as a real HTTP endpoint (as the local system uses it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from moto.server import ThreadedMotoServer

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Moto in server mode on a free loopback port; ``AWS_ENDPOINT_URL`` points at it during the test only."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)  # monkeypatch removes it again after the test
    try:
        yield endpoint
    finally:
        server.stop()
