"""Schemathesis against the real local system: every documented operation, fuzzed from ``/openapi.json`` as served.

Each operation gets its own freshly registered case (and, where the path needs one, a document and an item of it),
so that ``{case_id}`` paths hit real cases. Explicit cases run first, as Hypothesis examples: the document's own
examples on the real case, and Schemathesis's coverage phase (every documented limit at and past its edge, missing
and mistyped fields). Then generated requests, valid and invalid, on the real case and on made-up ids. Every answer
must be no 5xx, a documented status, a documented ``Content-Type`` and a body that matches the documented schema.

Schemathesis and Hypothesis are imported here only: their pytest plugins are switched off in ``pyproject.toml``
(they cost every pytest process a second at start-up), and nothing else uses them.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests

from devtools.local_auth import issuer_for, mint_id_token, signing_key
from tests import documents
from tests.contract import METHODS, openapi_document

if TYPE_CHECKING:
    from schemathesis import APIOperation, Case
    from schemathesis.specs.openapi.schemas import OpenApiSchema

    from tests.e2e.conftest import LocalSystem

pytestmark = pytest.mark.e2e

POSITIVE_EXAMPLES = 20  # generated valid requests per operation (plus the explicit examples)
NEGATIVE_EXAMPLES = 10  # generated invalid requests per operation
PDF = documents.pdf(version="1.4")  # a real file: it is parsed (issue 15)
PHONE = f"+39333{secrets.randbelow(9_000_000) + 1_000_000}"  # the fuzzed cases' applicant: no other test's number
OPERATIONS = [
    (path, method) for path, item in openapi_document()["paths"].items() for method in item if method in METHODS
]


def bearer(system: LocalSystem, role: str = "officer") -> str:
    """An ``Authorization`` value the local system accepts: an ID token of the local issuer for office AN."""
    token = mint_id_token(signing_key(), issuer=issuer_for(system.api), office="AN", role=role, username="m.rossi")
    return f"Bearer {token}"


@pytest.fixture(scope="module")
def served_schema(local_system: LocalSystem) -> OpenApiSchema:
    """The document as the running API serves it, loaded by Schemathesis (and the same as the file)."""
    import schemathesis

    response = requests.get(f"{local_system.api}/openapi.json", timeout=10)
    assert response.json() == openapi_document()
    config = schemathesis.Config()
    return schemathesis.openapi.from_url(f"{local_system.api}/openapi.json", config=config, timeout=10)


class Fixtures:
    """Real things on the local system for one operation: a case, one of its missing items, a document, a permit
    type."""

    def __init__(self, system: LocalSystem, authorization: str) -> None:
        self.api, self.headers = system.api, {"Authorization": authorization}
        self.simulator = system.simulator

    def case(self) -> dict[str, Any]:
        body = {
            "procedure": "rinnovo",
            "permit_type": "studio",
            "applicant": {"phone": PHONE, "name": "Fuzz Test", "language": "it"},
        }
        response = requests.post(f"{self.api}/api/cases", json=body, headers=self.headers, timeout=30)
        assert response.status_code == 201, response.text
        return response.json()["case"]  # type: ignore[no-any-return]

    def document(self, case: dict[str, Any]) -> str:
        body = {
            "item": case["missing"][0]["items"][0],
            "content_type": "application/pdf",
            "content_base64": base64.b64encode(PDF).decode(),
        }
        url = f"{self.api}/api/cases/{case['id']}/documents"
        response = requests.post(url, json=body, headers=self.headers, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["document_id"]  # type: ignore[no-any-return]

    def upload_token(self) -> tuple[dict[str, Any], str]:
        """A case with two requested documents, and the token of the link the applicant got for them."""
        case = self.case()
        url = f"{self.api}/api/cases/{case['id']}/requests"
        items = [m["items"][0] for m in case["missing"]][:2]
        response = requests.post(url, json={"items": items}, headers=self.headers, timeout=30)
        assert response.status_code == 200, response.text
        sent = requests.get(f"{self.simulator}/_simulator/messages", params={"to": PHONE.lstrip("+")}, timeout=10)
        links = [link for entry in sent.json() for link in entry.get("links", [])]
        return case, links[-1].rsplit("/u/", 1)[1]

    def path_parameters(self, path: str) -> dict[str, str]:
        """Real values for the path's parameters (none for a path without any)."""
        if "{permit_type}" in path:
            return {"permit_type": "studio"}
        if "{token}" in path:
            case, token = self.upload_token()
            real = {"token": token}
            if "{upload_id}" in path:
                body = {"item": case["missing"][0]["items"][0], "content_type": "application/pdf", "size": len(PDF)}
                response = requests.post(f"{self.api}/u/{token}/uploads", json=body, timeout=30)
                assert response.status_code == 201, response.text
                real["upload_id"] = response.json()["upload_id"]
            return real
        if "{case_id}" not in path:
            return {}
        case = self.case()
        real = {"case_id": case["id"]}
        if "{item}" in path:
            real["item"] = case["missing"][0]["items"][0]
        if "{document_id}" in path:
            real["document_id"] = self.document(case)
        if "{link_id}" in path:
            self.upload_token_for(case)
            listed = requests.get(f"{self.api}/api/cases/{case['id']}/upload-links", headers=self.headers, timeout=30)
            real["link_id"] = listed.json()["links"][0]["link_id"]
        return real

    def upload_token_for(self, case: dict[str, Any]) -> None:
        """Ask for documents on ``case``, so that it has an upload link."""
        url = f"{self.api}/api/cases/{case['id']}/requests"
        items = [m["items"][0] for m in case["missing"]][:1]
        response = requests.post(url, json={"items": items}, headers=self.headers, timeout=30)
        assert response.status_code == 200, response.text


def _document_examples(operation: APIOperation, real: dict[str, str]) -> list[Case]:
    """The document's own examples for the operation, on the real case (what an officer would really send)."""
    spec = openapi_document()["paths"][operation.path][operation.method.lower()]
    if operation.path.count("{") != len(real):  # a path parameter with nothing real for it
        return []
    if not spec.get("requestBody"):
        return [operation.Case(path_parameters=real)]
    content = spec["requestBody"]["content"]["application/json"]
    bodies = [content["example"]] if "example" in content else []
    bodies += [example["value"] for example in content.get("examples", {}).values()]
    return [operation.Case(path_parameters=real, body=body, media_type="application/json") for body in bodies]


def _boundary_cases(schema: OpenApiSchema, operation: APIOperation, real: dict[str, str]) -> list[Case]:
    """Schemathesis's coverage phase: each documented limit at and just past its edge, each required field missing,
    wrong types... (valid and invalid). Where the path itself is not what is made invalid, it names the real case.
    Requests with other methods than the operation's are left out: only documented operations are under test."""
    from schemathesis import GenerationMode
    from schemathesis.core.parameters import ParameterLocation

    cases = schema.iter_coverage_cases(
        operation,
        generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=schema.config.generation_for(operation=operation),
    )
    kept = []
    for case in cases:
        if case.method.upper() != operation.method.upper():
            continue
        path = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
        if real and (path is None or path.mode is GenerationMode.POSITIVE):
            case.path_parameters = {**case.path_parameters, **real}
        kept.append(case)
    return kept


def _has_inputs(operation: APIOperation) -> bool:
    return any(True for _ in operation.iter_parameters()) or bool(operation.body)


def _session() -> requests.Session:
    """``chalice local`` has a listen backlog of 5 and sometimes resets a fresh connection under load: retry only
    connections that never reached the app (connect errors), never a request the app answered."""
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    retry = Retry(total=3, connect=3, read=0, status=0, other=0, backoff_factor=0.2, allowed_methods=None)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


def _fuzz(operation: APIOperation, real: dict[str, str], authorization: str, base_url: str) -> tuple[int, int]:
    """Run the explicit cases, then generated valid and invalid requests: how many explicit, how many sent."""
    from hypothesis import HealthCheck, Phase, example, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    sent = 0
    session = _session()

    def valid() -> Any:
        made_up = operation.as_strategy()
        return st.one_of(operation.as_strategy(path_parameters=real), made_up) if real else made_up

    def run(strategy: Any, examples: int, explicit: list[Case]) -> None:
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
            suppress_health_check=list(HealthCheck),
            print_blob=True,
        )
        @given(case=strategy)
        def call(case: Case) -> None:
            nonlocal sent
            sent += 1
            case.call_and_validate(
                base_url=base_url,
                session=session,
                headers={"Authorization": authorization},
                checks=checks,
                timeout=30,
            )

        for case in explicit:
            call = example(case=case)(call)
        call()

    explicit = _document_examples(operation, real) + _boundary_cases(operation.schema, operation, real)
    run(valid(), POSITIVE_EXAMPLES, explicit)
    if _has_inputs(operation):  # something to make invalid
        # Keep the real path only when something else is left to make invalid (GET /u/{token} has nothing else).
        others = bool(operation.body) or any(p.name not in real for p in operation.iter_parameters())
        invalid = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, path_parameters=real if others else {})
        run(invalid, NEGATIVE_EXAMPLES, [])
    return len(explicit), sent


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_the_api_keeps_its_contract_under_fuzzing(
    served_schema: OpenApiSchema, local_system: LocalSystem, path: str, method: str
) -> None:
    # The audit log is for supervisors: an officer would only ever see its 403.
    authorization = bearer(local_system, "supervisor" if path == "/api/audit" else "officer")
    real = Fixtures(local_system, authorization).path_parameters(path)
    operation = served_schema[path][method.upper()]
    explicit, sent = _fuzz(operation, real, authorization, local_system.api)
    # Hypothesis stops early once it has tried everything: only for an operation without any input.
    assert explicit >= 1 and sent >= explicit + (POSITIVE_EXAMPLES if _has_inputs(operation) else 0)


# --- issue 16: extreme values and unknown offices are the caller's errors (4xx), never the server's (5xx) -----------

# Dates and instants at and past datetime's limits (converting year 1 at +14:00, or 9999 at -14:00, overflows),
# numbers no date is, and calendar nonsense; offices this deployment does not serve.
EXTREME_VALUES = (
    "0001-01-01T00:00+14:00",
    "9999-12-31T23:59-14:00",
    "9999-12-31T23:59:59.999999",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "2026-06-01T24:00",
    "2026-06-01T00:00+24:00",
    "NaN",
    "-Infinity",
    "1e999",
    "9" * 40,
    "-1",
    "ZZ",
)
UNKNOWN_OFFICES = ("ZZ", "RM", "an", "A" * 40)


def _answered_as_the_callers_error(response: requests.Response) -> str | None:
    """None when the answer is a success, or a 4xx in the error shape; else what is wrong with it. (Meta's webhook
    verification answers its refusal in plain text, as Meta expects.)"""
    if response.status_code < 400:
        return None
    if response.status_code >= 500:
        return f"{response.status_code}: {response.text[:200]}"
    if urlsplit(response.url).path == "/webhook":
        return None
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"{response.status_code} without the error shape: {response.text[:200]}"
    if not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
        return f"{response.status_code} with a malformed error: {error}"
    return None


def test_extreme_dates_and_unknown_offices_are_4xx_in_the_error_shape(local_system: LocalSystem) -> None:
    api = local_system.api
    headers = {"Authorization": bearer(local_system, "supervisor")}
    case = Fixtures(local_system, headers["Authorization"]).case()
    wrong = []
    for label, method, path, options, expected in _extreme_requests(api, case["id"], headers):
        response = _session().request(method, f"{api}{path}", timeout=30, **options)
        problem = _answered_as_the_callers_error(response)
        if problem is None and expected and response.status_code not in expected:
            problem = f"{response.status_code}, not {expected}: {response.text[:200]}"
        if problem:
            wrong.append(f"{method} {path} {label}: {problem}")
    assert not wrong, "\n".join(wrong)


def _extreme_requests(
    api: str, case_id: str, headers: dict[str, str]
) -> list[tuple[str, str, str, dict[str, Any], tuple[int, ...]]]:
    """``(label, method, path, request options, the statuses expected or () for any 2xx/4xx)``: every query
    parameter of every documented GET and every date field of a body with each extreme value, the public pages
    with unknown offices, and officers' routes with tokens of unknown offices."""
    requests_: list[tuple[str, str, str, dict[str, Any], tuple[int, ...]]] = []
    for value in EXTREME_VALUES:
        for path, name in _query_parameters():
            requests_.append((f"{name}={value}", "GET", path, {"params": {name: value}, "headers": headers}, ()))
        for method, path, body in (
            ("POST", "/api/cases", {**_CASE, "permit_expiry": value}),
            ("POST", f"/api/cases/{case_id}/appointment", {"at": value}),
            ("PUT", "/api/calendar", {"closed_dates": [value]}),
            ("PUT", "/api/calendar", {"blocked": [{"starts": value, "ends": value, "reason": "fuzz"}]}),
        ):
            requests_.append((json.dumps(body), method, path, {"json": body, "headers": headers}, ()))
    for office in UNKNOWN_OFFICES:
        for path in ("/info", "/info/waiting-times", "/info/privacy"):
            requests_.append((f"office={office}", "GET", path, {"params": {"office": office}}, (404,)))
        for role in ("officer", "supervisor"):
            token = mint_id_token(signing_key(), issuer=issuer_for(api), office=office, role=role, username="x")
            auth = {"headers": {"Authorization": f"Bearer {token}"}}
            for path in ("/api/cases", "/api/inbox", "/api/reminders", "/api/audit", "/api/calendar", "/api/officers"):
                requests_.append((f"as {role} of {office}", "GET", path, auth, (401, 403)))
    return requests_


def _query_parameters() -> list[tuple[str, str]]:
    """``(path, name)`` of every query parameter of every documented GET without path parameters."""
    document = openapi_document()
    shared = document["components"]["parameters"]
    found = []
    for path, item in document["paths"].items():
        if "{" in path or "get" not in item:
            continue
        for parameter in item["get"].get("parameters", []):
            resolved = shared[parameter["$ref"].rsplit("/", 1)[1]] if "$ref" in parameter else parameter
            if resolved["in"] == "query":
                found.append((path, resolved["name"]))
    return found


_CASE = {
    "procedure": "rinnovo",
    "permit_type": "studio",
    "applicant": {"phone": PHONE, "name": "Fuzz Test", "language": "it"},
}
