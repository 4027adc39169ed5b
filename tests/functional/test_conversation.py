"""The applicant's conversation through the webhook and the stream processor, on moto, with the fake gateway."""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import itertools
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from chalice.test import Client

from chalicelib.adapters.dynamo.models import ApplicantModel, InboundModel
from chalicelib.bootstrap import Container
from chalicelib.domain.outbound import ListMenu, Text
from chalicelib.i18n import translate
from chalicelib.whatsapp.errors import ServiceUnavailable, UnknownGraphError
from tests import documents
from tests.fakes import FakeGateway
from tests.support import load_event, signed, stream_event

JPEG = documents.jpeg(scan=b"\x3f" * 200)
PDF = documents.pdf(padding=200)
PHONE = "393331234567"
_serial = itertools.count(100)


class Phone:
    """Plays the applicant: builds Meta-shaped messages, posts them signed, runs the processor on them."""

    def __init__(self, client: Client, gateway: FakeGateway, wa_id: str = PHONE) -> None:
        self.client, self.gateway, self.wa_id = client, gateway, wa_id

    def send(self, message: dict[str, Any], redeliver: bool = False) -> list[Any]:
        payload = copy.deepcopy(load_event("message_text"))
        value = payload["entry"][0]["changes"][0]["value"]
        value["contacts"][0]["wa_id"] = self.wa_id
        base = {"from": self.wa_id, "from_user_id": f"IT.{self.wa_id}", "timestamp": "1764100000"}
        value["messages"] = [{**base, "id": f"wamid.test.{next(_serial)}", **message}]
        return self.post(payload, redeliver)

    def post(self, payload: dict[str, Any], redeliver: bool = False) -> list[Any]:
        before = len(self.gateway.sent)
        body, headers = signed(payload)
        assert self.client.http.post("/webhook", headers=headers, body=body).status_code == 200
        wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        key = f"wa#{self.wa_id}"
        item = InboundModel.get(key, wamid)
        for _ in range(2 if redeliver else 1):
            self.client.lambda_.invoke("process_inbound_messages", stream_event([item.serialize()]))
        return [m.content for m in self.gateway.sent[before:]]

    def text(self, body: str) -> list[Any]:
        return self.send({"type": "text", "text": {"body": body}})

    def choose(self, row_id: str) -> list[Any]:
        return self.send(
            {"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": row_id, "title": "x"}}}
        )

    def file(self, body: bytes, mime: str, caption: str = "", declared_sha: str | None = None) -> list[Any]:
        media_id = f"media-{next(_serial)}"
        self.gateway.media[media_id] = body
        kind = "image" if mime.startswith("image/") else "document"
        sha = declared_sha or base64.b64encode(hashlib.sha256(body).digest()).decode()
        media = {"id": media_id, "mime_type": mime, "sha256": sha, "caption": caption}
        if kind == "document":
            media["filename"] = "scan.pdf"
        return self.send({"type": kind, kind: media})


def _bodies(replies: list[Any]) -> str:
    return "\n".join(r.body for r in replies if isinstance(r, (Text, ListMenu)))


@pytest.fixture
def phone(client: Client, gateway: FakeGateway) -> Phone:
    return Phone(client, gateway)


@pytest.fixture
def register(client: Client, officer_token: Callable[..., str]) -> Callable[..., dict[str, Any]]:
    token = officer_token(office="AN", role="officer")

    def make(language: str = "en", phone: str = f"+{PHONE}") -> dict[str, Any]:
        body = {
            "procedure": "rinnovo",
            "permit_type": "studio",
            "applicant": {"phone": phone, "name": "Amina", "language": language},
        }
        response = client.http.post(
            "/api/cases", headers={"Authorization": token, "Content-Type": "application/json"}, body=json.dumps(body)
        )
        assert response.status_code == 201, response.body
        case: dict[str, Any] = json.loads(response.body)["case"]
        return case

    return make


def _case(client: Client, token: str, case_id: str) -> dict[str, Any]:
    response = client.http.get(f"/api/cases/{case_id}", headers={"Authorization": token})
    loaded: dict[str, Any] = json.loads(response.body)
    return loaded


def test_a_stranger_chooses_a_language_gets_information_and_never_a_case(phone: Phone, gateway: FakeGateway) -> None:
    [menu] = phone.text("Salam")
    assert isinstance(menu, ListMenu)
    rows = [row.id for row in menu.sections[0].rows]
    assert rows[0] == "lang.it" and "lang.en" in rows and len(rows) <= 10  # an Italian number: Italian first
    answers = phone.choose("lang.en")
    assert translate("conv.unknown.intro", "en") in _bodies(answers)
    assert isinstance(answers[-1], ListMenu)
    assert translate("conv.unknown.intro", "en") in _bodies(phone.text("status"))
    contacts = _bodies(phone.choose("info.contacts"))
    assert "071 2288482" in contacts and "12:30" in contacts
    [permits] = phone.choose("info.permits")
    assert isinstance(permits, ListMenu) and len([r for s in permits.sections for r in s.rows]) <= 10
    assert "€" in _bodies(phone.choose("procedure.studio.rinnovo"))
    assert phone.file(JPEG, "image/jpeg") == [Text(translate("conv.document.no_case", "en"))]
    assert gateway.downloads == 0  # nothing fetched, nothing kept for someone with no case


def test_a_known_applicant_sees_the_status_then_sends_a_document_that_reaches_the_case(
    phone: Phone, register: Callable[..., dict[str, Any]], client: Client, officer_token: Callable[..., str]
) -> None:
    case = register(language="en")
    [menu] = phone.text("hello")
    assert isinstance(menu, ListMenu) and menu.sections[0].rows[0].id == "lang.en"  # the case's language first
    [status] = phone.choose("lang.en")
    assert case["id"] in status.body and translate("conv.status.how_to_send", "en") in status.body

    [which] = phone.file(JPEG, "image/jpeg")
    assert isinstance(which, ListMenu)
    wanted = which.sections[0].rows[0].id
    [received] = phone.choose(wanted)
    assert received.body.startswith("Received")

    view = _case(client, officer_token(office="AN"), case["id"])
    code = wanted.removeprefix("item.")
    item = next(i for i in view["checklist"] if i["code"] == code)
    assert item["state"] == "received"
    [document] = [d for d in view["documents"] if d["id"] == item["document_id"]]
    assert document["content_type"] == "image/jpeg" and document["source"] == "chat" and document["item"] == code
    assert document["url"].startswith("https://")


def test_a_caption_that_names_a_document_files_it_directly(
    phone: Phone, register: Callable[..., dict[str, Any]]
) -> None:
    case = register(language="it")
    phone.text("ciao")
    phone.choose("lang.it")
    code = case["missing"][0]["items"][0]
    title = translate(f"document.{code}.title", "it")
    [received] = phone.file(PDF, "application/pdf", caption=title)
    assert title in received.body


@pytest.mark.parametrize(
    ("body", "mime", "reason"),
    [
        (PDF, "image/jpeg", "mismatch"),
        (b"GIF89a" + b"0" * 20, "image/gif", "wrong_type"),
        (JPEG * 100_000, "image/jpeg", "too_large"),
    ],
)
def test_a_bad_file_is_refused_with_a_reason_and_not_kept(
    phone: Phone, register: Callable[..., dict[str, Any]], body: bytes, mime: str, reason: str
) -> None:
    register(language="en")
    phone.text("hi")
    phone.choose("lang.en")
    replies = phone.file(body, mime)
    key = f"conv.document.{reason}"
    expected = translate(key, "en", max_mb="10") if reason == "too_large" else translate(key, "en")
    assert [r.body for r in replies] == [expected]


def test_a_damaged_file_is_refused(phone: Phone, register: Callable[..., dict[str, Any]]) -> None:
    register(language="en")
    phone.text("hi")
    phone.choose("lang.en")
    wrong = base64.b64encode(hashlib.sha256(b"something else").digest()).decode()
    assert [r.body for r in phone.file(JPEG, "image/jpeg", declared_sha=wrong)] == [
        translate("conv.document.damaged", "en")
    ]


def test_an_expired_url_is_fetched_again_and_a_5xx_is_retried(
    phone: Phone, register: Callable[..., dict[str, Any]], gateway: FakeGateway, container: Container, client: Client
) -> None:
    register(language="en")
    phone.text("hi")
    phone.choose("lang.en")
    gateway.media_errors.append(UnknownGraphError("expired", http_status=404))
    [which] = phone.file(JPEG, "image/jpeg")
    assert isinstance(which, ListMenu) and gateway.downloads == 2

    gateway.media_errors.append(ServiceUnavailable("down", code=131016, http_status=503, is_transient=True))
    with pytest.raises(ServiceUnavailable):
        phone.file(PDF, "application/pdf")
    [pending] = [i for i in InboundModel.scan() if i.state == "pending"]
    assert pending.attempts == 1  # not done, its file not missing: the redrive fetches it again

    before = len(gateway.sent)
    container.settings = dataclasses.replace(container.settings, redrive_after_seconds=0)
    tick = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    assert client.lambda_.invoke("redrive_inbound", tick).payload["processed"] == 1
    assert isinstance(gateway.sent[before].content, ListMenu)  # which document is it?


def test_a_redelivered_file_is_attached_once_and_answered_once(
    phone: Phone, register: Callable[..., dict[str, Any]], gateway: FakeGateway
) -> None:
    case = register(language="en")
    phone.text("hi")
    phone.choose("lang.en")
    code = case["missing"][0]["items"][0]
    replies = (
        phone.send(
            {
                "type": "document",
                "document": {
                    "id": "media-x",
                    "mime_type": "application/pdf",
                    "filename": "a.pdf",
                    "caption": translate(f"document.{code}.title", "en"),
                    "sha256": base64.b64encode(hashlib.sha256(PDF).digest()).decode(),
                },
            },
            redeliver=True,
        )
        if gateway.media.setdefault("media-x", PDF)
        else []
    )
    assert len(replies) == 1


def test_free_text_goes_to_an_officer_and_is_acknowledged_once(
    phone: Phone,
    register: Callable[..., dict[str, Any]],
    client: Client,
    officer_token: Callable[..., str],
    container: Container,
) -> None:
    case = register(language="en")
    phone.text("hi")
    phone.choose("lang.en")
    assert [r.body for r in phone.text("My employer changed, what do I do?")] == [translate("conv.handoff", "en")]
    assert phone.text("Also my address changed") == []
    token = officer_token(office="AN")
    listing = json.loads(client.http.get("/api/cases?unanswered=true", headers={"Authorization": token}).body)
    assert [c["id"] for c in listing["cases"]] == [case["id"]]
    thread = json.loads(client.http.get(f"/api/cases/{case['id']}/conversation", headers={"Authorization": token}).body)
    texts = [(m["direction"], m["author"]["kind"], m["text"]) for m in thread["messages"] if m["kind"] == "text"]
    assert texts[-3:] == [
        ("in", "applicant", "My employer changed, what do I do?"),
        ("out", "service", translate("conv.handoff", "en")),
        ("in", "applicant", "Also my address changed"),
    ]
    from chalicelib.domain.applicants import ApplicantRef

    container.applicants.record_inbound(ApplicantRef(wa_id=PHONE), None, 2_000_000_000, 0)
    client.http.post(
        f"/api/cases/{case['id']}/messages",
        headers={"Authorization": token, "Content-Type": "application/json"},
        body=json.dumps({"text": "Please bring the new contract."}),
    )
    listing = json.loads(client.http.get("/api/cases?unanswered=true", headers={"Authorization": token}).body)
    assert listing["cases"] == []


def test_stop_and_start_are_recorded(phone: Phone) -> None:
    phone.text("hi")
    phone.choose("lang.en")
    assert [r.body for r in phone.text("STOP")] == [translate("conv.optout", "en")]
    assert ApplicantModel.get(f"wa#{PHONE}").opted_out_at is not None
    assert [r.body for r in phone.text("Start")] == [translate("conv.optin", "en")]
    assert ApplicantModel.get(f"wa#{PHONE}").opted_out_at is None


def _recorded(name: str) -> dict[str, Any]:
    """The message of a recorded payload, without its sender, id and time (the phone adds its own)."""
    message = load_event(name)["entry"][0]["changes"][0]["value"]["messages"][0]
    return {k: v for k, v in message.items() if k not in {"from", "from_user_id", "id", "timestamp"}}


@pytest.mark.parametrize("kind", ["sticker", "location", "audio", "contacts", "unsupported"])
def test_unsupported_types_get_a_polite_reply(phone: Phone, kind: str) -> None:
    phone.text("hi")
    phone.choose("lang.en")
    raw = _recorded(f"message_{'audio_voice' if kind == 'audio' else kind}")
    assert [r.body for r in phone.send(raw)] == [translate("conv.unsupported", "en")]


@pytest.mark.parametrize(
    "raw",
    [_recorded("message_unsupported"), {"type": "poll", "poll": {"question": "?"}}, {"type": "unknown"}],
    ids=["unsupported-poll", "unknown-type", "meta-unknown"],
)
def test_a_poll_or_an_unknown_type_is_answered_that_we_cannot_read_it_in_their_language(
    phone: Phone, raw: dict[str, Any]
) -> None:
    phone.text("hi")
    phone.choose("lang.fr")
    assert [r.body for r in phone.send(raw)] == [translate("conv.unsupported", "fr")]
    assert translate("conv.unsupported", "fr") != translate("conv.unsupported", "en")


def test_a_poll_as_a_first_message_gets_the_language_menu_and_that_we_cannot_read_it(phone: Phone) -> None:
    menu, unsupported = phone.send(_recorded("message_unsupported"))
    assert isinstance(menu, ListMenu)
    assert unsupported.body == translate("conv.unsupported", "it")  # an Italian number


def test_a_reaction_is_kept_in_the_thread_and_answered_with_silence(
    phone: Phone, register: Callable[..., dict[str, Any]], client: Client, officer_token: Callable[..., str]
) -> None:
    case = register(language="en")
    phone.text("hi")
    phone.choose("lang.en")

    assert phone.send(_recorded("message_reaction")) == []

    token = officer_token(office="AN")
    thread = json.loads(client.http.get(f"/api/cases/{case['id']}/conversation", headers={"Authorization": token}).body)
    last = thread["messages"][-1]
    assert (last["direction"], last["kind"], last["text"]) == ("in", "reaction", "👍")


def test_language_can_be_changed_any_time(phone: Phone) -> None:
    phone.text("hi")
    phone.choose("lang.en")
    [menu] = phone.text("lingua")
    assert isinstance(menu, ListMenu)
    phone.choose("lang.it")
    assert [r.body for r in phone.text("aiuto")] == [translate("conv.help", "it")]


def test_after_closing_the_status_says_the_case_is_closed_with_its_number_and_date(
    phone: Phone, register: Callable[..., dict[str, Any]], client: Client, officer_token: Callable[..., str]
) -> None:
    from chalicelib.i18n.formats import format_date

    case = register(language="en")
    phone.text("hello")
    phone.choose("lang.en")
    token = officer_token(office="AN", role="officer")
    headers = {"Authorization": token, "Content-Type": "application/json"}
    body = json.dumps({"reason": "completed", "note": "Fingerprints taken"})
    response = client.http.post(f"/api/cases/{case['id']}/close", headers=headers, body=body)
    assert response.status_code == 200, response.body
    closed_on = format_date(datetime.now(ZoneInfo("Europe/Rome")).date(), "en")
    expected = translate("conv.status.closed", "en", case_ref=case["id"], date=closed_on)
    assert [r.body for r in phone.text("status")] == [expected]
    assert "no application" not in expected.lower() and case["id"] in expected and closed_on in expected
    # any other message (e.g. the reply the office-message template invites) hears the same, then the menu
    answers = phone.text("ok")
    assert answers[0].body == expected and isinstance(answers[-1], ListMenu)


def test_the_status_lists_a_one_of_group_as_one_missing_item(
    phone: Phone, client: Client, officer_token: Callable[..., str]
) -> None:
    from chalicelib.i18n.formats import join_list

    token = officer_token(office="AN", role="officer")
    body = {
        "procedure": "rinnovo",
        "permit_type": "lavoro_subordinato",
        "applicant": {"phone": f"+{PHONE}", "name": "Amina", "language": "en"},
    }
    headers = {"Authorization": token, "Content-Type": "application/json"}
    assert client.http.post("/api/cases", headers=headers, body=json.dumps(body)).status_code == 201
    phone.text("hello")
    [status] = phone.choose("lang.en")
    group = ["contratto_soggiorno", "unilav", "assunzione_domestico"]
    alternatives = join_list([translate(f"document.{c}.title", "en") for c in group], "en", style="or")
    lines = status.body.splitlines()
    assert f"• {alternatives}" in lines
    for code in group:
        assert f"• {translate(f'document.{code}.title', 'en')}" not in lines


def test_two_applicants_whose_messages_share_a_wamid_each_get_their_reply(client: Client, gateway: FakeGateway) -> None:
    first, second = Phone(client, gateway), Phone(client, gateway, wa_id="393339876543")
    for phone in (first, second):
        payload = copy.deepcopy(load_event("message_text"))  # the same wamid for both: a wamid proves nothing
        value = payload["entry"][0]["changes"][0]["value"]
        value["contacts"][0].update({"wa_id": phone.wa_id, "user_id": f"IT.{phone.wa_id}"})
        value["messages"][0].update({"from": phone.wa_id, "from_user_id": f"IT.{phone.wa_id}"})
        [menu] = phone.post(payload)
        assert isinstance(menu, ListMenu)
    assert [m.recipient.wa_id for m in gateway.sent] == [first.wa_id, second.wa_id]
    assert len({m.outbound_id for m in gateway.sent}) == 2
