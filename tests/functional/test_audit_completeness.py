"""Every route of the officers' API that changes something or shows personal data writes an audit entry.

The routes come from the app itself (``app.routes``), so a new route fails this test until it says here what it
audits, or why it audits nothing. Each is called as a supervisor, with valid input, on a case that exists (one case
per route, so that no route depends on what another did), and the entries it wrote are read back from the table.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.dynamo.models import AuditModel
from chalicelib.bootstrap import Container
from tests import documents
from tests.support import counter_day, open_counter

Token = Callable[..., str]

# Routes that write no entry, and why. Anything else under /api must write the entry ROUTES names.
EXEMPT = {
    ("GET", "/api/calendar"): "the office's counter hours: no personal data",
    ("GET", "/api/calendar/slots"): "free places per slot: counts, no case, no person",
}


# What the calls below send that is content, never an id: none of it may reach an audit entry.
NAME, PHONE, NOTE, MESSAGE, OVERRIDE = "Amina Haddad", "3331234567", "called the employer", "Buongiorno", "departure"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class World:
    """The app, a supervisor of Ancona, and helpers to make the case a route needs."""

    def __init__(self, client: Client, token: str, container: Container) -> None:
        self.client, self.token, self.container = client, token, container

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": self.token}
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            headers["Content-Type"] = "application/json"
            kwargs["body"] = json.dumps(body)
        response = getattr(self.client.http, method.lower())(path, **kwargs)
        return response.status_code, json.loads(response.body) if response.body else None

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = self.call(method, path, body)
        assert 200 <= status < 300, (method, path, status, answer)
        return answer

    def case(self) -> dict[str, Any]:
        body = {
            "procedure": "rinnovo",
            "permit_type": "studio",
            "applicant": {"phone": f"+39{PHONE}", "name": NAME, "language": "en"},
        }
        return self.ok("POST", "/api/cases", body)["case"]  # type: ignore[no-any-return]

    def item(self, case: dict[str, Any]) -> str:
        return str(case["missing"][0]["items"][0])

    def document(self, case: dict[str, Any]) -> str:
        body = {"item": self.item(case), "content_type": "application/pdf", "content_base64": _b64(documents.pdf())}
        return str(self.ok("POST", f"/api/cases/{case['id']}/documents", body)["document_id"])

    def booked(self, case: dict[str, Any]) -> None:
        open_counter(self.container)
        at = f"{counter_day(3).isoformat()}T09:30"
        self.ok("POST", f"/api/cases/{case['id']}/appointment", {"at": at, "override_reason": OVERRIDE})

    def link(self, case: dict[str, Any]) -> str:
        self.ok("POST", f"/api/cases/{case['id']}/requests", {"items": [self.item(case)]})
        return str(self.ok("GET", f"/api/cases/{case['id']}/upload-links")["links"][0]["link_id"])

    def erasure_requested(self, case: dict[str, Any]) -> None:
        # The applicant's "cancella i miei dati" in the chat, as the chat stores it.
        stored = self.container.cases.get(case["id"])
        self.container.cases.save(replace(stored, erasure_requested_at_ms=stored.updated_at_ms), [])


@dataclass(frozen=True, slots=True)
class Audited:
    """How to call a route (the path and body, given a world and a fresh case) and the entry it must write;
    ``on_case``: the entry names the case (listings name none)."""

    action: str
    call: Callable[[World, dict[str, Any]], tuple[str, Any]]
    on_case: bool = True


def _at(world: World, case: dict[str, Any]) -> str:
    open_counter(world.container)
    return f"{counter_day(4).isoformat()}T10:00"


ROUTES: dict[tuple[str, str], Audited] = {
    ("GET", "/api/audit"): Audited("audit.view", lambda w, c: ("/api/audit", None), on_case=False),
    ("PUT", "/api/calendar"): Audited(
        "calendar.update",
        lambda w, c: (
            "/api/calendar",
            {
                "hours": [{"day": "monday", "opens": "09:00", "closes": "12:00"}],
                "slot_minutes": 20,
                "places": 3,
                "closed_dates": [],
                "blocked": [],
                "change_hours": 24,
                "horizon_days": 30,
                "version": w.ok("GET", "/api/calendar")["version"],
            },
        ),
        on_case=False,
    ),
    ("GET", "/api/calendar/day"): Audited(
        "calendar.day_view", lambda w, c: (f"/api/calendar/day?date={counter_day(3).isoformat()}", None), False
    ),
    ("GET", "/api/cases"): Audited("case.list", lambda w, c: ("/api/cases", None), on_case=False),
    ("POST", "/api/cases"): Audited(
        "case.register",
        lambda w, c: (
            "/api/cases",
            {"procedure": "rinnovo", "permit_type": "studio", "applicant": {"phone": "+393339876543", "name": "B"}},
        ),
        on_case=False,  # a new case: its id is in the answer, checked below
    ),
    ("GET", "/api/cases/{case_id}"): Audited("case.view", lambda w, c: (f"/api/cases/{c['id']}", None)),
    ("POST", "/api/cases/{case_id}/appointment"): Audited(
        "appointment.book",
        lambda w, c: (f"/api/cases/{c['id']}/appointment", {"at": _at(w, c), "override_reason": OVERRIDE}),
    ),
    ("PATCH", "/api/cases/{case_id}/appointment"): Audited(
        "appointment.attended",
        lambda w, c: (w.booked(c), (f"/api/cases/{c['id']}/appointment", {"attended": True}))[1],
    ),
    ("POST", "/api/cases/{case_id}/assign"): Audited(
        "case.assign", lambda w, c: (f"/api/cases/{c['id']}/assign", {"officer": "an.officer"})
    ),
    ("PATCH", "/api/cases/{case_id}/checklist/{item}"): Audited(
        "case.update", lambda w, c: (f"/api/cases/{c['id']}/checklist/{w.item(c)}", {"at_counter": True})
    ),
    ("POST", "/api/cases/{case_id}/close"): Audited(
        "case.close", lambda w, c: (f"/api/cases/{c['id']}/close", {"reason": "withdrawn"})
    ),
    ("GET", "/api/cases/{case_id}/conversation"): Audited(
        "conversation.view", lambda w, c: (f"/api/cases/{c['id']}/conversation", None)
    ),
    ("POST", "/api/cases/{case_id}/documents"): Audited(
        "document.attach",
        lambda w, c: (
            f"/api/cases/{c['id']}/documents",
            {"item": w.item(c), "content_type": "image/jpeg", "content_base64": _b64(documents.jpeg())},
        ),
    ),
    ("PATCH", "/api/cases/{case_id}/documents/{document_id}"): Audited(
        "document.review", lambda w, c: (f"/api/cases/{c['id']}/documents/{w.document(c)}", {"decision": "accept"})
    ),
    ("POST", "/api/cases/{case_id}/erase"): Audited(
        "case.erase", lambda w, c: (f"/api/cases/{c['id']}/erase", {"reason": "no_longer_needed"})
    ),
    ("POST", "/api/cases/{case_id}/erasure-request"): Audited(
        "erasure.refuse",
        lambda w, c: (
            w.erasure_requested(c),
            (f"/api/cases/{c['id']}/erasure-request", {"decision": "refuse", "reason": "legal_hold"}),
        )[1],
    ),
    ("GET", "/api/cases/{case_id}/export"): Audited("case.export", lambda w, c: (f"/api/cases/{c['id']}/export", None)),
    ("POST", "/api/cases/{case_id}/messages"): Audited(
        "message.send", lambda w, c: (f"/api/cases/{c['id']}/messages", {"text": MESSAGE, "template": True})
    ),
    ("POST", "/api/cases/{case_id}/notes"): Audited(
        "note.add", lambda w, c: (f"/api/cases/{c['id']}/notes", {"text": NOTE})
    ),
    ("POST", "/api/cases/{case_id}/requests"): Audited(
        "documents.request", lambda w, c: (f"/api/cases/{c['id']}/requests", {"items": [w.item(c)]})
    ),
    ("GET", "/api/cases/{case_id}/upload-links"): Audited(
        "upload_links.view", lambda w, c: (f"/api/cases/{c['id']}/upload-links", None)
    ),
    ("DELETE", "/api/cases/{case_id}/upload-links"): Audited(
        "upload_link.revoke", lambda w, c: (w.link(c), (f"/api/cases/{c['id']}/upload-links", None))[1]
    ),
    ("DELETE", "/api/cases/{case_id}/upload-links/{link_id}"): Audited(
        "upload_link.revoke", lambda w, c: (f"/api/cases/{c['id']}/upload-links/{w.link(c)}", None)
    ),
    ("GET", "/api/inbox"): Audited("inbox.view", lambda w, c: ("/api/inbox", None), on_case=False),
    ("GET", "/api/officers"): Audited("officers.view", lambda w, c: ("/api/officers", None), on_case=False),
    ("GET", "/api/reminders"): Audited("case.list", lambda w, c: ("/api/reminders", None), on_case=False),
}


def _api_routes() -> set[tuple[str, str]]:
    from app import app

    return {(method, path) for path, methods in app.routes.items() if path.startswith("/api/") for method in methods}


def _entries() -> Counter[tuple[str, str | None, str]]:
    """Every entry as (action, case, details as JSON)."""
    return Counter(
        (item.action, item.case_id, json.dumps(item.detail.as_dict() if item.detail else {}, sort_keys=True))
        for office in ("AN", "MC")
        for item in AuditModel.query(office)
    )


def test_every_api_route_is_either_audited_or_exempt_with_a_reason() -> None:
    routes = _api_routes()
    assert not set(ROUTES) & set(EXEMPT)
    unlisted = routes - set(ROUTES) - set(EXEMPT)
    assert not unlisted, f"say what these routes audit (ROUTES) or why they audit nothing (EXEMPT): {unlisted}"
    assert not (set(ROUTES) | set(EXEMPT)) - routes, "routes listed here that the app no longer has"


def test_every_route_of_the_openapi_document_is_one_the_app_serves() -> None:
    from tests.conftest import ROOT

    document = json.loads((ROOT / "functions" / "openapi.json").read_text())
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        if path.startswith("/api/")
        for method in operations
        if method in {"get", "put", "post", "patch", "delete"}
    }
    assert documented <= _api_routes()


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_each_route_writes_its_audit_entry(
    method: str, path: str, client: Client, officer_token: Token, container: Container
) -> None:
    world = World(client, officer_token(office="AN", role="supervisor"), container)
    route = ROUTES[(method, path)]
    case = world.case()
    target, body = route.call(world, case)
    if isinstance(body, dict) and isinstance(body.get("content_base64"), bytes):
        body = {**body, "content_base64": body["content_base64"].decode()}
    before = _entries()
    answer = world.ok(method, target, body)
    written = _entries() - before
    if route.on_case:
        expected = (route.action, case["id"])
    elif (method, path) == ("POST", "/api/cases"):
        expected = (route.action, answer["case"]["id"])
    else:
        expected = (route.action, None)
    assert expected in {(action, case_id) for action, case_id, _ in written}, (method, path, dict(written))
    for _, _, details in written:  # ids and codes, never what a person wrote or who they are
        assert not any(text in details for text in (NAME, PHONE, NOTE, MESSAGE, OVERRIDE)), details
