"""The applicant's journey on the real local system: simulator phone → webhook → processor → simulator, and the
officers' API, in Italian, English and Arabic (right to left)."""

from __future__ import annotations

import base64
import time
from itertools import count
from typing import Any

import pytest
import requests

from chalicelib.i18n import translate
from devtools import local_auth
from tests import documents
from tests.e2e.conftest import LocalSystem, wait_until_processed

pytestmark = pytest.mark.e2e
JPEG = documents.jpeg(scan=b"\x3f" * 300)  # real files: they are parsed and walked (issue 15)
PDF = documents.pdf(version="1.4", padding=200)
_numbers = count(201)


def _token(system: LocalSystem, office: str = "AN", role: str = "officer") -> str:
    token = local_auth.mint_id_token(
        local_auth.signing_key(), issuer=local_auth.issuer_for(system.api), office=office, role=role
    )
    return f"Bearer {token}"


def _messages(system: LocalSystem, digits: str) -> list[dict[str, Any]]:
    response = requests.get(f"{system.simulator}/_simulator/messages", params={"to": digits}, timeout=10)
    response.raise_for_status()
    messages: list[dict[str, Any]] = response.json()
    return messages


def _wait(system: LocalSystem, digits: str, seen: int, expect: int = 1) -> list[dict[str, Any]]:
    """The messages after the first ``seen`` ones, once at least ``expect`` arrived.

    For what an officer's request sends: it is sent before the request answers, so nothing of it comes later.
    """
    deadline = time.monotonic() + 20
    while len(_messages(system, digits)) < seen + expect:
        assert time.monotonic() < deadline, f"no reply:\n{system.output_tail()}"
        time.sleep(0.2)
    return _messages(system, digits)[seen:]


def _turn(system: LocalSystem, digits: str, seen: int, wamid: str) -> list[dict[str, Any]]:
    """The messages after the first ``seen`` ones, once the applicant's message ``wamid`` is processed: its
    turn's replies are all sent by then (a durable record, not a pause for stragglers)."""
    wait_until_processed(system, wamid)
    return _messages(system, digits)[seen:]


def _phone(system: LocalSystem, phone: str, **message: Any) -> str:
    """Send as the applicant; the message's wamid."""
    answer = requests.post(f"{system.simulator}/_simulator/inbound", json={"from": phone, **message}, timeout=10)
    answer.raise_for_status()
    assert answer.json()["webhook_status"] == 200
    return str(answer.json()["wamid"])


def _text_of(message: dict[str, Any]) -> str:
    body = message["body"]
    if body["type"] == "text":
        return str(body["text"]["body"])
    return str(body.get("interactive", {}).get("body", {}).get("text", ""))


@pytest.mark.parametrize("language", ["it", "en", "ar"])
def test_an_applicant_sends_a_photo_and_a_pdf_and_hears_of_a_rejection(
    local_system: LocalSystem, language: str
) -> None:
    system, officer = local_system, _token(local_system)
    digits = f"39333000{next(_numbers):04d}"
    phone = f"+{digits}"
    headers = {"Authorization": officer}
    registered = requests.post(
        f"{system.api}/api/cases",
        headers=headers,
        json={
            "procedure": "rinnovo",
            "permit_type": "studio",
            "applicant": {"phone": phone, "name": "Amina", "language": language},
        },
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    case = registered.json()["case"]
    seen = len(_wait(system, digits, 0))  # the opening template

    sent = _phone(system, phone, text="مرحبا" if language == "ar" else "Buongiorno")
    [menu] = _turn(system, digits, seen, sent)
    seen += 1
    rows = menu["body"]["interactive"]["action"]["sections"][0]["rows"]
    assert rows[0]["id"] == f"lang.{language}"

    sent = _phone(system, phone, list_reply={"id": f"lang.{language}", "title": rows[0]["title"]})
    [status] = _turn(system, digits, seen, sent)
    seen += 1
    assert case["id"] in _text_of(status)
    assert translate(f"status.{case['status']}", language) in _text_of(status)

    sent = _phone(
        system, phone, file={"base64": base64.b64encode(JPEG).decode(), "mime_type": "image/jpeg", "filename": "p.jpg"}
    )
    [which] = _turn(system, digits, seen, sent)
    seen += 1
    first_row = which["body"]["interactive"]["action"]["sections"][0]["rows"][0]
    sent = _phone(system, phone, list_reply={"id": first_row["id"], "title": first_row["title"]})
    [received] = _turn(system, digits, seen, sent)
    seen += 1
    photo_item = first_row["id"].removeprefix("item.")
    assert translate(f"document.{photo_item}.title", language) in _text_of(received)

    pdf_item = next(m["items"][0] for m in case["missing"] if m["items"][0] != photo_item)
    caption = translate(f"document.{pdf_item}.title", language)
    sent = _phone(
        system,
        phone,
        file={
            "base64": base64.b64encode(PDF).decode(),
            "mime_type": "application/pdf",
            "filename": "doc.pdf",
            "caption": caption,
        },
    )
    [received_pdf] = _turn(system, digits, seen, sent)
    seen += 1
    assert caption in _text_of(received_pdf)

    view = requests.get(f"{system.api}/api/cases/{case['id']}", headers=headers, timeout=10).json()
    items = {i["code"]: i for i in view["checklist"]}
    assert items[photo_item]["state"] == items[pdf_item]["state"] == "received"
    contents = {d["item"]: requests.get(d["url"], timeout=10).content for d in view["documents"]}
    assert contents[photo_item] == JPEG and contents[pdf_item] == PDF

    rejected = requests.patch(
        f"{system.api}/api/cases/{case['id']}/documents/{items[pdf_item]['document_id']}",
        headers=headers,
        json={"decision": "reject", "reason": "illegible"},
        timeout=10,
    )
    assert rejected.status_code == 200, rejected.text
    [notice] = _wait(system, digits, seen)
    assert translate("rejection.illegible", language) in _text_of(notice)
    assert translate(f"document.{pdf_item}.title", language) in _text_of(notice)


def test_a_stranger_never_sees_someone_elses_case(local_system: LocalSystem) -> None:
    system = local_system
    owner, stranger = f"+39333000{next(_numbers):04d}", f"39333000{next(_numbers):04d}"
    requests.post(
        f"{system.api}/api/cases",
        headers={"Authorization": _token(system)},
        json={
            "procedure": "rinnovo",
            "permit_type": "studio",
            "applicant": {"phone": owner, "name": "A", "language": "en"},
        },
        timeout=10,
    ).raise_for_status()
    sent = _phone(system, f"+{stranger}", text="status")
    first_turn = len(_turn(system, stranger, 0, sent))  # the language menu, then the answer to "status"
    sent = _phone(system, f"+{stranger}", list_reply={"id": "lang.en", "title": "English"})
    replies = _turn(system, stranger, first_turn, sent)
    assert replies
    assert all(owner.lstrip("+") not in str(m["body"]) and "AN-" not in _text_of(m) for m in replies)
    assert translate("conv.unknown.intro", "en") in " ".join(_text_of(m) for m in replies)
