"""An officer's case from registration to the booked visit, over HTTP against the real local system.

Tokens come from the local issuer (``devtools.local_auth``), WhatsApp is the simulator, AWS is moto: what the officer
does must reach the applicant's phone, what the applicant does must reach the case, documents must really download,
other offices must not see the case, and the supervisor's audit log must show all of it. Every answer of the API is
also checked against ``functions/openapi.json``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests

from chalicelib.domain.templates import CASE_OPENED, DOCUMENTS_REQUESTED
from chalicelib.i18n import translate
from chalicelib.i18n.formats import format_date, format_time
from devtools.local_auth import issuer_for, mint_id_token, signing_key
from tests import documents
from tests.contract import check_response
from tests.support import counter_day

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.e2e.conftest import LocalSystem

pytestmark = pytest.mark.e2e

# This run's applicant: a number nobody else has written from or been written to (the system is shared by the session).
PHONE = f"+39333{secrets.randbelow(9_000_000) + 1_000_000}"
POLL_TIMEOUT_S = 10.0
PDF = documents.pdf()  # real files: they are parsed and walked (issue 15)
JPEG = documents.jpeg()


class Officer:
    """An officer of one office on the local API: JSON in, (status, JSON) out, every answer checked."""

    def __init__(self, system: LocalSystem, office: str, role: str, username: str) -> None:
        token = mint_id_token(signing_key(), issuer=issuer_for(system.api), office=office, role=role, username=username)
        self.api = system.api
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        for _ in range(3):
            response = self.session.request(method, f"{self.api}{path}", json=body, timeout=30)
            check_response(method, path, response.status_code, dict(response.headers), response.content)
            # The chat may update the case while the officer acts (the applicant wrote): reload and retry, as the API
            # asks of every client for 409 `conflict`. Nothing was saved or sent by the refused attempt.
            if response.status_code != 409 or response.json()["error"]["code"] != "conflict":
                break
        return response.status_code, response.json()


class Phone:
    """The applicant's side of the simulator."""

    def __init__(self, system: LocalSystem, number: str) -> None:
        self.simulator, self.number = system.simulator, number

    def outbox(self, include_all: bool = False) -> list[dict[str, Any]]:
        params = {"to": self.number.lstrip("+"), **({"include": "all"} if include_all else {})}
        response = requests.get(f"{self.simulator}/_simulator/messages", params=params, timeout=10)
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()
        return messages

    def last_index(self) -> int:
        return max((m["index"] for m in self.outbox(include_all=True)), default=-1)

    def wait_for(
        self, after: int, wanted: Callable[[dict[str, Any]], bool], include_all: bool = False
    ) -> dict[str, Any]:
        """The first message to this phone after outbox index ``after`` that ``wanted`` accepts (polls briefly)."""
        deadline = time.monotonic() + POLL_TIMEOUT_S
        while True:
            for message in self.outbox(include_all):
                if message["index"] > after and wanted(message):
                    return message
            assert time.monotonic() < deadline, f"nothing wanted reached {self.number}: {self.outbox()}"
            time.sleep(0.1)

    def write(self, text: str) -> str:
        """Send a text to the office; its wamid."""
        body = {"from": self.number, "name": "Amina", "text": text}
        response = requests.post(f"{self.simulator}/_simulator/inbound", json=body, timeout=30)
        response.raise_for_status()
        assert response.json()["webhook_status"] == 200
        return str(response.json()["wamid"])


def template(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m["type"] == "template" and m["body"]["template"]["name"] == name


def template_values(message: dict[str, Any]) -> list[str]:
    return [p["text"] for c in message["body"]["template"].get("components", []) for p in c.get("parameters", [])]


def text_containing(*parts: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m["type"] == "text" and all(part in m["body"]["text"]["body"] for part in parts)


def attachment(item: str, content: bytes, content_type: str, filename: str) -> dict[str, str]:
    return {
        "item": item,
        "content_type": content_type,
        "filename": filename,
        "content_base64": base64.b64encode(content).decode(),
    }


def test_an_officer_takes_a_case_from_registration_to_the_counter_visit(local_system: LocalSystem) -> None:
    officer = Officer(local_system, "AN", "officer", "m.rossi")
    phone = Phone(local_system, PHONE)

    # Registration: the opening template reaches the phone, with the case id.
    start = phone.last_index()
    status, answer = officer.call(
        "post",
        "/api/cases",
        {
            "procedure": "rinnovo",
            "permit_type": "studio",
            "pratica_number": "25AN099001",
            "applicant": {"phone": f"{PHONE[3:6]} {PHONE[6:9]} {PHONE[9:]}", "name": "Amina Haddad", "language": "en"},
        },
    )
    assert status == 201 and answer["opening_message"] == "sent", answer
    case = answer["case"]
    cid = case["id"]
    assert case["applicant"]["phone"] == PHONE and case["status"] == "registered"
    opening = phone.wait_for(start, template(CASE_OPENED.name))
    assert cid in template_values(opening)

    # Two documents asked for: the applicant has not written, so it is the documents template.
    wanted = [m["items"][0] for m in case["missing"]][:2]
    start = phone.last_index()
    status, answer = officer.call("post", f"/api/cases/{cid}/requests", {"items": wanted, "note": "Thank you"})
    assert (status, answer["message"], answer["case"]["status"]) == (200, "sent", "awaiting_documents")
    request = phone.wait_for(start, template(DOCUMENTS_REQUESTED.name))
    assert cid in template_values(request)

    # The applicant writes: once the app has read it (the window is open), a second request is free text.
    start = phone.last_index()
    wamid = phone.write("Hello, I have the documents")
    phone.wait_for(start, lambda m: m["kind"] == "mark_read" and m["body"]["message_id"] == wamid, include_all=True)
    language = officer.call("get", f"/api/cases/{cid}")[1]["applicant"]["language"]
    titles = [translate(f"document.{code}.title", language) for code in wanted]
    start = phone.last_index()
    status, answer = officer.call("post", f"/api/cases/{cid}/requests", {"items": wanted})
    assert (status, answer["message"]) == (200, "sent")
    listing = phone.wait_for(start, text_containing(*titles))
    assert listing["body"]["text"]["body"].count("•") >= 2

    # Both documents attached (really a PDF and really a JPEG); the case waits for review.
    uploads = {wanted[0]: (PDF, "application/pdf", "permesso.pdf"), wanted[1]: (JPEG, "image/jpeg", "foto.jpg")}
    documents = {}
    for code, (content, content_type, filename) in uploads.items():
        status, answer = officer.call(
            "post", f"/api/cases/{cid}/documents", attachment(code, content, content_type, filename)
        )
        assert status == 200, answer
        documents[code] = answer["document_id"]
    states = {item["code"]: item["state"] for item in answer["case"]["checklist"]}
    assert (states[wanted[0]], states[wanted[1]]) == ("received", "received")

    # A rejection reaches the phone with its reason (and the officer's note), in the applicant's language.
    start = phone.last_index()
    status, answer = officer.call(
        "patch",
        f"/api/cases/{cid}/documents/{documents[wanted[0]]}",
        {"decision": "reject", "reason": "expired", "note": "The permit expired in March"},
    )
    assert (status, answer["message"], answer["case"]["status"]) == (200, "sent", "awaiting_documents")
    phone.wait_for(start, text_containing(translate("rejection.expired", language), "The permit expired in March"))

    # No visit while something is missing.
    status, answer = officer.call("post", f"/api/cases/{cid}/appointment", {"at": "2026-12-03T09:30"})
    assert (status, answer["error"]["code"]) == (409, "checklist_incomplete")
    assert any(wanted[0] in m["items"] for m in answer["error"]["missing"])

    # A new file for the rejected item; both accepted; everything else left for the counter: complete.
    status, answer = officer.call(
        "post", f"/api/cases/{cid}/documents", attachment(wanted[0], PDF + b"% renewed\n", "application/pdf", "new.pdf")
    )
    assert status == 200, answer
    documents[wanted[0]] = answer["document_id"]
    for document_id in documents.values():
        status, answer = officer.call("patch", f"/api/cases/{cid}/documents/{document_id}", {"decision": "accept"})
        assert status == 200, answer
    for code in [m["items"][0] for m in answer["case"]["missing"]]:
        status, answer = officer.call("patch", f"/api/cases/{cid}/checklist/{code}", {"at_counter": True})
        assert status == 200, answer
    assert answer["case"]["complete"] and answer["case"]["status"] == "complete"
    start = phone.last_index()
    visit = counter_day(3)  # the demo calendar of `make run`: weekday mornings, 15-minute slots
    status, answer = officer.call("post", f"/api/cases/{cid}/appointment", {"at": f"{visit.isoformat()}T09:45"})
    assert (status, answer["case"]["status"], answer["message"]) == (200, "appointment_booked", "sent")
    phone.wait_for(start, text_containing(format_date(visit, "en", "full"), format_time("09:45", "en")))

    # Another office's officer (even a supervisor) cannot see or touch the case.
    stranger = Officer(local_system, "MC", "supervisor", "l.verdi")
    assert stranger.call("get", f"/api/cases/{cid}")[0] == 404
    assert stranger.call("post", f"/api/cases/{cid}/notes", {"text": "x"})[0] == 404
    assert all(c["id"] != cid for c in stranger.call("get", "/api/cases?limit=100")[1]["cases"])

    # The case view links each document; the links really download from the local S3 while they last.
    status, view = officer.call("get", f"/api/cases/{cid}")
    assert status == 200 and {d["id"] for d in view["documents"]} >= set(documents.values())
    for document in view["documents"]:
        assert urlsplit(document["url"]).netloc == urlsplit(local_system.aws).netloc  # moto, not AWS
        assert 0 < document["url_expires_in_s"] <= 3600
        download = requests.get(document["url"], timeout=10)
        assert download.status_code == 200, download.text[:300]
        assert hashlib.sha256(download.content).hexdigest() == document["sha256"]
        assert len(download.content) == document["size_bytes"]
    downloaded = {d["id"]: requests.get(d["url"], timeout=10).content for d in view["documents"]}
    assert downloaded[documents[wanted[1]]] == JPEG

    # The supervisor of AN sees who viewed and changed the case; MC's supervisor sees none of it.
    supervisor = Officer(local_system, "AN", "supervisor", "a.bianchi")
    status, log = supervisor.call("get", "/api/audit?limit=100")
    assert status == 200
    actions = {entry["action"] for entry in log["entries"] if entry["case_id"] == cid}
    assert actions >= {
        "case.register",
        "documents.request",
        "case.view",
        "document.view",
        "document.review",
        "case.update",
        "appointment.book",
    }
    assert all(entry["actor_role"] == "officer" for entry in log["entries"] if entry["case_id"] == cid)
    assert all(entry["case_id"] != cid for entry in stranger.call("get", "/api/audit?limit=100")[1]["entries"])
