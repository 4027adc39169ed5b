"""HSTS and ``nosniff`` on every answer of every kind of route, errors and Chalice's own answers included."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from chalice.app import Request, Response
from chalice.test import Client

from functions.console_html import STATIC
from functions.http import SECURITY_HEADERS, security_headers
from tests.conftest import ROOT
from tests.support import load_event, signed

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from chalicelib.bootstrap import Container

HSTS = "max-age=63072000; includeSubDomains"
CHALLENGE = "/webhook?hub.mode=subscribe&hub.verify_token=test-verify-token&hub.challenge=1158201444"


def _secured(headers: dict[str, str]) -> None:
    assert headers["Strict-Transport-Security"] == HSTS
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def raw(container: Container) -> Iterator[Client]:
    """A client whose answers are not checked against the document: for answers it does not list (405)."""
    from app import app

    with Client(app, stage_name="dev", project_dir=str(ROOT)) as test_client:
        yield test_client


def test_the_webhook_challenge_is_plain_text_that_no_browser_sniffs(client: Client) -> None:
    response = client.http.get(CHALLENGE)
    assert (response.status_code, response.headers["Content-Type"]) == (200, "text/plain")
    _secured(response.headers)
    refused = client.http.get("/webhook?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")
    assert refused.status_code == 403
    _secured(refused.headers)


def test_webhook_posts_signed_or_not(client: Client) -> None:
    body, headers = signed(load_event("message_text"))
    _secured(client.http.post("/webhook", headers=headers, body=body).headers)
    unsigned = client.http.post("/webhook", headers={"Content-Type": "application/json"}, body=body)
    assert unsigned.status_code == 401
    _secured(unsigned.headers)


@pytest.mark.parametrize(
    ("path", "headers", "status", "content_type"),
    [
        ("/info", {}, 200, "application/json"),
        ("/info?lang=it", {"Accept": "text/html"}, 200, "text/html"),
        ("/info?office=XX", {}, 404, "application/json"),
        ("/openapi.json", {}, 200, "application/json"),
        ("/console", {}, 200, "text/html"),
        ("/assets/upload.js", {}, 200, "text/javascript"),
    ],
)
def test_public_pages_json_and_assets(
    client: Client, path: str, headers: dict[str, str], status: int, content_type: str
) -> None:
    response = client.http.get(path, headers=headers)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith(content_type)
    _secured(response.headers)


def test_a_header_a_route_sets_itself_is_kept(client: Client) -> None:
    name = sorted(STATIC.iterdir())[0].name
    response = client.http.get(f"/console/assets/{name}")  # sets nosniff itself
    assert response.status_code == 200
    assert [k for k in response.headers if k.lower() == "x-content-type-options"] == ["X-Content-Type-Options"]
    _secured(response.headers)


def test_the_upload_pages_error_keeps_its_own_policy_headers(client: Client) -> None:
    response = client.http.get("/u/not-a-token")  # an unknown link: the Italian "get a new link" page
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    _secured(response.headers)


def test_the_api_its_errors_and_chalices_own_answers(
    client: Client, raw: Client, officer_token: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = {"Authorization": officer_token()}
    answers = {
        "ok": client.http.get("/api/cases", headers=token),
        "unauthenticated": client.http.get("/api/cases"),
        "not_found": client.http.get("/api/cases/AN-22222222", headers=token),
        "unsupported_media_type": client.http.post(
            "/api/cases", headers={**token, "Content-Type": "text/plain"}, body=b"procedure=rinnovo"
        ),
        "method_not_allowed": raw.http.request("DELETE", "/info"),
    }

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("functions.webhook.container", boom)
    answers["internal_error"] = client.http.get(CHALLENGE)

    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == {
        "ok": 200,
        "unauthenticated": 401,
        "not_found": 404,
        "unsupported_media_type": 415,
        "method_not_allowed": 405,
        "internal_error": 500,
    }
    for response in answers.values():
        assert response.headers["Content-Type"] == "application/json"
        _secured(response.headers)


def test_the_middleware_never_overrides_nor_touches_a_shared_headers_dict() -> None:
    shared = {"Content-Type": "text/plain", "strict-transport-security": "max-age=60"}

    def view(request: Request) -> Response:
        return Response(body="x", headers=shared)

    event = {"headers": {}, "multiValueQueryStringParameters": None, "pathParameters": None, "body": None}
    request = Request({**event, "stageVariables": None, "requestContext": {"httpMethod": "GET", "resourcePath": "/"}})
    response = security_headers(request, view)
    assert response.headers == {**shared, "X-Content-Type-Options": "nosniff"}
    assert shared == {"Content-Type": "text/plain", "strict-transport-security": "max-age=60"}
    assert set(SECURITY_HEADERS) == {"Strict-Transport-Security", "X-Content-Type-Options"}
