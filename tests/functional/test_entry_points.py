"""In AWS the public entry points and the officers' API are two functions of the same code; each refuses the other's
paths (``functions/entry.py``), so a request that reaches the wrong one never runs a view."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from chalice.test import Client

from functions.entrypoints import API_FUNCTION, PUBLIC_FUNCTION, function_for_path, is_public

if TYPE_CHECKING:
    from collections.abc import Iterator

    from chalicelib.bootstrap import Container

PUBLIC = ["/webhook", "/u/{token}", "/u/{token}/uploads", "/assets/upload.js", "/info", "/info/waiting-times"]
PUBLIC += ["/console", "/console/assets/{name}", "/openapi.json"]
PRIVATE = ["/api/cases", "/api/inbox", "/api/audit", "/api/cases/{case_id}/conversation", "/information", "/u"]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_paths_belong_to_the_public_function(path: str) -> None:
    assert is_public(path) and function_for_path(path) == PUBLIC_FUNCTION


@pytest.mark.parametrize("path", PRIVATE)
def test_everything_else_belongs_to_the_api_function(path: str) -> None:
    assert not is_public(path) and function_for_path(path) == API_FUNCTION


def test_every_route_of_the_app_is_served_by_exactly_one_function() -> None:
    from app import app

    assert {function_for_path(path) for path in app.routes} == {PUBLIC_FUNCTION, API_FUNCTION}
    assert all(function_for_path(path) == API_FUNCTION for path in app.routes if path.startswith("/api/"))


@pytest.fixture
def raw(container: Container) -> Iterator[Client]:
    """The app without the contract check: a misrouted request is a deployment fault, not part of the API."""
    from app import app
    from tests.conftest import ROOT

    with Client(app, stage_name="dev", project_dir=str(ROOT)) as test_client:
        yield test_client


def test_the_public_function_refuses_the_officers_api(raw: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPORTELLO_FUNCTION", PUBLIC_FUNCTION)
    response = raw.http.get("/api/cases", headers={"Authorization": "Bearer x"})
    assert response.status_code == 404
    assert json.loads(response.body)["error"]["code"] == "not_found"
    assert raw.http.get("/info").status_code == 200


def test_the_api_function_refuses_the_public_paths(raw: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPORTELLO_FUNCTION", API_FUNCTION)
    assert raw.http.get("/info").status_code == 404
    assert raw.http.post("/webhook", body=b"{}").status_code == 404
    assert raw.http.get("/api/cases").status_code == 401  # its own paths: reached, and refused without a token


def test_one_process_serves_everything_when_no_function_is_named(raw: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPORTELLO_FUNCTION", raising=False)
    assert raw.http.get("/info").status_code == 200
    assert raw.http.get("/api/cases").status_code == 401


def _imported_app(function: str) -> dict[str, Any]:
    """What ``import app`` registers and loads in a fresh process of ``function`` (as Lambda imports it)."""
    from tests.conftest import ROOT

    script = (
        "import json, sys; import app\n"
        "print(json.dumps({'routes': sorted(app.app.routes), 'modules': sorted(sys.modules)}))\n"
    )
    env = {**os.environ, "SPORTELLO_FUNCTION": function}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def test_the_public_function_imports_only_the_public_routes_and_no_officers_code() -> None:
    from app import app

    public = _imported_app(PUBLIC_FUNCTION)
    assert public["routes"] == sorted(path for path in app.routes if is_public(path))
    officers_code = {"functions.officers", "functions.api", "chalicelib.services.cases.actions", "chalicelib.auth"}
    assert not officers_code & set(public["modules"])
    assert _imported_app(API_FUNCTION)["routes"] == sorted(app.routes)


def test_event_functions_register_no_routes() -> None:
    assert _imported_app("SendReminder")["routes"] == []
