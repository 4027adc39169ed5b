"""Fixtures for integration tests that need moto as a real HTTP endpoint (as the local system uses it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from moto.server import ThreadedMotoServer

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """Moto in server mode on a free loopback port, shared by a module's tests (give each test its own names).

    ``AWS_ENDPOINT_URL`` points at it only while the module's tests run, and is restored afterwards.
    """
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", endpoint)
        try:
            yield endpoint
        finally:
            server.stop()
