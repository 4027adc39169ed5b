"""The privacy notice: ``GET /info/privacy`` in every language (page and JSON), its line in a new applicant's first
message, and the "privacy" command."""

from __future__ import annotations

import json
from dataclasses import replace
from html import escape
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import Container, privacy_context
from chalicelib.domain.outbound import ListMenu, Text
from chalicelib.i18n import available_languages, translate
from chalicelib.offices import office
from chalicelib.services.privacy import GARANTE
from tests.fakes import FakeGateway
from tests.functional.test_conversation import Phone

BASE = "https://sportello.example.test/"  # the parent of the tests' UPLOAD_PAGE_URL
CONTROLLER = office("AN").privacy.controller  # type: ignore[union-attr]


def _get(client: Client, path: str, **headers: str) -> tuple[int, Any, dict[str, str]]:
    response = client.http.get(path, headers=headers)
    body = response.body.decode() if isinstance(response.body, bytes) else response.body
    parsed = json.loads(body) if body and response.headers.get("Content-Type") == "application/json" else body
    return response.status_code, parsed, response.headers


@pytest.mark.parametrize("language", available_languages())
def test_the_notice_is_a_page_in_every_language(client: Client, container: Container, language: str) -> None:
    status, page, headers = _get(client, f"/info/privacy?lang={language}", Accept="text/html")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    direction = "rtl" if language in ("ar", "ur") else "ltr"
    assert f'<html lang="{language.replace("_", "-")}" dir="{direction}">' in page
    assert "<script" not in page and "default-src 'none'" in headers["Content-Security-Policy"]
    assert f"<title>{escape(translate('privacy.title', language))}</title>" in page
    assert escape(CONTROLLER) in page and escape(GARANTE["name"]) in page and GARANTE["website"] in page
    days = str(container.settings.inbound_retention_days)
    assert escape(translate("privacy.retention.messages", language, days=days)) in page
    quarantine = str(container.settings.quarantine_retention_days)
    assert escape(translate("privacy.retention.quarantine", language, days=quarantine)) in page


def test_the_notice_as_json_follows_the_settings(client: Client, container: Container) -> None:
    status, data, headers = _get(client, "/info/privacy?lang=fr")
    assert status == 200 and headers["Content-Language"] == "fr" and headers["ETag"]
    assert data["controller"] == CONTROLLER and data["dpo"] is None and data["garante"] == GARANTE
    assert data["retention"]["messages_days"] == container.settings.inbound_retention_days
    assert data["url"] == f"{BASE}info/privacy?office=AN&lang=fr"

    settings = replace(container.settings, inbound_retention_days=45, outbound_retention_days=45)
    container.__dict__["privacy"] = privacy_context(settings)
    status, changed, _ = _get(client, "/info/privacy?lang=fr", **{"If-None-Match": headers["ETag"]})
    assert status == 200 and changed["retention"]["messages_days"] == 45  # a new representation, not a 304
    retention = next(s for s in changed["sections"] if s["id"] == "retention")
    assert translate("privacy.retention.messages", "fr", days="45") in retention["paragraphs"]


def test_the_notice_negotiates_its_language_and_office(client: Client) -> None:
    assert _get(client, "/info/privacy", **{"Accept-Language": "uk-UA,uk;q=0.9"})[1]["language"] == "uk"
    status, macerata, _ = _get(client, "/info/privacy?office=MC&lang=en")
    assert status == 200 and macerata["office"] == "MC" and "Macerata" in macerata["controller"]
    assert _get(client, "/info/privacy?office=XX")[0] == 404


def _line(language: str) -> str:
    return translate("privacy.chat.line", language, url=f"{BASE}info/privacy?office=AN&lang={language}")


def test_a_new_applicants_first_message_carries_the_privacy_line(client: Client, gateway: FakeGateway) -> None:
    [menu] = Phone(client, gateway).text("Buongiorno")  # an Italian number: the menu is in Italian
    assert isinstance(menu, ListMenu) and menu.body.endswith(_line("it")) and len(menu.body) <= 1024
    [arabic] = Phone(client, gateway, wa_id="212612345678").text("السلام عليكم")  # a Moroccan number
    assert isinstance(arabic, ListMenu) and arabic.body.endswith(_line("ar"))


def test_the_language_menu_asked_for_later_has_no_privacy_line(client: Client, gateway: FakeGateway) -> None:
    phone = Phone(client, gateway)
    phone.text("hi")
    phone.choose("lang.en")
    [menu] = phone.text("language")
    assert isinstance(menu, ListMenu) and "info/privacy" not in menu.body


@pytest.mark.parametrize(
    ("language", "word"), [("en", "privacy"), ("it", "Riservatezza"), ("ar", "خصوصية"), ("zh_Hans", "隐私")]
)
def test_the_privacy_command_answers_with_the_short_notice(
    client: Client, gateway: FakeGateway, language: str, word: str
) -> None:
    phone = Phone(client, gateway)
    phone.text("hi")
    phone.choose(f"lang.{language}")
    [answer] = phone.text(word)
    assert isinstance(answer, Text) and len(answer.body) <= 4096
    assert answer.body.startswith(translate("privacy.chat.short", language, **_blank())[:8])
    assert CONTROLLER in answer.body and GARANTE["name"] in answer.body
    assert answer.body.endswith(f"{BASE}info/privacy?office=AN&lang={language}")


def test_privacy_as_the_very_first_message_gets_the_menu_and_the_notice(client: Client, gateway: FakeGateway) -> None:
    menu, answer = Phone(client, gateway).text("privacy")
    assert isinstance(menu, ListMenu) and menu.body.endswith(_line("it"))
    assert isinstance(answer, Text) and answer.body.endswith(f"{BASE}info/privacy?office=AN&lang=it")


def _blank() -> dict[str, str]:
    names = ("controller", "days", "document_days", "case_days", "contact", "garante", "website", "url")
    return dict.fromkeys(names, "")
