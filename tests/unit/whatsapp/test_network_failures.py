"""The "did the request reach Meta?" classification against real sockets, not mocks.

``responses`` can only raise the exceptions we expect; these tests check that requests/urllib3 really raise
them for a refused connection, a server that never answers, and a server that drops the connection.
"""

from __future__ import annotations

import socket
import threading
from typing import TYPE_CHECKING

import pytest

from chalicelib.whatsapp.errors import TransportError

from .conftest import ClientFactory, text_message

if TYPE_CHECKING:
    from collections.abc import Iterator


class SilentServer:
    """Accepts connections, reads the request, then either hangs up or says nothing."""

    def __init__(self, hang_up: bool) -> None:
        self.hang_up = hang_up
        self.requests = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            conn.settimeout(2)
            if conn.recv(65536):
                self.requests += 1
            if self.hang_up:
                conn.close()
            else:
                self._open.append(conn)

    def received(self, expected: int) -> bool:
        """Whether exactly ``expected`` requests arrived, once the client has returned.

        Every connection the client made is then here, counted by the server thread or still in the listen
        backlog: stop serving and count what the backlog holds, rather than pausing for a request that might lag.
        """
        self._stop.set()
        self._thread.join(2)
        self._sock.setblocking(False)
        while True:
            try:
                conn, _ = self._sock.accept()
            except BlockingIOError:
                break
            conn.settimeout(2)
            if conn.recv(65536):  # the request was written before the client gave up waiting for the answer
                self.requests += 1
            self._open.append(conn)
        return self.requests == expected

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for conn in self._open:
            conn.close()
        self._sock.close()


@pytest.fixture
def hanging_server() -> Iterator[SilentServer]:
    server = SilentServer(hang_up=False)
    yield server
    server.close()


@pytest.fixture
def hanging_up_server() -> Iterator[SilentServer]:
    server = SilentServer(hang_up=True)
    yield server
    server.close()


def closed_port_url() -> str:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_refused_connection_never_reached_meta_and_is_retried(make_client: ClientFactory, sleeps: list[float]) -> None:
    client = make_client(base_url=closed_port_url(), max_attempts=3)
    with pytest.raises(TransportError) as caught:
        client.send(text_message())
    assert caught.value.request_may_have_reached_meta is False
    assert sleeps == [1.0, 2.0]


def test_read_timeout_on_a_send_may_have_reached_meta_and_is_not_retried(
    make_client: ClientFactory, sleeps: list[float], hanging_server: SilentServer
) -> None:
    client = make_client(base_url=hanging_server.url, timeout=(1.0, 0.2))
    with pytest.raises(TransportError) as caught:
        client.send(text_message())
    assert caught.value.request_may_have_reached_meta is True
    assert hanging_server.received(1)
    assert sleeps == []


def test_dropped_connection_on_a_send_may_have_reached_meta_and_is_not_retried(
    make_client: ClientFactory, sleeps: list[float], hanging_up_server: SilentServer
) -> None:
    client = make_client(base_url=hanging_up_server.url, timeout=(1.0, 2.0))
    with pytest.raises(TransportError) as caught:
        client.send(text_message())
    assert caught.value.request_may_have_reached_meta is True
    assert hanging_up_server.received(1)
    assert sleeps == []


def test_read_timeout_on_a_get_is_retried(
    make_client: ClientFactory, sleeps: list[float], hanging_server: SilentServer
) -> None:
    client = make_client(base_url=hanging_server.url, timeout=(1.0, 0.2), max_attempts=2)
    with pytest.raises(TransportError):
        client.media_info("123")
    assert hanging_server.received(2)
    assert sleeps == [1.0]
