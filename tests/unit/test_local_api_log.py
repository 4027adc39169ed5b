"""``make run``'s access log never shows an upload link's token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from devtools.local_api import RequestHandler

if TYPE_CHECKING:
    import pytest

TOKEN = "Ab3_" * 10 + "xyz"  # 43 characters, the shape of a real token


def test_the_request_line_is_logged_without_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    handler = RequestHandler.__new__(RequestHandler)  # no socket: only the logging is exercised
    handler.client_address = ("127.0.0.1", 50000)
    handler.log_message('"%s" %s %s', f"GET /u/{TOKEN} HTTP/1.1", "200", "-")
    logged = capsys.readouterr().err
    assert "GET /u/" in logged and " 200 " in logged
    assert TOKEN not in logged
