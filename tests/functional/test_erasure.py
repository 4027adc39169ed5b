"""Erasure (art. 17) and access (art. 15) through the Chalice app, on moto, with the fake gateway.

The first test is issue 14's "erasure really erases": a case with documents from the chat, the upload page and an
officer, a thread, reminders, upload links and notes; erased; then every item of every table and every version of
every object in the bucket is searched for the applicant's number, WhatsApp id, name, profile name, and the
documents' bytes and digests. A Scan is fine here: it is a test, not app code.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import Container, now_ms
from chalicelib.domain.outbound import Text
from chalicelib.i18n import translate
from tests import documents
from tests.fakes import FakeGateway
from tests.functional.test_conversation import Phone
from tests.functional.test_officers_api import Api
from tests.functional.test_upload_page import _announced, _confirm, _put, _sent_token
from tests.support import load_event

WA_ID = "393479876543"
PHONE_TYPED = "347 987 6543"
NAME = "Zainab Qureshi-Marchetti"
PROFILE = "Zee Q. Marchetti"
NOTE = f"Called {NAME} about the payslips"
CHAT_PHOTO = documents.jpeg(scan=b"\x3f" * 321)
UPLOADED_PDF = documents.pdf("/Title (ERASE-ME-UPLOADED-7731) ", padding=300)
ATTACHED_PDF = documents.pdf("/Title (ERASE-ME-ATTACHED-7731) ", padding=300)
NOTICE_KEEP_MS = 3 * 24 * 60 * 60 * 1000
Token = Callable[..., str]


class NamedPhone(Phone):
    """The applicant's phone, with a WhatsApp profile name of its own."""

    def send(self, message: dict[str, Any], redeliver: bool = False) -> list[Any]:
        payload = copy.deepcopy(load_event("message_text"))
        value = payload["entry"][0]["changes"][0]["value"]
        value["contacts"][0]["profile"]["name"] = PROFILE
        value["contacts"][0]["wa_id"] = self.wa_id
        from tests.functional.test_conversation import _serial

        base = {"from": self.wa_id, "from_user_id": f"IT.{self.wa_id}", "timestamp": str(now_ms() // 1000)}
        value["messages"] = [{**base, "id": f"wamid.erasure.{next(_serial)}", **message}]
        return self.post(payload, redeliver)


@pytest.fixture
def officer(client: Client, officer_token: Token) -> Api:
    return Api(client, officer_token(office="AN", role="officer", username="g.bianchi"))


@pytest.fixture
def supervisor(client: Client, officer_token: Token) -> Api:
    return Api(client, officer_token(office="AN", role="supervisor", username="m.rossi"))


@pytest.fixture
def phone(client: Client, gateway: FakeGateway) -> NamedPhone:
    return NamedPhone(client, gateway, WA_ID)


def _register(api: Api, language: str = "fr") -> dict[str, Any]:
    body = {
        "procedure": "rinnovo",
        "permit_type": "lavoro_subordinato",
        "pratica_number": "25AN099887",
        "permit_expiry": "2027-03-31",
        "applicant": {"phone": PHONE_TYPED, "name": NAME, "language": language},
    }
    status, answer = api.call("post", "/api/cases", body)
    assert status == 201, answer
    return answer["case"]  # type: ignore[no-any-return]


def _full_case(officer: Api, phone: NamedPhone, gateway: FakeGateway, client: Client, container: Container) -> str:
    """A case with everything a case can hold about its applicant."""
    phone.text("Bonjour")  # before any case: the message and its replies are filed in no thread
    phone.choose("lang.fr")
    case = _register(officer)
    case_id = case["id"]
    phone.text("Bonjour, j'ai une question")  # for an officer: the thread, the inbox preview
    photo_caption = translate("document.buste_paga.title", "fr")
    phone.file(CHAT_PHOTO, "image/jpeg", caption=photo_caption)
    status, answer = officer.call(
        "post", f"/api/cases/{case_id}/requests", {"items": ["cu_730", "contratto_soggiorno"]}
    )
    assert status == 200, answer
    token = _sent_token(gateway)
    upload_id, key = _announced(client, token, "cu_730", UPLOADED_PDF, "application/pdf")
    _put(container, key, UPLOADED_PDF)
    status, answer = _confirm(client, token, upload_id, hashlib.sha256(UPLOADED_PDF).hexdigest())
    assert status == 200, answer
    attach = {
        "item": "passport",
        "content_type": "application/pdf",
        "content_base64": base64.b64encode(ATTACHED_PDF).decode(),
        "filename": f"{NAME}.pdf",
    }
    status, answer = officer.call("post", f"/api/cases/{case_id}/documents", attach)
    assert status == 200, answer
    status, answer = officer.call("post", f"/api/cases/{case_id}/notes", {"text": NOTE})
    assert status == 200, answer
    return case_id


def _needles(documents_seen: list[dict[str, Any]]) -> dict[str, bytes]:
    """What must not be found anywhere once the case is erased."""
    needles = {
        "wa_id": WA_ID.encode(),
        "phone digits": WA_ID[2:].encode(),
        "name": NAME.encode(),
        "name (JSON)": json.dumps(NAME).encode(),
        "profile name": PROFILE.encode(),
        "uploaded pdf": UPLOADED_PDF,
        "uploaded pdf marker": b"ERASE-ME-UPLOADED-7731",
        "attached pdf marker": b"ERASE-ME-ATTACHED-7731",
        "chat photo": CHAT_PHOTO,
        "chat photo sha256 (Meta's, base64)": base64.b64encode(hashlib.sha256(CHAT_PHOTO).digest()),
    }
    for raw in (UPLOADED_PDF, ATTACHED_PDF, CHAT_PHOTO):
        needles[f"sha256 {len(raw)}"] = hashlib.sha256(raw).hexdigest().encode()
    for document in documents_seen:  # what the office stored, after location stripping
        needles[f"stored sha256 {document['id']}"] = document["sha256"].encode()
    return needles


def _every_item(container: Container) -> list[tuple[str, dict[str, Any]]]:
    """Every item of every table (all of the template's), each with its table's name."""
    dynamodb = container.client("dynamodb")
    found = []
    for table in dynamodb.list_tables()["TableNames"]:
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            found += [(table, item) for item in page["Items"]]
    return found


def _every_object(container: Container) -> list[tuple[str, bytes]]:
    """Every version of every object (and every delete marker's key) in the bucket, with its bytes."""
    s3 = container.client("s3")
    bucket = container.settings.media_bucket
    found = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []):
            body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
            found.append((version["Key"], body))
        found += [(marker["Key"], b"") for marker in page.get("DeleteMarkers", [])]
    return found


def _erase(supervisor: Api, case_id: str, reason: str = "applicant_request") -> tuple[int, Any]:
    return supervisor.call("post", f"/api/cases/{case_id}/erase", {"reason": reason})


def test_erasure_really_erases(
    officer: Api,
    supervisor: Api,
    phone: NamedPhone,
    gateway: FakeGateway,
    client: Client,
    container: Container,
) -> None:
    case_id = _full_case(officer, phone, gateway, client, container)
    status, view = supervisor.call("get", f"/api/cases/{case_id}")
    assert status == 200 and len(view["documents"]) == 3, view
    needles = _needles(view["documents"])
    # The search finds what is there: before the erasure, every kind of record holds the applicant.
    before = json.dumps([item for _, item in _every_item(container)]).encode()
    for label in ("wa_id", "name", "profile name"):
        assert needles[label] in before, label
    tables_before = {table for table, item in _every_item(container) if WA_ID.encode() in json.dumps(item).encode()}
    settings = container.settings
    holding = {settings.inbound_table, settings.outbound_table, settings.applicants_table, settings.cases_table}
    assert holding <= tables_before, tables_before
    unfiled_replies = [
        item
        for table, item in _every_item(container)
        if table == settings.outbound_table and "case_id" not in item and WA_ID.encode() in json.dumps(item).encode()
    ]
    assert unfiled_replies, "a reply in no case's thread (sent before the case) is part of what must go"
    assert any(key.startswith(f"cases/{case_id}/") for key, _ in _every_object(container))
    reminders = container.reminders.for_case(case_id)
    assert reminders, "the request planned reminders"
    assert container.upload_deps.links.for_case(case_id)

    status, answer = _erase(supervisor, case_id)
    assert status == 200, answer
    assert answer["notice"] == "sent" and answer["already_erased"] is False

    # Told in their language (they wrote today: free text), before their number went.
    told = gateway.sent[-1]
    assert told.recipient.wa_id == WA_ID and told.case_id is None
    assert isinstance(told.content, Text)
    assert told.content.body == translate("notice.data_erased", "fr", case_ref=case_id)

    notice_id = f"case.{case_id}.erased"
    leftovers = []
    for table, item in _every_item(container):
        text = json.dumps(item).encode()
        hits = [label for label, needle in needles.items() if needle in text]
        if not hits:
            continue
        if item.get("outbound_id", {}).get("S") == notice_id:
            # The notice's own record: kept for Meta's statuses only, in no thread, expiring within days.
            assert set(hits) <= {"wa_id", "phone digits"}, hits
            assert "case_id" not in item and NAME.encode() not in text
            assert int(item["expires_at"]["N"]) * 1000 <= now_ms() + NOTICE_KEEP_MS + 60_000
            continue
        leftovers.append((table, hits, item))
    assert leftovers == []
    for key, body in _every_object(container):
        assert not key.startswith((f"cases/{case_id}/", f"uploads/{case_id}/")), key
        assert not [label for label, needle in needles.items() if needle in body], key
    assert container.reminders.for_case(case_id) == []
    assert container.upload_deps.links.for_case(case_id) == []


def test_an_erased_case_answers_as_erased_and_a_second_erasure_answers_the_same(
    officer: Api, supervisor: Api, phone: NamedPhone, gateway: FakeGateway, client: Client, container: Container
) -> None:
    case_id = _full_case(officer, phone, gateway, client, container)
    status, first = _erase(supervisor, case_id, "no_longer_needed")
    assert status == 200, first
    status, view = supervisor.call("get", f"/api/cases/{case_id}")
    assert status == 200
    assert view["erased"] is True and view["status"] == "closed" and view["close_reason"] == "withdrawn"
    assert view["erasure"]["reason"] == "no_longer_needed" and view["erasure"]["by"]
    assert view["applicant"] == {"name": "", "phone": None, "wa_id": None, "user_id": None, "language": "fr"}
    assert (view["permit_type"], view["office"], view["procedure"]) == ("lavoro_subordinato", "AN", "rinnovo")
    assert view["pratica_number"] is None and view["permit_expiry"] is None and view["documents"] == []
    assert [e["kind"] for e in view["timeline"]] == ["case_erased"]
    assert NAME not in json.dumps(view)

    sent = len(gateway.sent)
    status, again = _erase(supervisor, case_id)
    assert status == 200 and again["already_erased"] is True and again["case"]["erased"] is True
    assert again["case"]["id"] == first["case"]["id"] and len(gateway.sent) == sent  # nobody is told twice
    status, log = supervisor.call("get", "/api/audit?limit=100")
    erasures = [e for e in log["entries"] if e["action"] == "case.erase" and e["case_id"] == case_id]
    assert len(erasures) == 2 and all(e["actor"]["kind"] == "officer" for e in erasures)
    assert NAME not in json.dumps(log) and WA_ID not in json.dumps(log)

    # The applicant's "stato" finds nothing personal: no case, no name, as for someone who never wrote.
    replies = phone.text("stato")
    said = json.dumps([getattr(r, "body", "") for r in replies], ensure_ascii=False)
    assert case_id not in said and NAME not in said and "25AN099887" not in said


def test_only_a_supervisor_of_the_cases_office_erases_or_exports(
    officer: Api, supervisor: Api, client: Client, officer_token: Token
) -> None:
    case_id = _register(officer)["id"]
    assert _erase(officer, case_id)[0] == 403
    assert officer.call("get", f"/api/cases/{case_id}/export")[0] == 403
    elsewhere = Api(client, officer_token(office="MC", role="supervisor", username="l.ferri"))
    assert _erase(elsewhere, case_id)[0] == 404
    assert elsewhere.call("get", f"/api/cases/{case_id}/export")[0] == 404
    status, answer = supervisor.call("post", f"/api/cases/{case_id}/erase", {"reason": "because"})
    assert (status, answer["error"]["code"]) == (422, "invalid_input")
    status, view = supervisor.call("get", f"/api/cases/{case_id}")
    assert view["erased"] is False and view["applicant"]["name"] == NAME


def test_the_export_holds_everything_about_the_applicant_and_is_audited(
    officer: Api, supervisor: Api, phone: NamedPhone, gateway: FakeGateway, client: Client, container: Container
) -> None:
    case_id = _full_case(officer, phone, gateway, client, container)
    status, export = supervisor.call("get", f"/api/cases/{case_id}/export")
    assert status == 200, export
    assert export["case"]["applicant"]["name"] == NAME and export["case"]["applicant"]["wa_id"] == WA_ID
    assert {d["source"] for d in export["documents"]} == {"chat", "upload", "office"}
    assert all(d["url"].startswith("https://") and d["url_expires_in_s"] == 300 for d in export["documents"])
    inbound = [m for m in export["thread"] if m["direction"] == "in"]
    assert any(m["text"] == "Bonjour, j'ai une question" for m in inbound)
    assert any(m["kind"] == "image" for m in inbound)
    assert any(e["kind"] == "note" and e["data"]["text"] == NOTE for e in export["timeline"])
    assert export["upload_links"] and export["reminders"] and export["thread_complete"] is True
    assert export["applicant_record"]["profile_name"] == PROFILE
    assert export["applicant_record"]["wa_id"] == WA_ID
    assert "token" not in json.dumps(export["upload_links"])
    status, log = supervisor.call("get", "/api/audit?limit=100")
    actions = [e["action"] for e in log["entries"] if e["case_id"] == case_id]
    assert "case.export" in actions


def test_an_erasure_request_from_the_chat_waits_in_the_inbox_and_a_refusal_is_explained(
    officer: Api, supervisor: Api, phone: NamedPhone, gateway: FakeGateway
) -> None:
    case_id = _register(officer, language="it")["id"]
    phone.text("Buongiorno")  # the first contact: the language menu
    replies = phone.text("Cancella i miei dati")
    assert [r.body for r in replies if isinstance(r, Text)] == [
        translate("conv.erasure.requested", "it", case_ref=case_id)
    ]
    status, inbox = supervisor.call("get", "/api/inbox")
    [row] = [r for r in inbox["cases"] if r["id"] == case_id]
    assert "erasure_requested" in [w["reason"] for w in row["reasons"]]
    status, view = supervisor.call("get", f"/api/cases/{case_id}")
    assert view["erasure_requested_since"] is not None
    assert "erasure_requested" in [e["kind"] for e in view["timeline"]]

    decided = f"/api/cases/{case_id}/erasure-request"
    status, answer = supervisor.call("post", decided, {"decision": "refuse"})
    assert (status, answer["error"]["code"]) == (422, "invalid_input")
    assert officer.call("post", decided, {"decision": "refuse", "reason": "legal_hold"})[0] == 403
    status, answer = supervisor.call("post", decided, {"decision": "refuse", "reason": "legal_hold"})
    assert status == 200, answer
    assert answer["case"]["erased"] is False and answer["case"]["erasure_requested_since"] is None
    told = gateway.sent[-1].content
    reason = translate("erasure.refusal.legal_hold", "it")
    assert isinstance(told, Text) and reason in told.body
    status, answer = supervisor.call("post", decided, {"decision": "confirm"})
    assert (status, answer["error"]["code"]) == (409, "no_erasure_request")
    status, log = supervisor.call("get", "/api/audit?limit=100")
    assert "erasure.refuse" in [e["action"] for e in log["entries"] if e["case_id"] == case_id]

    phone.text("cancella i miei dati")  # asked again: confirmed this time
    status, answer = supervisor.call("post", decided, {"decision": "confirm"})
    assert status == 200 and answer["case"]["erased"] is True, answer
    assert answer["case"]["applicant"]["wa_id"] is None


def test_someone_without_a_case_hears_that_only_the_chat_is_kept(phone: NamedPhone) -> None:
    phone.text("Buongiorno")
    replies = phone.text("delete my data")
    [said] = [r.body for r in replies if isinstance(r, Text)]
    assert said == translate("conv.erasure.no_case", "it", days="90")
