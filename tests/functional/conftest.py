"""Functional tests go through ``app.py`` with Chalice's test client, on moto, with the fake gateway.

Every answer the client gets is checked against ``functions/openapi.json`` (:mod:`tests.contract`): a test that
makes the app answer something undocumented fails, whatever it asserts itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from chalice.test import Client

from tests.conftest import ROOT
from tests.contract import check_response

if TYPE_CHECKING:
    from collections.abc import Iterator

    from chalice.test import HTTPResponse

    from chalicelib.bootstrap import Container


def _checked(request: Any) -> Any:
    """``TestHTTPClient.request`` (which ``get``, ``post``… call), with every answer checked against the document."""

    def checked_request(
        method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> HTTPResponse:
        response = request(method, path, headers=headers, body=body)
        check_response(method, path, response.status_code, response.headers, response.body)
        return response

    return checked_request


@pytest.fixture
def client(container: Container) -> Iterator[Client]:
    from app import app

    with Client(app, stage_name="dev", project_dir=str(ROOT)) as test_client:
        test_client.http.request = _checked(test_client.http.request)  # type: ignore[method-assign]
        yield test_client
