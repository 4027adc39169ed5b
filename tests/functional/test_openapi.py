"""``functions/openapi.json`` is valid OpenAPI 3.1, documents exactly the app's routes, and tells the truth.

Every answer the functional client gets is checked against the document (``tests/functional/conftest.py``);
the tests here add the static checks and make the app give every documented error code at least once.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tomllib
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from chalice.test import Client
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from chalicelib.auth import JwksUnavailable, Role
from chalicelib.bootstrap import Container
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.calendar import BookingProblem
from chalicelib.domain.cases import CaseStatus, CloseReason
from chalicelib.domain.catalogue import Procedure, Requirement
from chalicelib.domain.checklist import ItemState, RejectionReason
from chalicelib.domain.documents import ACCEPTED_CONTENT_TYPES, DocumentSource
from chalicelib.i18n import available_languages
from chalicelib.services.cases.ports import VersionConflict
from chalicelib.services.messages.messenger import SendOutcome
from functions.api import ERRORS
from functions.http import FRAMEWORK_CODES
from tests import documents
from tests.conftest import ROOT
from tests.contract import DOCUMENT_PATH, METHODS, check_response, openapi_document

Token = Callable[..., str]
PDF = documents.pdf(version="1.4")
STATUS_RESPONSES = {
    400: "BadRequest",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    422: "Unprocessable",
    500: "InternalError",
    503: "AuthUnavailable",
}


def _operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): operation
        for path, item in openapi_document()["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _codes(response: str) -> set[str]:
    schema = openapi_document()["components"]["responses"][response]["content"]["application/json"]["schema"]
    return set(schema["properties"]["error"]["properties"]["code"]["enum"])


def _enum(name: str) -> set[str]:
    return set(openapi_document()["components"]["schemas"][name]["enum"])


# ----- the document itself


def test_the_document_is_valid_openapi_3_1() -> None:
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)  # the 3.1 meta-schema, and every schema against its dialect


def test_info_describes_the_api_and_the_server_is_relative() -> None:
    info = openapi_document()["info"]
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert info["title"] == "Sportello" and info["version"] == version and len(info["description"]) > 200
    assert all("://" not in server["url"] for server in openapi_document()["servers"])


def test_every_route_of_the_app_is_documented_with_its_methods_and_nothing_else() -> None:
    from app import app

    routes = {path: {method.lower() for method in methods} for path, methods in app.routes.items()}
    documented = {
        path: {method for method in item if method in METHODS} for path, item in openapi_document()["paths"].items()
    }
    assert documented == routes


def test_operation_ids_are_the_view_functions_and_path_parameters_are_declared() -> None:
    from app import app

    for (path, method), operation in _operations().items():
        entry = app.routes[path][method.upper()]
        assert operation["operationId"] == entry.view_name
        item = openapi_document()["paths"][path]
        declared = [_resolved(p) for p in item.get("parameters", []) + operation.get("parameters", [])]
        names = {p["name"] for p in declared if p["in"] == "path"}
        assert names == set(entry.view_args), path


def _resolved(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" not in node:
        return node
    kind, name = node["$ref"].split("/")[-2:]
    return openapi_document()["components"][kind][name]  # type: ignore[no-any-return]


def test_every_api_route_needs_the_bearer_token_and_the_others_none() -> None:
    scheme = openapi_document()["components"]["securitySchemes"]["officerToken"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert "security" not in openapi_document()  # said per operation: no default to forget
    for (path, method), operation in _operations().items():
        expected = [{"officerToken": []}] if path.startswith("/api/") else []
        assert operation["security"] == expected, (method, path)


def test_every_api_operation_documents_the_answers_every_route_can_give() -> None:
    for (path, method), operation in _operations().items():
        if not path.startswith("/api/"):
            continue
        statuses = set(operation["responses"])
        assert {"401", "403", "500", "503"} <= statuses, (method, path)
        if "requestBody" in operation:
            assert {"400", "415", "422"} <= statuses, (method, path)
        if "{case_id}" in path:
            assert "404" in statuses, (method, path)


def test_the_error_table_and_the_document_agree_on_every_code() -> None:
    mapped: dict[int, set[str]] = {}
    for _, status, code in ERRORS:
        mapped.setdefault(status, set()).add(code)
    mapped.setdefault(500, set()).add("internal_error")  # answer()'s fallback
    mapped[422] |= {problem.value for problem in BookingProblem}  # answer()'s refused bookings
    assert {status: _codes(name) for status, name in STATUS_RESPONSES.items()} == mapped
    assert _codes("UnsupportedMediaType") == {FRAMEWORK_CODES["UnsupportedMediaType"]}


@pytest.mark.parametrize(
    ("schema", "values"),
    [
        ("CaseStatus", {s.value for s in CaseStatus}),
        ("Procedure", {p.value for p in Procedure}),
        ("CloseReason", {r.value for r in CloseReason}),
        ("RejectionReason", {r.value for r in RejectionReason}),
        ("ItemState", {s.value for s in ItemState}),
        ("Requirement", {r.value for r in Requirement}),
        ("DocumentSource", {s.value for s in DocumentSource}),
        ("DocumentContentType", set(ACCEPTED_CONTENT_TYPES)),
        ("AuditAction", {a.value for a in AuditAction}),
        ("Role", {r.value for r in Role}),
        ("SendOutcome", {o.value for o in SendOutcome}),
        ("Language", set(available_languages())),
    ],
)
def test_enums_are_the_codes(schema: str, values: set[str]) -> None:
    assert _enum(schema) == values


def test_the_contract_check_catches_what_the_document_does_not_say() -> None:
    json_headers = {"Content-Type": "application/json"}
    check_response("get", "/api/cases?limit=2", 200, json_headers, b'{"cases": [], "next_cursor": null}')
    with pytest.raises(AssertionError, match="not documented"):
        check_response("get", "/api/cases", 418, json_headers, b"{}")
    with pytest.raises(AssertionError, match="does not match"):
        check_response("get", "/api/cases", 200, json_headers, b'{"cases": [], "next_cursor": null, "extra": 1}')
    with pytest.raises(AssertionError, match="does not match"):
        check_response("get", "/api/cases/AN-X", 404, json_headers, b'{"error": {"code": "gone", "message": "x"}}')
    with pytest.raises(AssertionError, match="Content-Type"):
        check_response("get", "/api/cases", 200, {"Content-Type": "text/html"}, b"<p>")
    with pytest.raises(AssertionError, match="not a documented path"):
        check_response("get", "/api/nothing", 200, json_headers, b"{}")


# ----- served by the app


def test_the_app_serves_the_document_as_shipped(client: Client) -> None:
    response = client.http.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert response.body == DOCUMENT_PATH.read_bytes()


def test_the_document_is_read_on_first_request_not_at_import() -> None:
    code = "import app, functions.openapi as o; print(o.document.cache_info().currsize)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


# ----- every documented error code, produced by the app (and checked against the document by the client)


class Api:
    def __init__(self, client: Client, token: Token) -> None:
        self.client, self.token = client, token
        self.officer = token(office="AN", role="officer", username="m.rossi")

    def call(self, method: str, path: str, body: Any = None, token: str | None = None, **headers: str) -> Any:
        headers = {"Authorization": self.officer if token is None else token, **headers}
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            headers.setdefault("Content-Type", "application/json")
            kwargs["body"] = body if isinstance(body, bytes) else json.dumps(body)
        return getattr(self.client.http, method)(path, **kwargs)

    def case(self, permit_type: str = "studio", procedure: str = "rinnovo") -> dict[str, Any]:
        body = {
            "procedure": procedure,
            "permit_type": permit_type,
            "applicant": {"phone": "333 123 4567", "name": "Amina Haddad", "language": "en"},
        }
        response = self.call("post", "/api/cases", body)
        assert response.status_code == 201, response.body
        return json.loads(response.body)["case"]  # type: ignore[no-any-return]

    def attach(self, case: dict[str, Any]) -> str:
        body = {"item": case["missing"][0]["items"][0], "content_type": "application/pdf", "content_base64": b64(PDF)}
        response = self.call("post", f"/api/cases/{case['id']}/documents", body)
        assert response.status_code == 200, response.body
        return json.loads(response.body)["document_id"]  # type: ignore[no-any-return]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def api(client: Client, officer_token: Token) -> Api:
    return Api(client, officer_token)


def _bad_json(api: Api) -> Any:
    return api.call("post", "/api/cases", b"{not json")


def _forged_cursor(api: Api) -> Any:
    return api.call("get", "/api/cases?cursor=1.e30.AAAA")


def _no_token(api: Api) -> Any:
    return api.call("get", "/api/cases", token="")


def _not_an_officer(api: Api) -> Any:
    return api.call("get", "/api/cases", token=api.token(office="AN", role="visitor"))


def _officer_reads_the_audit_log(api: Api) -> Any:
    return api.call("get", "/api/audit")


def _unknown_case(api: Api) -> Any:
    return api.call("get", "/api/cases/AN-22222222")


def _saved_meanwhile(api: Api) -> Any:
    case = api.case()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("chalicelib.services.cases.actions.close", _raise(VersionConflict(case["id"])))
        return api.call("post", f"/api/cases/{case['id']}/close", {"reason": "withdrawn"})


def _closed_twice(api: Api) -> Any:
    cid = api.case()["id"]
    assert api.call("post", f"/api/cases/{cid}/close", {"reason": "withdrawn"}).status_code == 200
    return api.call("post", f"/api/cases/{cid}/close", {"reason": "withdrawn"})


def _accepted_twice(api: Api) -> Any:
    case = api.case()
    path = f"/api/cases/{case['id']}/documents/{api.attach(case)}"
    assert api.call("patch", path, {"decision": "accept"}).status_code == 200
    return api.call("patch", path, {"decision": "accept"})


def _booked_too_soon(api: Api) -> Any:
    return api.call("post", f"/api/cases/{api.case()['id']}/appointment", {"at": "2026-12-03T09:30"})


def _supervisor(api: Api) -> str:
    return api.token(office="AN", role="supervisor", username="a.bianchi")


def _workday(days_ahead: int) -> date:
    """A weekday at least ``days_ahead`` from today that is no public holiday in Ancona."""
    import holidays

    day = date.today() + timedelta(days=days_ahead)
    closed = holidays.country_holidays("IT", subdiv="AN", years=[day.year, day.year + 1])
    while day.weekday() >= 5 or day in closed:
        day += timedelta(days=1)
    return day


def _open_calendar(api: Api, **changes: Any) -> None:
    """Ancona's counter open 08:00-18:00 every weekday, slots of 30 minutes, one place each."""
    current = json.loads(api.call("get", "/api/calendar").body)
    days = ("monday", "tuesday", "wednesday", "thursday", "friday")
    body = {
        "hours": [{"day": day, "opens": "08:00", "closes": "18:00"} for day in days],
        "slot_minutes": 30,
        "places": 1,
        "closed_dates": [],
        "blocked": [],
        "change_hours": 24,
        "horizon_days": 60,
        "version": current["version"],
        **changes,
    }
    response = api.call("put", "/api/calendar", body, token=_supervisor(api))
    assert response.status_code == 200, response.body


def _complete(api: Api) -> str:
    """A case whose every missing item is left for the counter: complete, ready to book."""
    case = api.case()
    for code in [m["items"][0] for m in case["missing"]]:
        assert api.call("patch", f"/api/cases/{case['id']}/checklist/{code}", {"at_counter": True}).status_code == 200
    return str(case["id"])


def _book(api: Api, case_id: str, at: str) -> Any:
    return api.call("post", f"/api/cases/{case_id}/appointment", {"at": at})


def _booked_in_the_past(api: Api) -> Any:
    _open_calendar(api)
    return _book(api, _complete(api), "2020-01-06T09:00")


def _booked_before_opening(api: Api) -> Any:
    _open_calendar(api)
    return _book(api, _complete(api), f"{_workday(7).isoformat()}T07:00")


def _booked_on_a_closing_day(api: Api) -> Any:
    closed = _workday(8)
    _open_calendar(api, closed_dates=[closed.isoformat()])
    return _book(api, _complete(api), f"{closed.isoformat()}T09:00")


def _booked_in_a_blocked_period(api: Api) -> Any:
    day = _workday(9).isoformat()
    _open_calendar(api, blocked=[{"starts": f"{day}T09:00", "ends": f"{day}T12:00", "reason": "training"}])
    return _book(api, _complete(api), f"{day}T10:00")


def _booked_too_far_ahead(api: Api) -> Any:
    _open_calendar(api, horizon_days=30)
    return _book(api, _complete(api), f"{_workday(45).isoformat()}T09:00")


def _booked_into_a_full_slot(api: Api) -> Any:
    _open_calendar(api)
    at = f"{_workday(7).isoformat()}T09:00"
    assert _book(api, _complete(api), at).status_code == 200
    return _book(api, _complete(api), at)


def _booked_without_counter_hours(api: Api) -> Any:
    return _book(api, _complete(api), f"{_workday(7).isoformat()}T09:00")


def _a_calendar_that_cannot_work(api: Api) -> Any:
    body = {"hours": [], "slot_minutes": 1, "places": 1, "closed_dates": [], "blocked": [], "change_hours": 24}
    return api.call("put", "/api/calendar", {**body, "horizon_days": 60, "version": 0}, token=_supervisor(api))


def _marked_without_a_visit(api: Api) -> Any:
    return api.call("patch", f"/api/cases/{api.case()['id']}/appointment", {"attended": True})


def _erasure_decided_without_a_request(api: Api) -> Any:
    body = {"decision": "confirm"}
    return api.call("post", f"/api/cases/{api.case()['id']}/erasure-request", body, token=_supervisor(api))


def _text_outside_the_window(api: Api) -> Any:
    return api.call("post", f"/api/cases/{api.case()['id']}/messages", {"text": "Buongiorno"})


def _lost_status(api: Api) -> Any:
    return api.call("get", "/api/cases?status=lost")


def _unknown_permit_type(api: Api) -> Any:
    body = {"procedure": "rinnovo", "permit_type": "vacanza", "applicant": {"phone": "3331234567", "name": "A"}}
    return api.call("post", "/api/cases", body)


def _unknown_variant(api: Api) -> Any:
    body = {
        "procedure": "rilascio",
        "permit_type": "famiglia",
        "variant": "turismo",
        "applicant": {"phone": "3331234567", "name": "A"},
    }
    return api.call("post", "/api/cases", body)


def _first_issue_of_a_renewal_only_permit(api: Api) -> Any:
    body = {
        "procedure": "rilascio",
        "permit_type": "attesa_occupazione",
        "applicant": {"phone": "3331234567", "name": "A"},
    }
    return api.call("post", "/api/cases", body)


def _unknown_item(api: Api) -> Any:
    return api.call("patch", f"/api/cases/{api.case()['id']}/checklist/nothing", {"at_counter": True})


def _not_a_pdf(api: Api) -> Any:
    case = api.case()
    item = case["missing"][0]["items"][0]
    body = {"item": item, "content_type": "application/pdf", "content_base64": b64(b"MZ\x90\x00")}
    return api.call("post", f"/api/cases/{case['id']}/documents", body)


def _plain_text_body(api: Api) -> Any:
    return api.call("post", "/api/cases", b"procedure=rinnovo", **{"Content-Type": "text/plain"})


def _unexpected_failure(api: Api) -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("functions.officers.view_case", _raise(RuntimeError("boom")))
        return api.call("get", "/api/cases/AN-22222222")


def _keys_unavailable(api: Api, container: Container) -> Any:
    class NoKeys:
        def authenticate(self, header: str | None) -> None:
            raise JwksUnavailable("could not fetch the issuer's keys")

    container.__dict__["verifier"] = NoKeys()
    return api.call("get", "/api/cases")


def _raise(error: Exception) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    return fail


SCENARIOS: list[tuple[Callable[..., Any], int, str]] = [
    (_bad_json, 400, "bad_request"),
    (_forged_cursor, 400, "invalid_cursor"),
    (_no_token, 401, "unauthenticated"),
    (_not_an_officer, 403, "forbidden"),
    (_officer_reads_the_audit_log, 403, "supervisor_only"),
    (_unknown_case, 404, "not_found"),
    (_saved_meanwhile, 409, "conflict"),
    (_closed_twice, 409, "illegal_transition"),
    (_accepted_twice, 409, "invalid_review"),
    (_booked_too_soon, 409, "checklist_incomplete"),
    (_text_outside_the_window, 409, "window_closed"),
    (_marked_without_a_visit, 409, "no_appointment"),
    (_erasure_decided_without_a_request, 409, "no_erasure_request"),
    (_booked_in_the_past, 422, "in_the_past"),
    (_booked_before_opening, 422, "outside_counter_hours"),
    (_booked_on_a_closing_day, 422, "closing_day"),
    (_booked_in_a_blocked_period, 422, "blocked_period"),
    (_booked_too_far_ahead, 422, "too_far_ahead"),
    (_booked_into_a_full_slot, 422, "slot_unavailable"),
    (_booked_without_counter_hours, 422, "calendar_not_configured"),
    (_a_calendar_that_cannot_work, 422, "invalid_calendar"),
    (_lost_status, 422, "invalid_input"),
    (_unknown_permit_type, 422, "unknown_permit_type"),
    (_unknown_variant, 422, "unknown_variant"),
    (_first_issue_of_a_renewal_only_permit, 422, "procedure_not_available"),
    (_unknown_item, 422, "unknown_checklist_item"),
    (_not_a_pdf, 422, "invalid_document"),
    (_unexpected_failure, 500, "internal_error"),
    (_keys_unavailable, 503, "auth_unavailable"),
]


@pytest.mark.parametrize(("scenario", "status", "code"), SCENARIOS, ids=[c for _, _, c in SCENARIOS])
def test_every_documented_error_code_is_what_the_app_answers(
    api: Api, container: Container, scenario: Callable[..., Any], status: int, code: str
) -> None:
    response = scenario(api, container) if scenario is _keys_unavailable else scenario(api)
    body = json.loads(response.body)
    assert (response.status_code, body["error"]["code"]) == (status, code)
    if code == "checklist_incomplete":
        assert body["error"]["missing"]
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_the_scenarios_cover_every_documented_error_code() -> None:
    documented = {(status, code) for status, name in STATUS_RESPONSES.items() for code in _codes(name)}
    assert {(status, code) for _, status, code in SCENARIOS} == documented


def test_the_frameworks_own_answers_have_the_api_error_shape(api: Api) -> None:
    response = _plain_text_body(api)  # checked against the document's 415 by the client
    assert response.status_code == 415
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body)["error"]["code"] == "unsupported_media_type"
    with pytest.MonkeyPatch.context() as patch:  # outside answer(): the webhook handshake reading its secret
        patch.setattr("functions.webhook.container", _raise(RuntimeError("no secret")))
        response = api.client.http.get("/webhook?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1")
    assert response.status_code == 500
    assert json.loads(response.body) == {
        "error": {"code": "internal_error", "message": "An internal server error occurred."}
    }


# ----- hostile input gets a documented 4xx, never a 500 (regressions found while fuzzing the contract)

DEEP = b"[" * 100_000 + b"]" * 100_000  # valid JSON that Python's parser cannot descend: RecursionError


@pytest.mark.parametrize(
    ("path", "role", "status", "code"),
    [
        ("/api/cases?limit=%C2%B2", "officer", 422, "invalid_input"),  # "²".isdigit(), but int("²") fails
        ("/api/cases?limit=" + "9" * 5000, "officer", 422, "invalid_input"),  # int() refuses 5000 digits
        ("/api/cases?limit=%D9%A3", "officer", 422, "invalid_input"),  # an Arabic-Indic 3: digits are ASCII
        ("/api/audit?limit=%C2%B2", "supervisor", 422, "invalid_input"),
        ("/api/audit?limit=150", "supervisor", 422, "invalid_input"),  # as documented: at most 100
    ],
)
def test_odd_page_sizes_are_refused_not_crashed_on(api: Api, path: str, role: str, status: int, code: str) -> None:
    response = api.call("get", path, token=api.token(office="AN", role=role))
    assert (response.status_code, json.loads(response.body)["error"]["code"]) == (status, code)
    assert "from 1 to 100" in json.loads(response.body)["error"]["message"]


def test_json_nested_too_deep_to_parse_is_a_400(api: Api) -> None:
    response = api.call("post", f"/api/cases/{api.case()['id']}/notes", DEEP)
    assert (response.status_code, json.loads(response.body)["error"]["code"]) == (400, "bad_request")


def test_a_signed_webhook_nested_too_deep_to_parse_is_acknowledged_and_quarantined(api: Api) -> None:
    from chalicelib.adapters.dynamo.models import QuarantineModel
    from tests.support import signed

    body, headers = signed(DEEP, "test-app-secret")
    response = api.client.http.post("/webhook", headers=headers, body=body)
    assert response.status_code == 200  # not a 500 that Meta would retry for seven days
    assert len(list(QuarantineModel.scan())) == 1
