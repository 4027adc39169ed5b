"""The secure upload page in a real browser (Debian's headless Chromium, driven by Playwright) at a phone viewport.

From the officer's request to the stored documents: the link reaches the applicant's phone (the WhatsApp simulator),
the page lists what the office waits for, a PDF and a photo go straight to the local S3 (moto) and are confirmed,
the photo's GPS metadata does not survive, and nothing else is contacted (no console error, no CSP violation, no
third-party request). Then the pages of links that do not work: unknown (Italian), revoked (the applicant's
language), and right to left for Arabic. Screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import base64
import secrets
import struct
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Error as PlaywrightError

from chalicelib.i18n import translate
from tests.contract import check_response
from tests.e2e.test_officer_journey import Officer
from tests.e2e.test_public_page_browser import ARTIFACTS, HEIGHT, WIDTH

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from playwright.sync_api import Browser, ConsoleMessage, FilePayload, Page, Request, Response, ViewportSize

    from tests.e2e.conftest import LocalSystem

pytestmark = pytest.mark.e2e

POLL_S = 30.0  # generous: a slow two-core machine runs the API, moto, the simulator and Chromium at once
UPLOAD_MS = 30_000
ORIENTATION, GPS_IFD = 0x0112, 0x8825
# Where the planted photo was "taken" (GPSLatitude 43° 36' 59.99", Ancona): bytes that must not reach the office.
PLANTED_LATITUDE = struct.pack("<6I", 43, 1, 36, 1, 5999, 100)
# Run in every page before its own scripts: CSP violations become console errors, which the watch collects.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""
JPEG_FROM_CANVAS = """() => {
  const canvas = document.createElement("canvas");
  canvas.width = 320;
  canvas.height = 240;
  const g = canvas.getContext("2d");
  g.fillStyle = "#e8e4d8"; g.fillRect(0, 0, 320, 240);
  g.fillStyle = "#0b3d66"; g.fillRect(16, 16, 288, 40);
  g.fillStyle = "#a4000f"; g.fillRect(24, 80, 96, 128);
  g.fillStyle = "#111"; g.font = "20px sans-serif"; g.fillText("PERMESSO", 140, 140);
  return canvas.toDataURL("image/jpeg", 0.9).split(",")[1];
}"""


def _phone_number() -> str:
    """A number nobody else in this session has used (the system is shared by the session's tests)."""
    return f"+39334{secrets.randbelow(9_000_000) + 1_000_000}"


def _pdf() -> bytes:
    """A small, valid one-page PDF (with a correct cross-reference table)."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return body + b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def _with_gps_exif(jpeg: bytes) -> bytes:
    """``jpeg`` with a phone-like APP1 EXIF segment after SOI: IFD0 has Orientation 1 and a pointer to a GPS IFD
    (GPSVersionID 2.3, GPSLatitudeRef "N", GPSLatitude :data:`PLANTED_LATITUDE`). Little-endian TIFF."""
    gps_at = 8 + 2 + 2 * 12 + 4  # after the TIFF header and IFD0 (two entries)
    latitude_at = gps_at + 2 + 3 * 12 + 4  # after the GPS IFD (three entries)
    ifd0 = struct.pack("<H", 2)
    ifd0 += struct.pack("<HHIHH", ORIENTATION, 3, 1, 1, 0)  # SHORT, left-justified in the value field
    ifd0 += struct.pack("<HHII", GPS_IFD, 4, 1, gps_at) + struct.pack("<I", 0)
    gps = struct.pack("<H", 3)
    gps += struct.pack("<HHI4s", 0x0000, 1, 4, bytes([2, 3, 0, 0]))  # GPSVersionID, BYTE x 4
    gps += struct.pack("<HHI4s", 0x0001, 2, 2, b"N\0\0\0")  # GPSLatitudeRef, ASCII "N"
    gps += struct.pack("<HHII", 0x0002, 5, 3, latitude_at) + struct.pack("<I", 0)  # GPSLatitude, RATIONAL x 3
    tiff = b"II*\0" + struct.pack("<I", 8) + ifd0 + gps + PLANTED_LATITUDE
    data = b"Exif\0\0" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(data) + 2) + data + jpeg[2:]


def _exif_segments(jpeg: bytes) -> list[tuple[int, int]]:
    """Where the APP1 EXIF segments of a JPEG are (start, end), from SOI to the first scan."""
    found, position = [], 2
    while position + 4 <= len(jpeg) and jpeg[position] == 0xFF and jpeg[position + 1] != 0xDA:
        end = position + 2 + int.from_bytes(jpeg[position + 2 : position + 4], "big")
        if jpeg[position + 1] == 0xE1 and jpeg.startswith(b"Exif", position + 4):
            found.append((position, end))
        position = end
    return found


def _exif_ifd0(jpeg: bytes) -> dict[int, int]:
    """The IFD0 tags of a JPEG's one EXIF segment (tag: first SHORT of the value)."""
    [(start, end)] = _exif_segments(jpeg)
    tiff = jpeg[start + 10 : end]
    fmt = "<" if tiff[:2] == b"II" else ">"
    (ifd0,) = struct.unpack_from(fmt + "I", tiff, 4)
    (count,) = struct.unpack_from(fmt + "H", tiff, ifd0)
    entries = (struct.unpack_from(fmt + "HHIH", tiff, ifd0 + 2 + 12 * i) for i in range(count))
    return {tag: value for tag, _type, _count, value in entries}


def _without_exif(jpeg: bytes) -> bytes:
    """``jpeg`` without its APP1 EXIF segments."""
    for start, end in reversed(_exif_segments(jpeg)):
        jpeg = jpeg[:start] + jpeg[end:]
    return jpeg


def _wait_for(what: str, check: Callable[[], Any], system: LocalSystem, timeout: float = POLL_S) -> Any:
    """``check()``'s first truthy answer, polling until a deadline (fails with the system's output)."""
    deadline = time.monotonic() + timeout
    while not (answer := check()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s\n{system.output_tail()}"
        time.sleep(0.2)
    return answer


def _outbox(system: LocalSystem, phone: str, everything: bool = False) -> list[dict[str, Any]]:
    params = {"to": phone.lstrip("+"), **({"include": "all"} if everything else {})}
    response = requests.get(f"{system.simulator}/_simulator/messages", params=params, timeout=10)
    response.raise_for_status()
    messages: list[dict[str, Any]] = response.json()
    return messages


def _last_index(system: LocalSystem, phone: str) -> int:
    return max((m["index"] for m in _outbox(system, phone, everything=True)), default=-1)


def _open_window(system: LocalSystem, phone: str) -> None:
    """The applicant writes first (the 24-hour window opens) and waits until the app has read the message."""
    answer = requests.post(
        f"{system.simulator}/_simulator/inbound", json={"from": phone, "name": "John", "text": "hello"}, timeout=30
    )
    answer.raise_for_status()
    assert answer.json()["webhook_status"] == 200, answer.json()
    wamid = answer.json()["wamid"]
    _wait_for(
        "the app reads the applicant's message",
        lambda: any(
            m["kind"] == "mark_read" and m["body"].get("message_id") == wamid
            for m in _outbox(system, phone, everything=True)
        ),
        system,
    )


def _register(officer: Officer, phone: str, language: str) -> dict[str, Any]:
    status, answer = officer.call(
        "post",
        "/api/cases",
        {
            "procedure": "rinnovo",
            "permit_type": "lavoro_subordinato",
            "applicant": {"phone": phone, "name": "John Doe", "language": language},
        },
    )
    assert status == 201, answer
    case: dict[str, Any] = answer["case"]
    return case


def _request_link(system: LocalSystem, officer: Officer, case: dict[str, Any], items: list[str]) -> tuple[str, str]:
    """The officer asks for ``items``; the link (and the message type) the applicant's phone receives."""
    phone = case["applicant"]["phone"]
    start = _last_index(system, phone)
    body = {"items": items, "note": "Thank you"}
    status, answer = officer.call("post", f"/api/cases/{case['id']}/requests", body)
    assert (status, answer.get("message")) == (200, "sent"), answer
    message = _wait_for(
        "the message with the link reaches the phone",
        lambda: max(
            (m for m in _outbox(system, phone) if m["index"] > start and m.get("links")),
            key=lambda m: m["index"],
            default=None,
        ),
        system,
    )
    link = str(message["links"][0])
    assert link.startswith(f"{system.api}/u/"), message
    return link, str(message["type"])


class Watch:
    """A phone-sized tab that records what must not happen: console errors (CSP violations included), script
    errors, failed requests and requests to anyone but the API and the local S3; and it checks the API's answers
    against the OpenAPI document."""

    def __init__(
        self, browser: Browser, system: LocalSystem, viewport: ViewportSize | None = None, **options: Any
    ) -> None:
        viewport = viewport or {"width": WIDTH, "height": HEIGHT}
        self.context = browser.new_context(viewport=viewport, **options)
        self.context.add_init_script(CSP_REPORTER)
        self.page: Page = self.context.new_page()
        self.api = urlsplit(system.api).netloc
        self.allowed = {self.api, urlsplit(system.aws).netloc, urlsplit(system.ready.get("signin", "")).netloc}
        self.problems: list[str] = []
        self.storage_posts = 0  # files that went straight to S3
        self.api_answers: list[Response] = []
        page = self.page
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))
        page.on("requestfailed", self._failed)
        page.on("request", self._request)
        page.on("response", lambda r: urlsplit(r.url).netloc == self.api and self.api_answers.append(r))

    def _console(self, message: ConsoleMessage) -> None:
        # Every page names its (empty) icon: Chromium must not go asking the API for /favicon.ico.
        if message.type == "error":
            self.problems.append(f"console: {message.text} at {message.location.get('url')}")

    def _failed(self, request: Request) -> None:
        # Only the web's requests: Chromium's own PDF viewer (chrome://) loads pieces that headless mode lacks.
        if urlsplit(request.url).scheme in ("http", "https"):
            self.problems.append(f"request failed: {request.method} {request.url} {request.failure}")

    def _request(self, request: Request) -> None:
        where = urlsplit(request.url)
        if where.scheme in ("http", "https") and where.netloc not in self.allowed:
            self.problems.append(f"third-party request: {request.method} {request.url}")
        elif where.netloc != self.api and request.method == "POST":
            self.storage_posts += 1

    def open(self, url: str) -> Response:
        """Go to ``url`` (the current page's API answers are checked first: their bodies go with the page)."""
        self.check_api_answers()
        response = self.page.goto(url, wait_until="load")
        assert response is not None
        return response

    def html_attribute(self, name: str) -> str | None:
        return self.page.get_attribute("html", name)

    def check_api_answers(self) -> None:
        """Every answer of the API that the browser got is one the OpenAPI document describes.

        A page that polls (the console) may get an answer just before a navigation, whose body the browser then
        drops: such an answer cannot be read, and is accepted only if it was a read (GET); every change's answer
        must be checked."""
        checked, self.api_answers = self.api_answers, []
        for answer in checked:
            path = urlsplit(answer.url).path
            try:
                body = answer.body()
            except PlaywrightError:
                assert answer.request.method == "GET", f"the answer to {answer.request.method} {path} was lost"
                continue
            check_response(answer.request.method, path, answer.status, answer.all_headers(), body)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watch(browser: Browser, local_system: LocalSystem) -> Iterator[Watch]:
    tab = Watch(browser, local_system)
    try:
        yield tab
    finally:
        tab.close()


def _screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _statuses(page: Page) -> dict[str, str]:
    """Each listed item's classes and status line."""
    rows = page.eval_on_selector_all(
        "li.item", "items => items.map(i => [i.dataset.item, i.className, i.querySelector('.status').textContent])"
    )
    return {code: f"{classes}: {text}" for code, classes, text in rows}


def _pick(watch: Watch, code: str, input_: str, file: FilePayload) -> None:
    """Pick ``file`` in item ``code``'s ``input_`` (the upload starts at once)."""
    watch.page.set_input_files(f'li.item[data-item="{code}"] {input_}', files=[file])


def _wait_received(watch: Watch, system: LocalSystem, code: str) -> None:
    """Wait until item ``code`` says received, or fail with why not."""
    item = f'li.item[data-item="{code}"]'
    try:
        watch.page.wait_for_selector(f"{item}:is(.done, :has(.status.err))", state="attached", timeout=UPLOAD_MS)
    except PlaywrightError as exc:
        statuses = _statuses(watch.page)
        pytest.fail(f"upload not finished: {exc}\n{statuses}\n{watch.problems}\n{system.output_tail()}")


def test_an_applicant_uploads_a_pdf_and_a_photo_from_the_phone(local_system: LocalSystem, watch: Watch) -> None:
    """English applicant, window open: the link arrives as text, both files arrive, the photo loses its GPS."""
    system, page = local_system, watch.page
    officer = Officer(system, "AN", "officer", "m.rossi")
    phone = _phone_number()
    case = _register(officer, phone, "en")
    cid = case["id"]
    first, second = wanted = [m["items"][0] for m in case["missing"]][:2]
    _open_window(system, phone)
    link, kind = _request_link(system, officer, case, wanted)
    assert kind == "text"  # the applicant wrote: free text, not a template

    # A real JPEG from Chromium's encoder, with the GPS metadata a phone camera writes.
    encoded = base64.b64decode(page.evaluate(JPEG_FROM_CANVAS))
    photo = _with_gps_exif(encoded)
    assert _exif_ifd0(photo) == {ORIENTATION: 1, GPS_IFD: 38}
    pdf = _pdf()

    opened = watch.open(link)
    assert opened.status == 200
    assert (watch.html_attribute("lang"), watch.html_attribute("dir")) == ("en", "ltr")
    assert page.eval_on_selector_all("li.item", "items => items.map(i => i.dataset.item)") == wanted
    assert page.locator("h1").inner_text() == translate("upload.heading", "en", case_ref=cid)

    # Both at once, as an applicant picking the second file while the first is on its way: two confirmations race
    # to save the case, and the loser retries after its version conflict. (The local moto serialises DynamoDB
    # requests, devtools/moto_server.py: moto's own transaction rollback could otherwise erase the winner's save.)
    pdf_file = {"name": "permit.pdf", "mimeType": "application/pdf", "buffer": pdf}
    _pick(watch, first, "input:not([capture])", pdf_file)  # the "choose a file" button
    photo_file = {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo}
    _pick(watch, second, "input:not([capture])", photo_file)  # a photo from the gallery goes as it is
    _wait_received(watch, system, first)
    _wait_received(watch, system, second)
    received = "✓ " + translate("upload.state.received", "en")
    assert _statuses(page) == {first: f"item done: {received}", second: f"item done: {received}"}, (
        watch.problems,
        system.output_tail(),
    )
    buttons = page.locator("li.item .actions").all()
    assert len(buttons) == 2 and not any(b.is_visible() for b in buttons), "a received item still offers its buttons"
    _screenshot(page, "upload-page-en.png")
    assert watch.problems == []
    assert watch.storage_posts == 2  # the files went to S3, not through the API

    # The office sees both items received, each with a document that came through the page and downloads.
    status, view = officer.call("get", f"/api/cases/{cid}")
    assert status == 200
    states = {item["code"]: item["state"] for item in view["checklist"]}
    assert (states[first], states[second]) == ("received", "received")
    uploaded = {d["item"]: d for d in view["documents"] if d["source"] == "upload"}
    assert sorted(uploaded) == sorted(wanted) and len(view["documents"]) == 2, view["documents"]
    files = {}
    for code, document in uploaded.items():
        assert urlsplit(document["url"]).netloc == urlsplit(system.aws).netloc
        download = requests.get(document["url"], timeout=10)
        assert download.status_code == 200, download.text[:300]
        files[code] = download.content
    assert (uploaded[first]["content_type"], files[first]) == ("application/pdf", pdf)
    stored = files[second]
    assert uploaded[second]["content_type"] == "image/jpeg"
    assert stored[:2] == b"\xff\xd8" and stored.endswith(b"\xff\xd9")
    assert _exif_ifd0(stored) == {ORIENTATION: 1}, "the orientation stays, the GPS IFD pointer goes"
    assert PLANTED_LATITUDE not in stored
    assert _without_exif(stored) == encoded, "only the metadata changed: not a pixel re-encoded"

    # The same link, reloaded: nothing more is wanted, both are listed as received.
    watch.open(link)
    assert page.locator("li.item").count() == 0
    assert page.locator("ul.received li").count() == 2
    assert watch.problems == []

    # The office revokes the link: the page now says it was cancelled and how to get a new one, in English.
    status, answer = officer.call("delete", f"/api/cases/{cid}/upload-links")
    assert status == 200 and answer["links"] and {x["state"] for x in answer["links"]} == {"revoked"}, answer
    gone = watch.open(link)
    assert gone.status == 410
    assert watch.html_attribute("lang") == "en"
    text = page.locator("body").inner_text()
    assert translate("upload.unavailable.revoked", "en") in text
    assert "write “link” in the WhatsApp chat" in text
    assert page.locator("script").count() == 0 and page.locator("input").count() == 0
    watch.check_api_answers()


def _pdf_pages(pdf: bytes) -> int:
    """How many pages a PDF says it has, after checking that its cross-reference table points at its objects."""
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    xref_at = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    table = pdf[xref_at:].split(b"trailer", 1)[0].split(b"\n")
    assert table[0] == b"xref"
    size = int(table[1].split()[1])
    for number in range(1, size):
        offset = int(table[2 + number][:10])
        assert pdf[offset:].startswith(f"{number} 0 obj".encode()), number
    return int(pdf.split(b"/Count ", 1)[1].split(b" ", 1)[0])


def test_a_document_photographed_page_by_page_arrives_as_one_pdf(local_system: LocalSystem, watch: Watch) -> None:
    """The camera button collects pages; "Send" posts one PDF of them, which the office downloads."""
    system, page = local_system, watch.page
    officer = Officer(system, "AN", "officer", "m.rossi")
    phone = _phone_number()
    case = _register(officer, phone, "en")
    code = case["missing"][0]["items"][0]
    link, _ = _request_link(system, officer, case, [code])
    assert watch.open(link).status == 200
    item = f'li.item[data-item="{code}"]'
    send = page.locator(f"{item} button.send")
    assert not send.is_visible()
    photo = base64.b64decode(page.evaluate(JPEG_FROM_CANVAS))
    for number in (1, 2):
        _pick(watch, code, "input[capture]", {"name": f"page{number}.jpg", "mimeType": "image/jpeg", "buffer": photo})
        ready = translate("upload.pages_ready", "en", count=str(number))
        page.wait_for_function(
            "([selector, text]) => document.querySelector(selector).textContent === text",
            arg=[f"{item} .status", ready],
            timeout=UPLOAD_MS,
        )
    assert watch.storage_posts == 0  # nothing leaves before "Send"
    send.click()
    _wait_received(watch, system, code)
    assert watch.storage_posts == 1 and watch.problems == []
    status, view = officer.call("get", f"/api/cases/{case['id']}")
    assert status == 200
    (document,) = [d for d in view["documents"] if d["item"] == code]
    assert (document["source"], document["content_type"]) == ("upload", "application/pdf")
    pdf = requests.get(document["url"], timeout=10).content
    assert _pdf_pages(pdf) == 2
    assert pdf.count(b"/Filter /DCTDecode") == 2 and b"Exif" not in pdf  # re-encoded pages carry no metadata
    watch.check_api_answers()


def test_arabic_pages_run_right_to_left_and_dead_links_say_how_to_get_a_new_one(
    local_system: LocalSystem, watch: Watch
) -> None:
    """Arabic applicant (the link comes in the template's button), an unknown link (Italian), a revoked one."""
    system, page = local_system, watch.page
    officer = Officer(system, "AN", "officer", "m.rossi")
    case = _register(officer, _phone_number(), "ar")
    wanted = [m["items"][0] for m in case["missing"]][:2]
    link, kind = _request_link(system, officer, case, wanted)
    assert kind == "template"  # the applicant never wrote: the documents template, its URL button

    assert watch.open(link).status == 200
    assert (watch.html_attribute("lang"), watch.html_attribute("dir")) == ("ar", "rtl")
    assert page.eval_on_selector_all("li.item", "items => items.map(i => i.dataset.item)") == wanted
    assert page.locator("h1").inner_text() == translate("upload.heading", "ar", case_ref=case["id"])
    assert page.locator("h1 bdi.ref").inner_text() == case["id"]  # one left-to-right island, never broken
    _screenshot(page, "upload-page-ar.png")
    assert watch.problems == []

    # An unknown link: nobody's language is known, so Italian, and how to get a new link.
    unknown = watch.open(f"{system.api}/u/{'A' * 43}")
    assert unknown.status == 404
    assert (watch.html_attribute("lang"), watch.html_attribute("dir")) == ("it", "ltr")
    assert "«link»" in page.locator("body").inner_text()

    # Revoked by the office: the page is in Arabic, right to left.
    status, answer = officer.call("delete", f"/api/cases/{case['id']}/upload-links")
    assert status == 200, answer
    gone = watch.open(link)
    assert gone.status == 410
    assert (watch.html_attribute("lang"), watch.html_attribute("dir")) == ("ar", "rtl")
    text = page.locator("body").inner_text()
    assert translate("upload.unavailable.revoked", "ar") in text
    assert translate("upload.unavailable.how", "ar") in text
    watch.check_api_answers()
