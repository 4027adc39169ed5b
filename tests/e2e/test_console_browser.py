"""The officers' console in a real browser (Debian's headless Chromium, driven by Playwright) on the local system.

The whole walk of an officer's day with one applicant: the applicant writes on WhatsApp (the simulator); the
officer signs in through the local sign-in (the same authorization code flow with PKCE as Cognito's hosted UI),
finds the case in the inbox with the message, reads the thread, answers (the phone receives it), asks for a
document, which the applicant uploads on the secure upload page; the officer sees it inline and accepts it, asks
for another, leaves the rest for the counter and books the visit (the phone receives it). Nothing may go wrong on
the way: no console error, no CSP violation, no request to anyone but the local system, every API answer as the
OpenAPI document says. Screenshots at a desk's 1280x800 are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests

from chalicelib.i18n import translate
from tests.e2e.test_officer_journey import Officer
from tests.e2e.test_public_page_browser import ARTIFACTS
from tests.e2e.test_upload_page_browser import (
    Watch,
    _outbox,
    _pdf,
    _phone_number,
    _wait_for,
)
from tests.support import counter_day

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Request

    from tests.e2e.conftest import LocalSystem

pytestmark = pytest.mark.e2e

DESK = {"width": 1280, "height": 800}
CONTRAST = (Path(__file__).with_name("contrast.js")).read_text()  # WCAG AA contrast of what is on screen

WAIT_MS = 20_000


def it(key: str, **values: str) -> str:
    """A console text as an Italian officer reads it."""
    return translate(key, "it", **values)


class Desk(Watch):
    """The upload page's watchful tab (no console error, no CSP violation, no failed or third-party request, every
    API answer as documented), at a desk's size; each screenshot also holds the screen to WCAG AA contrast."""

    def __init__(self, browser: Browser, system: LocalSystem) -> None:
        super().__init__(browser, system, DESK, locale="it-IT", timezone_id="Europe/Rome")
        self.page.set_default_timeout(WAIT_MS)

    def _failed(self, request: Request) -> None:
        # A PDF opened in a frame: Chromium answers the frame's load as aborted and hands the stream to its PDF
        # viewer. It counts as a failure only if the bucket did not send the file.
        response = request.response() if request.resource_type == "document" else None
        if request.frame.parent_frame is not None and response is not None and response.status == 200:
            return
        super()._failed(request)

    def check_api_answers(self) -> None:
        """The JSON API's answers (the page, its files and the sign-in redirects are navigations, checked by the
        functional tests)."""
        self.api_answers = [a for a in self.api_answers if urlsplit(a.url).path.startswith("/api/")]
        super().check_api_answers()

    def shot(self, name: str) -> None:
        """Keep a screenshot, and hold what is on screen to WCAG AA contrast; check the API's answers so far (the
        browser lets old response bodies go in a long session)."""
        self.check_api_answers()
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"))
        self.problems += [f"contrast on {name}: {failure}" for failure in self.page.evaluate(CONTRAST)]


@pytest.fixture
def desk(browser: Browser, local_system: LocalSystem) -> Any:
    tab = Desk(browser, local_system)
    try:
        yield tab
    finally:
        tab.context.close()


def _applicant_writes(system: LocalSystem, phone: str, message: dict[str, Any]) -> str:
    answer = requests.post(f"{system.simulator}/_simulator/inbound", json={"from": phone, **message}, timeout=30)
    answer.raise_for_status()
    assert answer.json()["webhook_status"] == 200, answer.json()
    wamid: str = answer.json()["wamid"]
    _wait_for(
        "the app reads the applicant's message",
        lambda: any(
            m["kind"] == "mark_read" and m["body"].get("message_id") == wamid
            for m in _outbox(system, phone, everything=True)
        ),
        system,
    )
    return wamid


def _phone_receives(system: LocalSystem, phone: str, after: int, predicate: Any) -> dict[str, Any]:
    return _wait_for(
        "the phone receives the message",
        lambda: next((m for m in _outbox(system, phone) if m["index"] > after and predicate(m)), None),
        system,
    )


def _last(system: LocalSystem, phone: str) -> int:
    return max((m["index"] for m in _outbox(system, phone, everything=True)), default=-1)


def _upload_on_the_page(browser: Browser, link: str, item: str) -> None:
    """The applicant opens the secure page on their phone and sends a PDF for ``item``."""
    phone = browser.new_context(viewport={"width": 412, "height": 915})
    try:
        page = phone.new_page()
        page.goto(link)
        page.set_input_files(
            f'li.item[data-item="{item}"] input[type=file]:not([capture])',
            files=[{"name": "contratto-affitto.pdf", "mimeType": "application/pdf", "buffer": _pdf()}],
        )
        page.wait_for_selector(f'li.item[data-item="{item}"].done', state="attached", timeout=30_000)
    finally:
        phone.close()


def _checklist_line(page: Page, title: str) -> Locator:
    return page.locator(".checklist-line", has=page.get_by_text(title, exact=True))


def test_an_officer_works_a_case_from_the_inbox_to_the_booked_visit(
    local_system: LocalSystem,
    desk: Desk,
    browser: Browser,
) -> None:
    system, page = local_system, desk.page
    phone = _phone_number()
    setup = Officer(system, "AN", "officer", "an.officer2")
    status, answer = setup.call(
        "post",
        "/api/cases",
        {
            "procedure": "rinnovo",
            "permit_type": "studio",
            "applicant": {"phone": phone, "name": "Mei Lin", "language": "en"},
        },
    )
    assert status == 201, answer
    case_id = answer["case"]["id"]
    _applicant_writes(system, phone, {"text": "Hello"})
    _applicant_writes(system, phone, {"list_reply": {"id": "lang.en", "title": "English"}})
    question = "My university changed my course, do you need the new enrolment letter?"
    _applicant_writes(system, phone, {"text": question})

    # Sign in as the local issuer's Giulia Bianchi (AN officer): the same code flow with PKCE as in AWS.
    page.goto(f"{system.api}/console/")
    page.get_by_role("button", name=it("console.signin.button")).click()
    page.get_by_role("button", name=re.compile("Giulia Bianchi")).click()
    page.wait_for_selector(".inbox-row")
    assert "Giulia Bianchi" in page.locator(".who").inner_text()

    # The inbox: the case, why it waits, what the applicant wrote.
    row = page.locator(".inbox-row", has_text=case_id)
    row.wait_for()
    assert question in row.inner_text() and it("console.reason.unanswered") in row.inner_text()
    desk.shot("1-inbox")
    # Keyboard first: the first Tab reaches the skip link, and a case opens from the inbox with Enter.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className").startswith("visually-hidden-focusable")
    row.locator("a").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".message-in >> text=" + question)
    assert page.locator("#case-title").inner_text() == "Mei Lin"
    thread = page.locator(".thread-list")
    assert translate("conv.handoff", "en") in thread.inner_text()  # the service's own reply is in the thread
    assert "Davide Moretti" in thread.inner_text()  # the opening template, by the officer who registered the case
    assert translate("template.sportello_pratica_verificata.body", "en").split("{{")[0] in thread.inner_text()
    desk.shot("2-case")

    # Answer: the phone receives it, the thread shows it with its author and delivery.
    before = _last(system, phone)
    answer_text = "Yes please: send the new letter from your secure page when we ask for it."
    page.locator("#reply-text").fill(answer_text)
    page.get_by_role("button", name=it("console.thread.send"), exact=True).click()
    _phone_receives(system, phone, before, lambda m: m["body"].get("text", {}).get("body") == answer_text)
    mine = page.locator(".message-out", has_text=answer_text)
    mine.wait_for()
    assert "Giulia Bianchi" in mine.inner_text()
    page.wait_for_function(
        "text => [...document.querySelectorAll('.message-out')].some(m => m.textContent.includes(text)"
        " && /consegnato|letto/.test(m.querySelector('.delivery')?.textContent || ''))",
        arg=answer_text,
    )
    desk.shot("3-answered")
    status, thread_json = setup.call("get", f"/api/cases/{case_id}/conversation")
    lines = [(m["direction"], m["author"]["kind"], m["text"]) for m in thread_json["messages"]]
    # In the order they happened (the reply to the language choice may go out after the question came in).
    order = [
        ("in", "applicant", question),
        ("out", "service", translate("conv.handoff", "en")),
        ("out", "officer", answer_text),
    ]
    assert [line for line in lines if line in order] == order
    assert thread_json["messages"][-1]["author"]["name"] == "Giulia Bianchi"
    assert thread_json["messages"][-1]["delivery"]["state"] in {"sent", "delivered", "read"}
    status, inbox = setup.call("get", "/api/inbox")
    assert case_id not in [row["id"] for row in inbox["cases"]]  # answered: it waits for nobody

    # Ask for a document: the applicant gets the secure link and uploads a PDF on their phone.
    housing = it("document.alloggio.title")
    before = _last(system, phone)
    _checklist_line(page, housing).locator("input[type=checkbox]").check()
    page.locator("#request-note").fill("The rental contract, all pages.")
    page.get_by_role("button", name=it("console.checklist.request")).click()
    message = _phone_receives(system, phone, before, lambda m: m.get("links"))
    _upload_on_the_page(browser, str(message["links"][0]), "alloggio")

    # The officer sees it (the screen refreshes by itself), inline, and accepts it.
    _checklist_line(page, housing).get_by_text(it("console.item.received")).wait_for(timeout=45_000)
    _checklist_line(page, housing).get_by_role("button", name=it("console.thread.open_document")).click()
    page.locator("iframe.document-pdf").wait_for()
    desk.shot("4-document")
    page.get_by_role("button", name=it("console.documents.accept")).click()
    _checklist_line(page, housing).get_by_text(it("console.item.accepted")).wait_for()

    # Ask for another, then leave everything still missing for the counter.
    means = it("document.mezzi_sussistenza.title")
    before = _last(system, phone)
    _checklist_line(page, means).locator("input[type=checkbox]").check()
    page.get_by_role("button", name=it("console.checklist.request")).click()
    _phone_receives(system, phone, before, lambda m: m.get("links"))
    toggles = page.get_by_role("button", name=it("console.checklist.at_counter"), exact=True)
    while not page.locator("#checklist-title .badge").count():
        count = toggles.count()
        assert count, "nothing left to leave for the counter, yet the checklist is not complete"
        toggles.first.click()
        page.wait_for_function(
            "([name, count]) => [...document.querySelectorAll('.counter-toggle')]"
            ".filter(b => b.textContent === name).length < count",
            arg=[it("console.checklist.at_counter"), count],
        )
    page.locator("#checklist-title .badge").wait_for()

    # Book the counter visit: the phone receives the appointment; the case leaves the inbox.
    visit = counter_day(7)
    before = _last(system, phone)
    page.locator("#visit-day").select_option(visit.isoformat())
    page.locator(".slot-times button", has_text="09:30").click()
    page.get_by_role("button", name=it("console.visit.book")).click()
    _phone_receives(system, phone, before, lambda m: "09:30" in str(m))
    page.locator(".appointment").wait_for()
    page.wait_for_function(
        "id => ![...document.querySelectorAll('.inbox-row')].some(r => r.textContent.includes(id))", arg=case_id
    )
    desk.shot("5-booked")

    # The counter's day: the visit is listed; the applicant came; the case moves to the counter stage.
    page.get_by_role("link", name=it("console.day.nav")).click()
    page.locator("#day-date").fill(visit.isoformat())
    page.locator("#day-date").dispatch_event("change")
    row = page.locator(".day-table tr", has_text=case_id)
    row.wait_for()
    assert "09:30" in row.inner_text() and "Mei Lin" in row.inner_text()
    desk.shot("6-day")
    row.get_by_role("button", name=it("console.visit.attended"), exact=True).click()
    row.get_by_text(it("console.visit.came")).wait_for()
    row.get_by_role("link", name=case_id).click()
    page.locator(".case-header .badge", has_text=it("console.status.at_counter")).wait_for()

    # The English console, and the history names the people who acted.
    page.get_by_role("button", name=it("console.side.history")).click()
    history = page.locator(".history").inner_text()
    assert "Giulia Bianchi" in history and "Davide Moretti" in history
    desk.check_api_answers()  # before the reload lets their bodies go
    page.get_by_role("button", name="English").click()
    page.wait_for_selector(f"text={translate('console.inbox.title', 'en')}")
    time.sleep(0.5)
    desk.shot("7-english")
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright: the columns stack
    time.sleep(0.5)
    desk.shot("8-tablet")

    desk.check_api_answers()
    assert desk.problems == [], "\n".join(desk.problems)
