"""The officers' workspace through the app: the inbox, the conversation, people named, the office's officers."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import Container
from chalicelib.domain.applicants import ApplicantRef
from chalicelib.i18n import translate
from chalicelib.services.messages.rendering import render
from tests.fakes import FakeGateway
from tests.functional.test_conversation import PDF, PHONE, Phone
from tests.support import load_event, signed

pytestmark = pytest.mark.usefixtures("container")

Api = Callable[..., tuple[int, dict[str, Any]]]


@pytest.fixture
def phone(client: Client, gateway: FakeGateway) -> Phone:
    return Phone(client, gateway)


@pytest.fixture
def api(client: Client, officer_token: Callable[..., str]) -> Api:
    """``api(method, path, body=None, token=None, **headers)``: (status, JSON) as the sample officer by default."""
    default = officer_token()

    def call(method: str, path: str, body: Any = None, token: str | None = None, **headers: str) -> Any:
        sent = {"Authorization": token or default, **headers}
        if body is not None:
            sent["Content-Type"] = "application/json"
        response = getattr(client.http, method)(path, headers=sent, body=json.dumps(body) if body is not None else b"")
        return response.status_code, json.loads(response.body) if response.body else None

    return call


def _register(api: Api, language: str = "en", **extra: Any) -> dict[str, Any]:
    body = {
        "procedure": "rinnovo",
        "permit_type": "studio",
        "applicant": {"phone": f"+{PHONE}", "name": "Amina K.", "language": language},
        **extra,
    }
    status, answer = api("post", "/api/cases", body)
    assert status == 201, answer
    case: dict[str, Any] = answer["case"]
    return case


def _open_window(container: Container) -> None:
    """The recorded payloads carry a fixed 2025 timestamp: say the applicant wrote in the future, window open."""
    container.applicants.record_inbound(ApplicantRef(wa_id=PHONE), None, 4_000_000_000, 0)


def _status(client: Client, outbound_id: str, status: str, wamid: str, errors: list[Any] | None = None) -> None:
    payload = copy.deepcopy(load_event("status_failed"))
    entry = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    entry.update({"id": wamid, "status": status, "biz_opaque_callback_data": outbound_id})
    if errors is None:
        entry.pop("errors")
    else:
        entry["errors"] = errors
    body, headers = signed(payload)
    assert client.http.post("/webhook", headers=headers, body=body).status_code == 200


def test_a_message_to_an_officer_reaches_the_inbox_and_the_thread_holds_both_sides_in_order(
    api: Api, phone: Phone, client: Client, container: Container, gateway: FakeGateway
) -> None:
    case = _register(api)
    phone.text("hello")
    phone.choose("lang.en")
    phone.text("My employer changed, what do I do?")

    status, inbox = api("get", "/api/inbox")
    assert status == 200
    [row] = inbox["cases"]
    assert row["id"] == case["id"] and row["applicant_name"] == "Amina K." and row["language"] == "en"
    assert [r["reason"] for r in row["reasons"]] == ["unanswered"]
    assert row["last_message"]["text"] == "My employer changed, what do I do?"
    assert row["waited_seconds"] >= 0 and row["permit_type"] == "studio"

    _open_window(container)
    status, answer = api("post", f"/api/cases/{case['id']}/messages", {"text": "Bring the new contract, please."})
    assert status == 200 and answer["message"] == "sent"
    assert api("get", "/api/inbox")[1]["cases"] == []  # answered: out of the inbox

    status, thread = api("get", f"/api/cases/{case['id']}/conversation")
    assert status == 200 and thread["case_id"] == case["id"] and thread["older_cursor"] is None
    lines = [(m["direction"], m["author"]["kind"], m["kind"], m["text"]) for m in thread["messages"]]
    opening = render(gateway.sent[0].content).text
    assert lines[0] == ("out", "officer", "template", opening)  # the opening template as the applicant read it
    assert case["id"] in opening and "{{" not in opening
    assert lines[-3:] == [
        ("in", "applicant", "text", "My employer changed, what do I do?"),
        ("out", "service", "text", translate("conv.handoff", "en")),
        ("out", "officer", "text", "Bring the new contract, please."),
    ]
    assert ("in", "applicant", "choice", "x") in lines  # the language row they tapped
    officer_message = thread["messages"][-1]
    assert officer_message["author"]["username"] == "an.officer"
    assert officer_message["author"]["name"] == "Giulia Bianchi" and officer_message["author"]["sub"]
    assert officer_message["delivery"]["state"] == "accepted"
    template = thread["messages"][0]["template"]
    assert template["name"] == "sportello_pratica_verificata" and template["parameters"] == [case["id"]]
    assert thread["window"]["open"] is True


def test_delivery_statuses_and_failures_show_in_the_thread_with_a_reason(
    api: Api, phone: Phone, client: Client, container: Container, gateway: FakeGateway
) -> None:
    case = _register(api)
    opening_id = f"case.{case['id']}.opening"
    _status(client, opening_id, "delivered", "wamid.out.0")
    _status(client, opening_id, "read", "wamid.out.0")
    _open_window(container)
    api("post", f"/api/cases/{case['id']}/messages", {"text": "Hello"})
    [sent] = [m for m in gateway.sent if m.purpose == "office_message"]
    error = [{"code": 131026, "title": "Message undeliverable"}]
    _status(client, sent.outbound_id, "failed", "wamid.out.1", error)

    thread = api("get", f"/api/cases/{case['id']}/conversation")[1]
    first, last = thread["messages"][0], thread["messages"][-1]
    assert first["delivery"]["state"] == "read" and first["delivery"]["error"] is None
    assert last["delivery"]["state"] == "failed"
    assert last["delivery"]["error"]["code"] == 131026
    assert last["delivery"]["error"]["reason"] == translate("delivery.error.131026", "it")
    english = api("get", f"/api/cases/{case['id']}/conversation", **{"Accept-Language": "en-GB,en;q=0.9"})[1]
    assert english["messages"][-1]["delivery"]["error"]["reason"] == translate("delivery.error.131026", "en")


def test_files_in_the_thread_carry_their_document_ids_and_refusals(
    api: Api, phone: Phone, container: Container
) -> None:
    case = _register(api)
    phone.text("hello")
    phone.choose("lang.en")
    phone.file(PDF, "application/pdf", caption="my payslip")
    phone.file(b"GIF89a" + b"0" * 50, "image/jpeg")  # not what it says it is
    thread = api("get", f"/api/cases/{case['id']}/conversation")[1]
    files = [m for m in thread["messages"] if m["direction"] == "in" and m["kind"] in ("document", "image")]
    assert [(f["kind"], f["text"], f["refused"]) for f in files] == [
        ("document", "my payslip", None),
        ("image", None, "mismatch"),
    ]
    documents = {d["id"] for d in api("get", f"/api/cases/{case['id']}")[1]["documents"]}
    assert files[0]["document_id"] in documents and files[1]["document_id"] is None


def test_the_thread_pages_back_from_the_newest_and_the_cursor_is_bound_to_the_case(
    api: Api, phone: Phone, container: Container
) -> None:
    case = _register(api)
    other = _register(api)  # the same applicant's later case: closed below so the chat finds the first one
    api("post", f"/api/cases/{other['id']}/close", {"reason": "withdrawn"})
    phone.text("hello")
    phone.choose("lang.en")
    for n in range(6):
        phone.text(f"message {n}")
    everything = api("get", f"/api/cases/{case['id']}/conversation?limit=100")[1]["messages"]
    seen, cursor = [], None
    while True:
        query = f"?limit=4&cursor={cursor}" if cursor else "?limit=4"
        page = api("get", f"/api/cases/{case['id']}/conversation{query}")[1]
        seen = page["messages"] + seen
        cursor = page["older_cursor"]
        if cursor is None:
            break
    assert [m["id"] for m in seen] == [m["id"] for m in everything]
    assert len({m["id"] for m in seen}) == len(seen) >= 9
    first = api("get", f"/api/cases/{case['id']}/conversation?limit=2")[1]["older_cursor"]
    status, error = api("get", f"/api/cases/{other['id']}/conversation?cursor={first}")
    assert (status, error["error"]["code"]) == (400, "invalid_cursor")


def test_another_office_sees_neither_the_thread_nor_the_inbox_and_views_are_audited(
    api: Api, phone: Phone, officer_token: Callable[..., str]
) -> None:
    case = _register(api)
    phone.text("hello")
    phone.choose("lang.en")
    phone.text("A question for the office")
    macerata = officer_token(office="MC")
    assert api("get", f"/api/cases/{case['id']}/conversation", token=macerata)[0] == 404
    assert api("get", "/api/inbox", token=macerata)[1]["cases"] == []
    api("get", f"/api/cases/{case['id']}/conversation")
    api("get", "/api/inbox")
    entries = api("get", "/api/audit", token=officer_token(role="supervisor"))[1]["entries"]
    actions = {e["action"] for e in entries}
    assert {"conversation.view", "inbox.view"} <= actions
    view = next(e for e in entries if e["action"] == "conversation.view")
    assert view["actor"] == {
        "kind": "officer",
        "sub": view["actor"]["sub"],
        "username": "an.officer",
        "name": "Giulia Bianchi",
    }


def test_the_inbox_shows_documents_to_review_and_complete_cases_and_filters_by_officer(
    api: Api, officer_token: Callable[..., str]
) -> None:
    mine = _register(api)
    theirs = _register(api, assigned_officer=None)
    pdf = {"item": "alloggio", "content_type": "application/pdf", "content_base64": base64.b64encode(PDF).decode()}
    status, answer = api("post", f"/api/cases/{mine['id']}/documents", pdf)
    assert status == 200, answer
    assert api("post", f"/api/cases/{mine['id']}/assign", {"officer": "an.officer"})[0] == 200
    api("post", f"/api/cases/{theirs['id']}/documents", pdf)

    rows = api("get", "/api/inbox")[1]["cases"]
    assert [r["id"] for r in rows] == [mine["id"], theirs["id"]]  # the longest wait first
    assert rows[0]["reasons"][0]["reason"] == "documents_to_review"
    assert rows[0]["assigned_officer"] == "an.officer" and rows[0]["assigned_officer_name"] == "Giulia Bianchi"
    assert [r["id"] for r in api("get", "/api/inbox?assigned=me")[1]["cases"]] == [mine["id"]]
    assert [r["id"] for r in api("get", "/api/inbox?assigned=unassigned")[1]["cases"]] == [theirs["id"]]
    assert api("get", "/api/inbox?assigned=everyone")[0] == 422

    document_id = next(
        i["document_id"] for i in api("get", f"/api/cases/{mine['id']}")[1]["checklist"] if i["document_id"]
    )
    api("patch", f"/api/cases/{mine['id']}/documents/{document_id}", {"decision": "accept"})
    assert mine["id"] not in [r["id"] for r in api("get", "/api/inbox")[1]["cases"]]

    page = api("get", "/api/inbox?limit=1")[1]
    assert len(page["cases"]) == 1 and page["next_cursor"] is None


def test_people_are_named_in_the_timeline_the_links_and_the_officers_list(
    api: Api, officer_token: Callable[..., str]
) -> None:
    supervisor = officer_token(role="supervisor")
    colleague = officer_token(username="an.officer2")
    case = _register(api)
    assert api("get", "/api/officers", token=colleague)[0] == 200  # the colleague has signed in once
    status, answer = api("post", f"/api/cases/{case['id']}/assign", {"officer": "an.officer2"}, token=supervisor)
    assert status == 200 and answer["case"]["assigned_officer_name"] == "Davide Moretti"
    api("post", f"/api/cases/{case['id']}/requests", {"items": ["alloggio"]})
    api("delete", f"/api/cases/{case['id']}/upload-links", token=supervisor)

    view = api("get", f"/api/cases/{case['id']}")[1]
    actors = {e["kind"]: e["actor"] for e in view["timeline"]}
    assert actors["case_registered"]["name"] == "Giulia Bianchi"
    assert actors["assigned"]["username"] == "an.supervisor" and actors["assigned"]["name"] == "Marco Rossi"
    assert all(a["kind"] != "officer" or (a["username"] and a["sub"]) for a in actors.values())
    [link] = api("get", f"/api/cases/{case['id']}/upload-links")[1]["links"]
    assert link["revoked_by"]["name"] == "Marco Rossi" and link["revoked_by"]["kind"] == "officer"

    officers = api("get", "/api/officers")[1]["officers"]
    assert {(o["username"], o["name"], o["role"]) for o in officers} >= {
        ("an.officer", "Giulia Bianchi", "officer"),
        ("an.officer2", "Davide Moretti", "officer"),
        ("an.supervisor", "Marco Rossi", "supervisor"),
    }
    macerata = api("get", "/api/officers", token=officer_token(office="MC"))[1]["officers"]
    assert [o["username"] for o in macerata] == ["mc.officer"]  # another office's officers are not listed


def test_an_officer_cannot_register_a_case_for_a_colleague(api: Api) -> None:
    body = {
        "procedure": "rinnovo",
        "permit_type": "studio",
        "applicant": {"phone": f"+{PHONE}", "name": "Amina K.", "language": "en"},
        "assigned_officer": "an.officer2",
    }
    status, answer = api("post", "/api/cases", body)
    assert (status, answer["error"]["code"]) == (403, "supervisor_only")
    assert _register(api, assigned_officer="an.officer")["assigned_officer_name"] == "Giulia Bianchi"
