"""The secure upload page through the Chalice app, on moto, with the fake gateway: links in messages, the page,
the browser's two JSON calls, refusals, revocation, expiry and what officers see of the links."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable
from html import escape
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import Container, now_ms
from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.outbound import Template, Text
from chalicelib.domain.upload_links import TOKEN_LENGTH, token_hash
from chalicelib.i18n import translate
from chalicelib.i18n.formats import opening_hours
from chalicelib.offices import office
from chalicelib.whatsapp.payloads import to_graph_payload
from tests import documents
from tests.fakes import FakeGateway
from tests.functional.test_conversation import PHONE, Phone
from tests.functional.test_officers_api import Api, _applicant_writes, _register
from tests.functional.test_reminders import _local, _sweep_and_send

PAGE_URL = "https://sportello.example.test/u/"
LINK = re.compile(re.escape(PAGE_URL) + r"([A-Za-z0-9_-]+)")
PDF = documents.pdf(padding=200)
# A JPEG whose structure walks (SOI, JFIF APP0, one scan, EOI): location stripping accepts it as it is.
JPEG = documents.jpeg()
POLYGLOT = documents.pdf(padding=2000) + b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>\n"
SCRIPTED_PDF = documents.pdf("/OpenAction 4 0 R ", "<< /S /JavaScript /JS (app.alert(1)) >>")
JPEG_AND_SCRIPT = JPEG + b"<script>alert(1)</script>"
NOT_A_PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n" + b"0" * 200 + b"\n%%EOF\n"  # what magic bytes took
DAY_MS = 24 * 60 * 60 * 1000
Token = Callable[..., str]


@pytest.fixture
def api(client: Client, officer_token: Token) -> Api:
    return Api(client, officer_token(office="AN", role="officer", username="m.rossi"))


@pytest.fixture
def supervisor(client: Client, officer_token: Token) -> Api:
    return Api(client, officer_token(office="AN", role="supervisor", username="s.bianchi"))


def _token_in(text: str) -> str:
    """The token of the one upload link in ``text``."""
    tokens: list[str] = LINK.findall(text)
    [token] = tokens
    assert len(token) == TOKEN_LENGTH, token
    return token


def _request(api: Api, case_id: str, items: list[str]) -> None:
    status, answer = api.call("post", f"/api/cases/{case_id}/requests", {"items": items, "note": ""})
    assert status == 200, answer


def _requested(api: Api, gateway: FakeGateway, count: int = 2, **overrides: Any) -> tuple[dict[str, Any], list[str]]:
    """A registered case with ``count`` documents requested (the request is the last message sent)."""
    case = _register(api, **overrides)
    items = [m["items"][0] for m in case["missing"]][:count]
    assert len(items) == count
    _request(api, case["id"], items)
    return case, items


def _sent_token(gateway: FakeGateway) -> str:
    """The upload token of the last message sent, in its text or its template's URL button."""
    content = gateway.sent[-1].content
    if isinstance(content, Template):
        assert content.url_button_parameter is not None
        return content.url_button_parameter
    assert isinstance(content, Text)
    return _token_in(content.body)


def _page(client: Client, token: str) -> tuple[int, dict[str, str], str]:
    response = client.http.get(f"/u/{token}")
    return response.status_code, dict(response.headers), response.body.decode()


def _post(client: Client, path: str, body: Any) -> tuple[int, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.http.post(path, headers={"Content-Type": "application/json"}, body=raw)
    return response.status_code, json.loads(response.body) if response.body else None


def _start(client: Client, token: str, item: str, content_type: str, size: int) -> tuple[int, Any]:
    return _post(client, f"/u/{token}/uploads", {"item": item, "content_type": content_type, "size": size})


def _confirm(client: Client, token: str, upload_id: str, sha256: str) -> tuple[int, Any]:
    return _post(client, f"/u/{token}/uploads/{upload_id}", {"sha256": sha256})


def _put(container: Container, key: str, body: bytes) -> None:
    """What the browser's POST to the pre-signed form does (moto in-process cannot receive a browser's POST)."""
    container.client("s3").put_object(Bucket=container.settings.media_bucket, Key=key, Body=body)


def _announced(client: Client, token: str, item: str, body: bytes, content_type: str) -> tuple[str, str]:
    """An upload announced for ``item``: its id and the key its form allows."""
    status, answer = _start(client, token, item, content_type, len(body))
    assert status == 201, answer
    return answer["upload_id"], answer["form"]["fields"]["key"]


def _audit_actions(supervisor: Api, case_id: str) -> list[str]:
    status, log = supervisor.call("get", "/api/audit?limit=100")
    assert status == 200, log
    return [e["action"] for e in log["entries"] if e["case_id"] == case_id]


def _at(container: Container, offset_ms: int) -> None:
    """Move the upload page's clock ``offset_ms`` from now."""
    deps = container.upload_deps
    container.__dict__["upload_deps"] = dataclasses.replace(deps, clock_ms=lambda: now_ms() + offset_ms)


def _link_table_values(container: Container) -> list[str]:
    """Every attribute value of every item of the upload links table, as text."""
    items = container.client("dynamodb").scan(TableName=container.settings.upload_links_table)["Items"]
    assert items
    return [str(next(iter(value.values()))) for item in items for value in item.values()]


def test_in_the_window_the_request_carries_a_link_to_a_page_of_exactly_the_requested_items(
    api: Api, client: Client, gateway: FakeGateway, container: Container
) -> None:
    """In the window, the request's text ends with a link whose page lists just those items, strictly served."""
    case = _register(api)
    _applicant_writes(container)
    items = [m["items"][0] for m in case["missing"]][:2]
    _request(api, case["id"], items)
    content = gateway.sent[-1].content
    assert isinstance(content, Text)
    token = _token_in(content.body)
    assert content.body.rstrip().splitlines()[-1].count(PAGE_URL) == 1  # the link line comes last

    status, headers, html = _page(client, token)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<html lang="en" dir="ltr">' in html
    assert sorted(re.findall(r'data-item="([^"]+)"', html)) == sorted(items)
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
    assert token not in html  # the page never repeats its credential


@pytest.mark.parametrize("last_wrote_hours_ago", [None, 25])
def test_outside_the_window_the_template_carries_the_token_in_its_url_button(
    api: Api, client: Client, gateway: FakeGateway, container: Container, last_wrote_hours_ago: int | None
) -> None:
    """Outside the window the template's URL button carries the token, and that token opens the page."""
    if last_wrote_hours_ago is not None:
        sent_at = (now_ms() - last_wrote_hours_ago * 3_600_000) // 1000
        container.applicants.record_inbound(ApplicantRef(wa_id=PHONE), "Amina", sent_at, 0)
    _, items = _requested(api, gateway)
    message = gateway.sent[-1]
    assert isinstance(message.content, Template) and message.content.name == "sportello_documenti_richiesti"
    token = message.content.url_button_parameter
    assert token is not None and len(token) == TOKEN_LENGTH
    components = to_graph_payload(message)["template"]["components"]
    [button] = [c for c in components if c["type"] == "button"]
    assert button["sub_type"] == "url" and button["parameters"] == [{"type": "text", "text": token}]
    assert all(token not in json.dumps(c) for c in components if c["type"] != "button")

    status, _, html = _page(client, token)
    assert status == 200 and sorted(re.findall(r'data-item="([^"]+)"', html)) == sorted(items)


def test_the_store_keeps_only_the_tokens_hash(api: Api, gateway: FakeGateway, container: Container) -> None:
    """The upload links table holds the token's SHA-256 and never the token itself."""
    _requested(api, gateway)
    token = _sent_token(gateway)
    values = _link_table_values(container)
    assert all(token not in value for value in values)
    assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest() and token_hash(token) in values


def test_the_record_of_a_sent_message_never_keeps_the_token(
    api: Api, client: Client, gateway: FakeGateway, container: Container
) -> None:
    """Templates (URL button), texts in the window and the chat's link reply are recorded without their tokens."""
    case, _ = _requested(api, gateway)  # outside the window: the template's URL button
    tokens = [_sent_token(gateway)]
    _applicant_writes(container)
    _request(api, case["id"], [m["items"][0] for m in case["missing"]][2:3])  # inside it: a text with the URL
    tokens.append(_sent_token(gateway))
    phone = Phone(client, gateway)
    phone.text("hello")
    phone.choose("lang.en")
    [reply] = phone.text("link")
    assert isinstance(reply, Text)
    tokens.append(_token_in(reply.body))
    items = container.client("dynamodb").scan(TableName=container.settings.outbound_table)["Items"]
    assert all(token not in json.dumps(items) for token in tokens)
    contents = json.dumps([json.loads(item["content"]["S"]) for item in items], ensure_ascii=False)
    assert contents.count("/u/…") == 2 and contents.count('"url_button_parameter": "…"') == 1


@pytest.mark.parametrize("word", ["link", "carica", "LINK"])
def test_the_link_command_sends_a_working_link_to_an_applicant_waiting_for_documents(
    api: Api, client: Client, gateway: FakeGateway, word: str
) -> None:
    """The chat's link command, in any language, answers with a fresh link that opens the page."""
    case, items = _requested(api, gateway)
    requested = _sent_token(gateway)
    phone = Phone(client, gateway)
    phone.text("hello")
    phone.choose("lang.en")
    [reply] = phone.text(word)
    assert isinstance(reply, Text)
    assert reply.body.startswith(translate("conv.link.intro", "en", case_ref=case["id"]))
    token = _token_in(reply.body)
    assert token != requested
    status, _, html = _page(client, token)
    assert status == 200 and sorted(re.findall(r'data-item="([^"]+)"', html)) == sorted(items)


def test_the_link_command_issues_nothing_without_a_case(
    client: Client, gateway: FakeGateway, container: Container
) -> None:
    """Someone with no case who writes "link" is told how to start, and no link is issued."""
    phone = Phone(client, gateway, wa_id="393339999999")
    phone.text("hello")
    phone.choose("lang.en")
    replies = phone.text("link")
    bodies = "\n".join(r.body for r in replies if isinstance(r, Text))
    assert translate("conv.unknown.intro", "en") in bodies and PAGE_URL not in bodies
    table = container.settings.upload_links_table
    assert container.client("dynamodb").scan(TableName=table)["Count"] == 0


def test_a_file_goes_from_the_page_to_the_case_as_an_uploaded_document(
    api: Api, supervisor: Api, client: Client, gateway: FakeGateway, container: Container
) -> None:
    """Announce, put the bytes where the form says, confirm: the item is received with an uploaded document."""
    case, items = _requested(api, gateway)
    token = _sent_token(gateway)
    status, answer = _start(client, token, items[0], "application/pdf", len(PDF))
    assert status == 201, answer
    fields = answer["form"]["fields"]
    assert fields["key"] == f"uploads/{case['id']}/{answer['upload_id']}"
    assert fields["Content-Type"] == "application/pdf" and answer["form"]["url"].startswith("https://")
    _put(container, fields["key"], PDF)

    status, confirmed = _confirm(client, token, answer["upload_id"], hashlib.sha256(PDF).hexdigest())
    assert status == 200, confirmed
    assert (confirmed["item"], confirmed["state"]) == (items[0], "received")
    assert confirmed["wanted"] == items[1:] and items[0] in confirmed["received"]

    status, view = api.call("get", f"/api/cases/{case['id']}")
    item = next(i for i in view["checklist"] if i["code"] == items[0])
    assert item["state"] == "received"
    [document] = [d for d in view["documents"] if d["id"] == item["document_id"]]
    assert (document["source"], document["item"], document["content_type"]) == ("upload", items[0], "application/pdf")
    assert (document["sha256"], document["size_bytes"]) == (hashlib.sha256(PDF).hexdigest(), len(PDF))
    assert "document.upload" in _audit_actions(supervisor, case["id"])

    again = _confirm(client, token, answer["upload_id"], hashlib.sha256(PDF).hexdigest())
    assert again[0] == 200 and again[1]["state"] == "received"  # a retried confirmation changes nothing
    status, after = api.call("get", f"/api/cases/{case['id']}")
    assert len([d for d in after["documents"] if d["item"] == items[0]]) == 1


def test_confirming_before_the_file_arrives_is_not_final(
    api: Api, client: Client, gateway: FakeGateway, container: Container
) -> None:
    """A confirmation that comes before the bytes is refused as not_received, and succeeds once they are there."""
    _, items = _requested(api, gateway)
    token = _sent_token(gateway)
    upload_id, key = _announced(client, token, items[0], PDF, "application/pdf")
    digest = hashlib.sha256(PDF).hexdigest()
    status, answer = _confirm(client, token, upload_id, digest)
    assert (status, answer["error"]["code"]) == (422, "not_received")
    _put(container, key, PDF)
    status, answer = _confirm(client, token, upload_id, digest)
    assert status == 200 and answer["state"] == "received"


@pytest.mark.parametrize(
    ("declared", "body", "digest", "code"),
    [
        ("application/pdf", JPEG, hashlib.sha256(JPEG).hexdigest(), "mismatch"),
        ("application/pdf", PDF, hashlib.sha256(b"something else").hexdigest(), "damaged"),
        # Issue 15: a PDF header followed by a page a browser would run; magic bytes alone let it through.
        ("application/pdf", POLYGLOT, hashlib.sha256(POLYGLOT).hexdigest(), "mismatch"),
        ("application/pdf", SCRIPTED_PDF, hashlib.sha256(SCRIPTED_PDF).hexdigest(), "mismatch"),
        ("image/jpeg", JPEG_AND_SCRIPT, hashlib.sha256(JPEG_AND_SCRIPT).hexdigest(), "mismatch"),
        ("application/pdf", NOT_A_PDF, hashlib.sha256(NOT_A_PDF).hexdigest(), "damaged"),
    ],
    ids=[
        "jpeg_bytes_announced_as_pdf",
        "another_checksum",
        "pdf_html_polyglot",
        "pdf_with_javascript",
        "jpeg_with_a_script_after_its_end",
        "pdf_header_only",
    ],
)
def test_a_stored_file_that_is_not_what_was_announced_is_refused_and_deleted(
    api: Api,
    client: Client,
    gateway: FakeGateway,
    container: Container,
    declared: str,
    body: bytes,
    digest: str,
    code: str,
) -> None:
    """Bytes of another type, or with another checksum, are refused; nothing is kept and the item stays missing."""
    case, items = _requested(api, gateway)
    token = _sent_token(gateway)
    upload_id, key = _announced(client, token, items[0], body, declared)
    _put(container, key, body)
    status, answer = _confirm(client, token, upload_id, digest)
    assert (status, answer["error"]["code"]) == (422, code)
    listed = container.client("s3").list_objects_v2(Bucket=container.settings.media_bucket, Prefix=key)
    assert listed.get("KeyCount", 0) == 0
    status, view = api.call("get", f"/api/cases/{case['id']}")
    assert next(i for i in view["checklist"] if i["code"] == items[0])["state"] == "missing"
    assert _confirm(client, token, upload_id, hashlib.sha256(body).hexdigest())[1]["error"]["code"] == code


@pytest.mark.parametrize(
    ("content_type", "size", "code"),
    [
        ("image/gif", 1000, "wrong_type"),
        ("application/pdf", 10 * 1024 * 1024 + 1, "too_large"),
        ("application/pdf", 0, "empty"),
    ],
)
def test_an_announcement_the_office_cannot_take_is_refused_before_any_form(
    api: Api, client: Client, gateway: FakeGateway, content_type: str, size: int, code: str
) -> None:
    """A type, size or item the office does not take gets no form."""
    _, items = _requested(api, gateway)
    status, answer = _start(client, _sent_token(gateway), items[0], content_type, size)
    assert (status, answer["error"]["code"]) == (422, code)


def test_only_an_item_the_office_is_waiting_for_can_be_uploaded(api: Api, client: Client, gateway: FakeGateway) -> None:
    """An item that was not requested, or that does not exist, is not_wanted."""
    case, items = _requested(api, gateway, count=1)
    token = _sent_token(gateway)
    others = [m["items"][0] for m in case["missing"] if m["items"][0] not in items]
    assert others  # missing but not asked for
    for item in [*others[:1], "no_such_item"]:
        status, answer = _start(client, token, item, "application/pdf", len(PDF))
        assert (status, answer["error"]["code"]) == (422, "not_wanted"), item


def test_malformed_calls_and_unknown_uploads_get_clear_errors(api: Api, client: Client, gateway: FakeGateway) -> None:
    """A bad checksum format is invalid_input; an unknown upload id is upload_not_found; bad JSON is a 400."""
    _, items = _requested(api, gateway)
    token = _sent_token(gateway)
    upload_id, _ = _announced(client, token, items[0], PDF, "application/pdf")
    for digest in ["abc", "z" * 64, hashlib.sha256(PDF).hexdigest() + "0"]:
        status, answer = _confirm(client, token, upload_id, digest)
        assert (status, answer["error"]["code"]) == (422, "invalid_input"), digest
    for unknown in ["0" * 32, "not-an-upload"]:
        status, answer = _confirm(client, token, unknown, hashlib.sha256(PDF).hexdigest())
        assert (status, answer["error"]["code"]) == (404, "upload_not_found"), unknown
    assert _start(client, token, items[0], "application/pdf", True)[1]["error"]["code"] == "invalid_input"
    status, answer = _post(client, f"/u/{token}/uploads", b"{not json")
    assert (status, answer["error"]["code"]) == (400, "bad_request")


def test_a_rejection_sends_a_new_link_to_a_page_that_asks_again_with_the_reason(
    api: Api, client: Client, gateway: FakeGateway, container: Container
) -> None:
    """An officer's rejection carries a fresh link; its page asks for the item again and says why."""
    case, items = _requested(api, gateway)
    first = _sent_token(gateway)
    upload_id, key = _announced(client, first, items[0], PDF, "application/pdf")
    _put(container, key, PDF)
    assert _confirm(client, first, upload_id, hashlib.sha256(PDF).hexdigest())[0] == 200

    body = {"decision": "reject", "reason": "illegible", "note": ""}
    status, answer = api.call("patch", f"/api/cases/{case['id']}/documents/{upload_id}", body)
    assert status == 200, answer
    rejection = gateway.sent[-1].content
    assert isinstance(rejection, Template) and rejection.url_button_parameter is not None
    second = rejection.url_button_parameter
    assert second != first

    status, _, html = _page(client, second)
    assert status == 200 and sorted(re.findall(r'data-item="([^"]+)"', html)) == sorted(items)
    why = translate("upload.rejected", "en", reason=translate("rejection.illegible", "en"))
    assert escape(why) in html
    again, again_key = _announced(client, second, items[0], JPEG, "image/jpeg")
    _put(container, again_key, JPEG)
    status, answer = _confirm(client, second, again, hashlib.sha256(JPEG).hexdigest())
    assert status == 200 and answer["state"] == "received"


def test_a_document_reminder_carries_a_fresh_working_link(api: Api, client: Client, gateway: FakeGateway) -> None:
    """The missing-documents reminder's template brings its own new link to the same page."""
    _, items = _requested(api, gateway, permit_expiry=None)
    requested = _sent_token(gateway)
    before = len(gateway.sent)
    assert _sweep_and_send(_local(3, 9, 5)) == [{"sent": 1}]
    [reminder] = gateway.sent[before:]
    assert isinstance(reminder.content, Template) and reminder.content.name == "sportello_promemoria_documenti"
    token = reminder.content.url_button_parameter
    assert token is not None and len(token) == TOKEN_LENGTH and token != requested
    status, _, html = _page(client, token)
    assert status == 200 and sorted(re.findall(r'data-item="([^"]+)"', html)) == sorted(items)


@pytest.mark.parametrize("token", ["A" * TOKEN_LENGTH, "not-a-token"])
def test_an_unknown_link_gets_an_italian_page_saying_how_to_get_a_new_one(client: Client, token: str) -> None:
    """An unknown or malformed token gets a 404 page in Italian that says to write «link»."""
    status, headers, html = _page(client, token)
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    assert 'lang="it"' in html and "«link»" in html
    assert escape(translate("upload.unavailable.unknown", "it")) in html
    assert headers["Cache-Control"] == "no-store" and "'unsafe-inline'" not in headers["Content-Security-Policy"]
    status, answer = _start(client, token, "passport", "application/pdf", 10)
    assert (status, answer["error"]["code"]) == (404, "link_unavailable")


def test_a_revoked_link_is_gone_in_the_applicants_language(
    api: Api, client: Client, gateway: FakeGateway, container: Container
) -> None:
    """After officers revoke the case's links the page says so (410, applicant's language) and the calls fail."""
    case, items = _requested(api, gateway, applicant={"phone": "333 123 4567", "name": "Ana", "language": "es"})
    token = _sent_token(gateway)
    upload_id, key = _announced(client, token, items[0], PDF, "application/pdf")
    _put(container, key, PDF)

    status, answer = api.call("delete", f"/api/cases/{case['id']}/upload-links")
    assert status == 200 and [link["state"] for link in answer["links"]] == ["revoked"]

    status, headers, html = _page(client, token)
    assert status == 410 and 'lang="es"' in html
    assert escape(translate("upload.unavailable.revoked", "es")) in html
    assert headers["Cache-Control"] == "no-store"
    status, answer = _start(client, token, items[0], "application/pdf", len(PDF))
    assert (status, answer["error"]["code"]) == (410, "link_unavailable")
    status, answer = _confirm(client, token, upload_id, hashlib.sha256(PDF).hexdigest())
    assert (status, answer["error"]["code"]) == (410, "link_unavailable")
    status, view = api.call("get", f"/api/cases/{case['id']}")
    assert next(i for i in view["checklist"] if i["code"] == items[0])["state"] == "missing"


def test_a_link_expires_after_a_day(api: Api, client: Client, gateway: FakeGateway, container: Container) -> None:
    """A day after issue the page answers 410 "expired", and the upload calls fail too."""
    _, items = _requested(api, gateway)
    token = _sent_token(gateway)
    _at(container, DAY_MS - 60_000)
    assert _page(client, token)[0] == 200
    _at(container, DAY_MS + 1000)
    status, _, html = _page(client, token)
    assert status == 410 and escape(translate("upload.unavailable.expired", "en")) in html
    status, answer = _start(client, token, items[0], "application/pdf", len(PDF))
    assert (status, answer["error"]["code"]) == (410, "link_unavailable")


def _phone_line_text(language: str, office_code: str = "AN") -> str:
    """The sentence that gives ``office_code``'s phone line, its days and hours, as the page shows it."""
    line = office(office_code).phone_line
    assert line is not None
    hours = opening_hours(line.days, line.opens, line.closes, language)
    return escape(translate("upload.unavailable.phone", language, phone=line.number, **hours), quote=True)


@pytest.mark.parametrize("how", ["unknown", "expired", "revoked"])
def test_an_unusable_link_gives_the_phone_line_of_its_own_office(
    how: str, api: Api, client: Client, gateway: FakeGateway, container: Container
) -> None:
    """Unknown (404), expired and revoked (410) pages give the phone number, days and hours. A known link's page
    gives its case's office's line even when the deployment's default office is another (MC has no line)."""
    case, _ = _requested(api, gateway)
    token = _sent_token(gateway)
    if how == "unknown":
        token = "B" * TOKEN_LENGTH
    else:
        container.settings = dataclasses.replace(container.settings, default_office="MC")
    if how == "expired":
        _at(container, DAY_MS + 1000)
    if how == "revoked":
        assert api.call("delete", f"/api/cases/{case['id']}/upload-links")[0] == 200
    status, _, html = _page(client, token)
    language = "it" if how == "unknown" else "en"
    assert status == (404 if how == "unknown" else 410)
    assert escape(translate(f"upload.unavailable.{how}", language)) in html
    assert _phone_line_text(language) in html
    line = office("AN").phone_line
    assert line is not None and line.number in html and line.opens in html and line.closes in html


def test_a_closed_case_closes_its_link(api: Api, supervisor: Api, client: Client, gateway: FakeGateway) -> None:
    """Once the case is closed its link answers 410 and says there is nothing more to send."""
    case, _ = _requested(api, gateway)
    token = _sent_token(gateway)
    status, answer = supervisor.call("post", f"/api/cases/{case['id']}/close", {"reason": "cancelled"})
    assert status == 200, answer
    status, _, html = _page(client, token)
    assert status == 410 and escape(translate("upload.unavailable.case_closed", "en")) in html


def test_officers_see_and_revoke_their_cases_links_never_the_tokens(
    api: Api, supervisor: Api, client: Client, gateway: FakeGateway, officer_token: Token
) -> None:
    """Officers list a case's links (state, reason, uses, no token), revoke one by id, and both are audited."""
    case, items = _requested(api, gateway)
    first = _sent_token(gateway)
    assert _page(client, first)[0] == 200
    _request(api, case["id"], items)
    second = _sent_token(gateway)

    response = client.http.get(f"/api/cases/{case['id']}/upload-links", headers={"Authorization": api.token})
    assert response.status_code == 200
    raw = response.body.decode()
    assert first not in raw and second not in raw and token_hash(first) not in raw
    links = json.loads(raw)["links"]
    assert [(link["state"], link["issued_for"]) for link in links] == [("active", "documents_request")] * 2
    assert [link["uses"] for link in links] == [0, 1]  # newest first; the first was opened once

    other = officer_token(office="MC", role="supervisor")
    status, answer = api.call("get", f"/api/cases/{case['id']}/upload-links", token=other)
    assert (status, answer["error"]["code"]) == (404, "not_found")
    assert api.call("delete", f"/api/cases/{case['id']}/upload-links", token=other)[0] == 404
    assert api.call("delete", f"/api/cases/{case['id']}/upload-links/{links[1]['link_id']}", token=other)[0] == 404
    assert _page(client, first)[0] == 200  # still working

    status, answer = api.call("delete", f"/api/cases/{case['id']}/upload-links/{links[1]['link_id']}")
    assert status == 200 and answer["link"]["state"] == "revoked" and answer["link"]["revoked_by"]
    assert _page(client, first)[0] == 410 and _page(client, second)[0] == 200
    status, listing = api.call("get", f"/api/cases/{case['id']}/upload-links")
    assert {link["link_id"]: link["state"] for link in listing["links"]} == {
        links[0]["link_id"]: "active",
        links[1]["link_id"]: "revoked",
    }
    assert api.call("delete", f"/api/cases/{case['id']}/upload-links/0123456789abcdef")[0] == 404

    actions = _audit_actions(supervisor, case["id"])
    assert actions.count("upload_link.revoke") == 1 and actions.count("upload_links.view") == 2


def test_an_arabic_applicants_page_reads_right_to_left(api: Api, client: Client, gateway: FakeGateway) -> None:
    """Arabic applicants get their page in Arabic, right to left."""
    _requested(api, gateway, applicant={"phone": "333 123 4567", "name": "Amina", "language": "ar"})
    status, _, html = _page(client, _sent_token(gateway))
    assert status == 200 and '<html lang="ar" dir="rtl">' in html
    assert escape(translate("upload.take_photo", "ar")) in html


def test_the_pages_script_is_served_as_javascript_without_eval(client: Client) -> None:
    """The page's one script is plain JavaScript with no eval."""
    response = client.http.get("/assets/upload.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    script = response.body.decode()
    assert script.strip() and "eval(" not in script and "new Function(" not in script


def test_the_requests_note_is_on_the_page_when_the_template_cannot_say_it(
    api: Api, client: Client, gateway: FakeGateway
) -> None:
    case = _register(api)
    items = [i["code"] for i in case["checklist"] if i["needed"] and not i["at_counter"]][:2]
    body = {"items": items, "note": "Last three <payslips>"}
    status, answer = api.call("post", f"/api/cases/{case['id']}/requests", body)
    assert status == 200, answer
    assert isinstance(gateway.sent[-1].content, Template)  # outside the window: the template's fixed wording
    status, _, html = _page(client, _sent_token(gateway))
    assert status == 200
    assert translate("upload.office_note", "en") in html
    assert escape("Last three <payslips>") in html and "<payslips>" not in html
