"""The officers' API through the Chalice app, on moto, with the fake WhatsApp gateway."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from chalice.test import Client

from chalicelib.bootstrap import Container
from chalicelib.domain.outbound import Template, Text
from chalicelib.i18n import translate
from chalicelib.i18n.formats import format_date, join_list
from tests import documents
from tests.fakes import FakeGateway
from tests.support import counter_day, open_counter

PDF = documents.pdf(version="1.4")
JPEG = documents.jpeg()
Token = Callable[..., str]


class Api:
    """Small wrapper: JSON in, (status, JSON) out, with an officer's token."""

    def __init__(self, client: Client, token: str) -> None:
        self.client, self.token = client, token

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": token or self.token}
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            headers["Content-Type"] = "application/json"
            kwargs["body"] = body if isinstance(body, (bytes, str)) else json.dumps(body)
        response = getattr(self.client.http, method)(path, **kwargs)
        return response.status_code, json.loads(response.body) if response.body else None


@pytest.fixture
def api(client: Client, officer_token: Token) -> Api:
    return Api(client, officer_token(office="AN", role="officer", username="m.rossi"))


def _case_body(**overrides: Any) -> dict[str, Any]:
    return {
        "procedure": "rinnovo",
        "permit_type": "studio",
        "pratica_number": "25AN012345",
        "permit_expiry": "2027-01-31",
        "applicant": {"phone": "333 123 4567", "name": "Amina Haddad", "language": "en"},
        **overrides,
    }


def _register(api: Api, **overrides: Any) -> dict[str, Any]:
    status, answer = api.call("post", "/api/cases", _case_body(**overrides))
    assert status == 201, answer
    return answer["case"]  # type: ignore[no-any-return]


def _to_send(case: dict[str, Any]) -> list[str]:
    """The items the applicant has to send, one per group."""
    return [m["items"][0] for m in case["missing"]]


def _applicant_writes(container: Container) -> None:
    """The applicant wrote just now: the 24-hour window is open."""
    from chalicelib.domain.applicants import ApplicantRef

    container.applicants.record_inbound(ApplicantRef(wa_id="393331234567"), "Amina", 2_000_000_000, 0)


def test_registering_a_case_normalises_the_phone_and_sends_the_opening_template(api: Api, gateway: FakeGateway) -> None:
    case = _register(api)
    assert case["id"].startswith("AN-") and case["status"] == "registered"
    assert case["applicant"]["phone"] == "+393331234567" and case["applicant"]["wa_id"] == "393331234567"
    assert any(item["code"] == "passport" and item["at_counter"] for item in case["checklist"])
    [opening] = gateway.sent
    assert isinstance(opening.content, Template)
    assert (opening.content.name, opening.content.language) == ("sportello_pratica_verificata", "en")
    assert opening.content.body_parameters == (case["id"],)


def test_a_family_case_registered_on_its_path_needs_only_that_paths_documents(api: Api) -> None:
    def needed(variant: str | None) -> set[str]:
        body = {
            "procedure": "rilascio",
            "permit_type": "famiglia",
            "applicant": {"phone": "+393331234567", "name": "A"},
        }
        status, answer = api.call("post", "/api/cases", {**body, "variant": variant})
        assert status == 201, answer
        return {item["code"] for item in answer["case"]["checklist"] if item["needed"]}

    reunification, art_30, unknown = needed("ricongiungimento"), needed("coesione"), needed(None)
    assert {"nulla_osta", "visto"} <= reunification
    assert not {"nulla_osta", "visto"} & art_30
    assert not {"nulla_osta", "visto"} & unknown  # without a path, those wait for an officer to ask


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"permit_type": "vacanza"}, 422, "unknown_permit_type"),
        ({"procedure": "rilascio", "permit_type": "famiglia", "variant": "turismo"}, 422, "unknown_variant"),
        ({"procedure": "conversione"}, 422, "invalid_input"),
        ({"applicant": {"phone": "12", "name": "A", "language": "it"}}, 422, "invalid_input"),
        ({"applicant": {"phone": "+393331234567", "name": "A", "language": "xx"}}, 422, "invalid_input"),
        ({"applicant": {"name": "A", "language": "it"}}, 422, "invalid_input"),
        ({"permit_expiry": "31/01/2027"}, 422, "invalid_input"),
    ],
)
def test_bad_registrations_get_a_clear_error(api: Api, overrides: dict[str, Any], status: int, code: str) -> None:
    body = {"procedure": "rinnovo", "permit_type": "studio", "applicant": {"phone": "+393331234567", "name": "A"}}
    answer_status, answer = api.call("post", "/api/cases", {**body, **overrides})
    assert (answer_status, answer["error"]["code"]) == (status, code)
    assert answer["error"]["message"]


def test_malformed_json_is_a_400_not_a_stack_trace(api: Api) -> None:
    status, answer = api.call("post", "/api/cases", b"{not json")
    assert (status, answer["error"]["code"]) == (400, "bad_request")


def test_the_full_pre_check_up_to_the_appointment(api: Api, gateway: FakeGateway, container: Container) -> None:
    case = _register(api)
    cid = case["id"]
    wanted = _to_send(case)[:2]

    status, answer = api.call("post", f"/api/cases/{cid}/requests", {"items": wanted, "note": "Grazie"})
    assert status == 200 and answer["case"]["status"] == "awaiting_documents"
    request = gateway.sent[-1]
    assert isinstance(request.content, Template) and request.content.name == "sportello_documenti_richiesti"

    _applicant_writes(container)
    api.call("post", f"/api/cases/{cid}/requests", {"items": wanted})
    assert isinstance(gateway.sent[-1].content, Text)  # inside the window: free text, in English
    assert "•" in gateway.sent[-1].content.body

    status, answer = api.call("post", f"/api/cases/{cid}/appointment", {"at": "2026-12-03T09:30"})
    assert (status, answer["error"]["code"]) == (409, "checklist_incomplete")
    assert {c for m in answer["error"]["missing"] for c in m["items"]} >= set(wanted)

    documents = {}
    for code in _to_send(case):
        status, answer = api.call(
            "post",
            f"/api/cases/{cid}/documents",
            {
                "item": code,
                "content_type": "application/pdf",
                "filename": "doc.pdf",
                "content_base64": base64.b64encode(PDF).decode(),
            },
        )
        assert status == 200, answer
        documents[code] = answer["document_id"]
    status, view = api.call("get", f"/api/cases/{cid}")
    assert view["status"] == "under_review"
    assert {d["item"] for d in view["documents"]} == set(documents)
    assert all(d["url"].startswith("http") and d["url_expires_in_s"] <= 300 for d in view["documents"])

    first = next(iter(documents))
    status, answer = api.call(
        "patch",
        f"/api/cases/{cid}/documents/{documents[first]}",
        {"decision": "reject", "reason": "expired", "note": "Scaduto"},
    )
    assert status == 200 and answer["case"]["status"] == "awaiting_documents"
    rejection = gateway.sent[-1].content
    assert isinstance(rejection, Text) and "Scaduto" in rejection.body

    api.call(
        "post",
        f"/api/cases/{cid}/documents",
        {"item": first, "content_type": "image/jpeg", "content_base64": base64.b64encode(JPEG).decode()},
    )
    status, view = api.call("get", f"/api/cases/{cid}")
    new_first = next(i["document_id"] for i in view["checklist"] if i["code"] == first)
    for code, document_id in {**documents, first: new_first}.items():
        status, answer = api.call("patch", f"/api/cases/{cid}/documents/{document_id}", {"decision": "accept"})
        assert status == 200, (code, answer)
    assert answer["case"]["status"] == "complete" and answer["case"]["complete"]

    open_counter(container)
    day = counter_day(3)
    status, answer = api.call("post", f"/api/cases/{cid}/appointment", {"at": f"{day.isoformat()}T09:30"})
    assert status == 200 and answer["case"]["status"] == "appointment_booked"
    visit = gateway.sent[-1].content
    assert isinstance(visit, Text) and format_date(day, "en", "full") in visit.body and "09:30" in visit.body


def test_free_text_needs_the_24_hour_window(api: Api, gateway: FakeGateway, container: Container) -> None:
    cid = _register(api)["id"]
    status, answer = api.call("post", f"/api/cases/{cid}/messages", {"text": "Buongiorno"})
    assert (status, answer["error"]["code"]) == (409, "window_closed")
    status, answer = api.call("post", f"/api/cases/{cid}/messages", {"template": True})
    assert status == 200 and isinstance(gateway.sent[-1].content, Template)
    _applicant_writes(container)
    status, answer = api.call("post", f"/api/cases/{cid}/messages", {"text": "Buongiorno"})
    assert status == 200 and gateway.sent[-1].content == Text("Buongiorno")


def test_other_offices_never_see_a_case(api: Api, officer_token: Token) -> None:
    cid = _register(api)["id"]
    other = officer_token(office="MC", role="supervisor")
    assert api.call("get", f"/api/cases/{cid}", token=other)[0] == 404
    assert api.call("post", f"/api/cases/{cid}/notes", {"text": "x"}, token=other)[0] == 404
    status, listing = api.call("get", "/api/cases", token=other)
    assert status == 200 and listing["cases"] == []


@pytest.mark.parametrize("token", ["", "Bearer", "Bearer abc.def.ghi", "Basic dXNlcjpwYXNz"])
def test_every_route_needs_a_valid_token(api: Api, token: str) -> None:
    for method, path in [("get", "/api/cases"), ("get", "/api/cases/AN-X"), ("get", "/api/audit")]:
        status, answer = api.call(method, path, token=token or " ")
        assert (status, answer["error"]["code"]) == (401, "unauthenticated")


def test_a_token_for_an_office_not_in_offices_json_is_forbidden(api: Api, officer_token: Token) -> None:
    """A signed token whose office this deployment does not serve gets 403 forbidden, naming the office."""
    for role in ("officer", "supervisor"):
        status, answer = api.call("get", "/api/cases", token=officer_token(office="RM", role=role))
        assert (status, answer["error"]["code"]) == (403, "forbidden")
        assert "RM" in answer["error"]["message"] and "not one this deployment serves" in answer["error"]["message"]


def test_listing_filters_and_pages_with_an_opaque_cursor(api: Api) -> None:
    ids = [_register(api)["id"] for _ in range(3)]
    status, page = api.call("get", "/api/cases?limit=2")
    assert status == 200 and len(page["cases"]) == 2 and page["next_cursor"]
    status, rest = api.call("get", f"/api/cases?limit=2&cursor={page['next_cursor']}")
    assert {c["id"] for c in page["cases"] + rest["cases"]} == set(ids)
    assert api.call("get", "/api/cases?status=registered")[1]["cases"]
    assert api.call("get", "/api/cases?status=complete")[1]["cases"] == []
    assert len(api.call("get", "/api/cases?missing=iscrizione_corso")[1]["cases"]) in (0, 3)
    assert api.call("get", "/api/cases?cursor=forged")[1]["error"]["code"] == "invalid_cursor"
    assert api.call("get", "/api/cases?status=lost")[0] == 422


def test_a_filter_that_reads_its_budget_answers_a_short_page_and_a_cursor_that_leads_to_every_match(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``missing=`` reads at most a budget of cases per request (here 3): a page may hold fewer than ``limit`` cases,
    even none, and still give a cursor; followed to the end, it gives every match once."""
    from chalicelib.adapters.dynamo.cases import DynamoCaseRepository

    monkeypatch.setattr(DynamoCaseRepository, "read_budget", 3)
    matching = [_register(api, permit_type="lavoro_subordinato")["id"] for _ in range(2)]
    for _ in range(5):
        _register(api)  # newer, so read first: a study permit needs no UniLav

    status, page = api.call("get", "/api/cases?missing=unilav&limit=10")
    assert (status, page["cases"]) == (200, []) and page["next_cursor"]  # 3 read, none matched
    found = []
    while page["next_cursor"]:
        status, page = api.call("get", f"/api/cases?missing=unilav&limit=10&cursor={page['next_cursor']}")
        assert status == 200 and len(page["cases"]) <= 3
        found += [c["id"] for c in page["cases"]]
    assert found == matching[::-1]  # the latest change first, each once


def test_a_boolean_query_parameter_takes_true_false_1_0_in_any_case_and_nothing_else(api: Api) -> None:
    """``unanswered`` reads true/1 and false/0 (any case); another value is 422 invalid_input, never a silent false."""
    cid = _register(api)["id"]  # nobody wrote: not unanswered
    for word in ("true", "1", "TRUE", "True"):
        status, answer = api.call("get", f"/api/cases?unanswered={word}")
        assert (status, answer["cases"]) == (200, []), word
    for word in ("false", "0", "FALSE", "False"):
        status, answer = api.call("get", f"/api/cases?unanswered={word}")
        assert status == 200 and [c["id"] for c in answer["cases"]] == [cid], word
    for word in ("yes", "", "2", "on", "truthy"):
        status, answer = api.call("get", f"/api/cases?unanswered={word}")
        assert (status, answer["error"]["code"]) == (422, "invalid_input"), word
        assert "unanswered" in answer["error"]["message"]


def test_officers_take_cases_supervisors_assign_and_cancel(api: Api, officer_token: Token) -> None:
    cid = _register(api)["id"]
    assert (
        api.call("post", f"/api/cases/{cid}/assign", {"officer": "m.rossi"})[1]["case"]["assigned_officer"] == "m.rossi"
    )
    assert api.call("post", f"/api/cases/{cid}/assign", {"officer": "l.bianchi"})[0] == 403
    assert api.call("get", "/api/cases?assigned=me")[1]["cases"][0]["id"] == cid
    assert api.call("post", f"/api/cases/{cid}/close", {"reason": "cancelled"})[0] == 403
    supervisor = officer_token(office="AN", role="supervisor")
    status, answer = api.call("post", f"/api/cases/{cid}/close", {"reason": "cancelled"}, token=supervisor)
    assert status == 200 and answer["case"]["status"] == "closed"
    assert (
        api.call("post", f"/api/cases/{cid}/close", {"reason": "completed"})[1]["error"]["code"] == "illegal_transition"
    )


def test_an_officer_registers_a_case_only_for_themselves_or_for_nobody(api: Api, officer_token: Token) -> None:
    """Registering a case for a colleague is a supervisor's call (403), and nothing is written."""
    status, answer = api.call("post", "/api/cases", _case_body(assigned_officer="l.bianchi"))
    assert (status, answer["error"]["code"]) == (403, "supervisor_only")
    assert api.call("get", "/api/cases")[1]["cases"] == []
    assert _register(api, assigned_officer="m.rossi")["assigned_officer"] == "m.rossi"
    supervisor = officer_token(office="AN", role="supervisor")
    status, answer = api.call("post", "/api/cases", _case_body(assigned_officer="l.bianchi"), token=supervisor)
    assert status == 201 and answer["case"]["assigned_officer"] == "l.bianchi"


def test_an_officer_frees_only_their_own_case_and_never_takes_a_colleagues(api: Api, officer_token: Token) -> None:
    """Officers take a free case and give up their own; a colleague's case is reassigned or freed by a supervisor."""
    cid = _register(api)["id"]
    colleague = officer_token(office="AN", role="officer", username="l.bianchi")
    supervisor = officer_token(office="AN", role="supervisor", username="s.verdi")
    assign = f"/api/cases/{cid}/assign"
    assert api.call("post", assign, {"officer": "l.bianchi"}, token=supervisor)[0] == 200
    for body in ({"officer": None}, {"officer": "m.rossi"}):
        status, answer = api.call("post", assign, body)
        assert (status, answer["error"]["code"]) == (403, "supervisor_only"), body
    assert api.call("get", f"/api/cases/{cid}")[1]["assigned_officer"] == "l.bianchi"
    status, answer = api.call("post", assign, {"officer": None}, token=colleague)
    assert status == 200 and answer["case"]["assigned_officer"] is None
    status, answer = api.call("post", assign, {"officer": "m.rossi"})
    assert status == 200 and answer["case"]["assigned_officer"] == "m.rossi"
    status, answer = api.call("post", assign, {"officer": None})
    assert status == 200 and answer["case"]["assigned_officer"] is None
    assert api.call("post", assign, {"officer": "m.rossi"}, token=supervisor)[0] == 200
    status, answer = api.call("post", assign, {"officer": None}, token=supervisor)
    assert status == 200 and answer["case"]["assigned_officer"] is None


def test_a_supervisor_can_book_over_an_incomplete_checklist_with_a_reason(
    api: Api, officer_token: Token, container: Container
) -> None:
    open_counter(container)
    cid = _register(api)["id"]
    body = {"at": f"{counter_day(3).isoformat()}T09:30", "override_reason": "departure for a family emergency"}
    assert api.call("post", f"/api/cases/{cid}/appointment", body)[0] == 403
    supervisor = officer_token(office="AN", role="supervisor")
    status, answer = api.call("post", f"/api/cases/{cid}/appointment", body, token=supervisor)
    assert status == 200 and answer["case"]["appointment"]["override_reason"] == body["override_reason"]
    status, log = api.call("get", "/api/audit", token=supervisor)
    assert "appointment.override" in {e["action"] for e in log["entries"]}


def test_the_audit_log_shows_every_view_and_change_to_supervisors_only(api: Api, officer_token: Token) -> None:
    cid = _register(api)["id"]
    api.call("get", f"/api/cases/{cid}")
    api.call("post", f"/api/cases/{cid}/notes", {"text": "called the employer"})
    assert api.call("get", "/api/audit")[0] == 403
    status, log = api.call("get", "/api/audit", token=officer_token(office="AN", role="supervisor"))
    assert status == 200
    actions = [(e["action"], e["case_id"]) for e in log["entries"]]
    assert ("case.register", cid) in actions and ("case.view", cid) in actions and ("note.add", cid) in actions
    other = officer_token(office="MC", role="supervisor")
    assert all(e["case_id"] != cid for e in api.call("get", "/api/audit", token=other)[1]["entries"])


def test_items_can_be_left_for_the_counter(api: Api) -> None:
    case = _register(api)
    cid = case["id"]
    for code in [m["items"][0] for m in case["missing"]]:
        status, answer = api.call("patch", f"/api/cases/{cid}/checklist/{code}", {"at_counter": True})
        assert status == 200
    assert answer["case"]["status"] == "complete"
    assert api.call("patch", f"/api/cases/{cid}/checklist/nothing", {"at_counter": True})[0] == 422


def test_attached_files_must_be_what_they_claim(api: Api) -> None:
    case = _register(api)
    body = {
        "item": case["missing"][0]["items"][0],
        "content_type": "application/pdf",
        "content_base64": base64.b64encode(b"MZ\x90\x00 not a pdf").decode(),
    }
    status, answer = api.call("post", f"/api/cases/{case['id']}/documents", body)
    assert (status, answer["error"]["code"]) == (422, "invalid_document")


@pytest.mark.parametrize(
    "content",
    [
        documents.pdf(padding=2000) + b"<html><body><script>alert(document.domain)</script></body></html>",
        documents.pdf("/OpenAction << /S /Launch /F (cmd.exe) >> "),
        documents.pdf("/Names << /EmbeddedFiles 4 0 R >> ", "<< /Names [] >>"),
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    ],
    ids=["html_after_eof", "launch_action", "embedded_files", "does_not_parse"],
)
def test_a_pdf_that_is_not_plainly_a_pdf_is_refused(api: Api, content: bytes) -> None:
    """Issue 15: the officers' attach parses the file, as the upload page and the chat do."""
    case = _register(api)
    body = {
        "item": case["missing"][0]["items"][0],
        "content_type": "application/pdf",
        "content_base64": base64.b64encode(content).decode(),
    }
    status, answer = api.call("post", f"/api/cases/{case['id']}/documents", body)
    assert (status, answer["error"]["code"]) == (422, "invalid_document")
    assert api.call("get", f"/api/cases/{case['id']}")[1]["documents"] == []


def test_a_document_link_names_the_file_safely_with_its_real_type(api: Api) -> None:
    """The name is stored sanitised, and the 5-minute link makes S3 answer with it and the sniffed type."""
    case = _register(api)
    body = {
        "item": case["missing"][0]["items"][0],
        "content_type": "image/jpeg",
        "content_base64": base64.b64encode(JPEG).decode(),
        "filename": "../../etc/passwd<script>.pdf",
    }
    assert api.call("post", f"/api/cases/{case['id']}/documents", body)[0] == 200
    (document,) = api.call("get", f"/api/cases/{case['id']}")[1]["documents"]
    assert document["filename"] == "passwd_script_.jpg"
    query = parse_qs(urlsplit(document["url"]).query)
    assert query["response-content-type"] == ["image/jpeg"]
    assert query["response-content-disposition"] == [
        "inline; filename=\"passwd_script_.jpg\"; filename*=UTF-8''passwd_script_.jpg"
    ]


def test_a_blank_optional_field_is_absent_not_an_empty_string(api: Api) -> None:
    case = _register(api, assigned_officer="  ", pratica_number="")
    assert case["assigned_officer"] is None and case["pratica_number"] is None
    status, answer = api.call("post", f"/api/cases/{case['id']}/assign", {"officer": ""})
    assert status == 200 and answer["case"]["assigned_officer"] is None


RAPPORTO_LAVORO = ["contratto_soggiorno", "unilav", "assunzione_domestico"]


def test_closing_tells_the_applicant_and_the_thread_and_timeline_record_it(
    api: Api, gateway: FakeGateway, container: Container
) -> None:
    case = _register(api)
    before = len(gateway.sent)
    status, answer = api.call("post", f"/api/cases/{case['id']}/close", {"reason": "completed", "note": "Internal"})
    assert status == 200, answer
    assert answer["case"]["status"] == "closed" and answer["message"] == "sent"
    [told] = gateway.sent[before:]
    # outside the 24-hour window: the approved office-message template, which invites a reply
    assert isinstance(told.content, Template)
    assert (told.content.name, told.content.language) == ("sportello_messaggio_ufficio", "en")
    assert told.content.body_parameters == (case["id"],)
    status, view = api.call("get", f"/api/cases/{case['id']}")
    assert any(e["kind"] == "case_closed" and e["data"]["reason"] == "completed" for e in view["timeline"])
    status, thread = api.call("get", f"/api/cases/{case['id']}/conversation")
    assert status == 200, thread
    assert thread["messages"][-1]["template"]["name"] == "sportello_messaggio_ufficio"

    other = _register(api, applicant={"phone": "+393339876543", "name": "B", "language": "en"})
    _applicant_writes_from(container, "393339876543")
    status, answer = api.call("post", f"/api/cases/{other['id']}/close", {"reason": "withdrawn"})
    assert status == 200 and answer["message"] == "sent"
    told = gateway.sent[-1]
    assert isinstance(told.content, Text)  # inside the window: free text in their language, without the note
    assert told.content.body == translate("notice.case_closed.withdrawn", "en", case_ref=other["id"])


def _applicant_writes_from(container: Container, wa_id: str) -> None:
    from chalicelib.domain.applicants import ApplicantRef

    container.applicants.record_inbound(ApplicantRef(wa_id=wa_id), "A", 2_000_000_000, 0)


def test_a_one_of_group_is_one_missing_item_with_its_alternatives(api: Api) -> None:
    case = _register(api, permit_type="lavoro_subordinato")
    groups = [m for m in case["missing"] if m["group"] == "rapporto_lavoro"]
    assert groups == [
        {"items": RAPPORTO_LAVORO, "group": "rapporto_lavoro", "title": translate("group.rapporto_lavoro.title", "it")}
    ]
    assert not any(set(m["items"]) & set(RAPPORTO_LAVORO) for m in case["missing"] if m["group"] is None)
    single = next(m for m in case["missing"] if m["items"] == ["buste_paga"])
    assert single == {"items": ["buste_paga"], "group": None, "title": translate("document.buste_paga.title", "it")}
    status, listed = api.call("get", "/api/cases?missing=unilav")
    assert status == 200 and case["id"] in [c["id"] for c in listed["cases"]]
    [row] = [c for c in listed["cases"] if c["id"] == case["id"]]
    assert len([m for m in row["missing"] if m["group"] == "rapporto_lavoro"]) == 1

    status, answer = api.call("post", f"/api/cases/{case['id']}/appointment", {"at": "2026-12-03T09:30"})
    assert (status, answer["error"]["code"]) == (409, "checklist_incomplete")
    assert [m for m in answer["error"]["missing"] if m["group"] == "rapporto_lavoro"] == groups

    body = {"item": "unilav", "content_type": "application/pdf", "content_base64": base64.b64encode(PDF).decode()}
    status, attached = api.call("post", f"/api/cases/{case['id']}/documents", body)
    assert status == 200, attached
    assert not [m for m in attached["case"]["missing"] if m["group"] == "rapporto_lavoro"]


def test_the_request_message_lists_a_one_of_group_once_and_carries_the_note(
    api: Api, gateway: FakeGateway, container: Container
) -> None:
    case = _register(api, permit_type="lavoro_subordinato")
    _applicant_writes(container)
    body = {"items": [*RAPPORTO_LAVORO, "buste_paga"], "note": "Last three"}
    status, answer = api.call("post", f"/api/cases/{case['id']}/requests", body)
    assert status == 200, answer
    request = gateway.sent[-1]
    assert isinstance(request.content, Text)
    titles = [translate(f"document.{code}.title", "en") for code in RAPPORTO_LAVORO]
    listed = [line for line in request.content.body.splitlines() if line.startswith("• ")]
    assert listed == [f"• {join_list(titles, 'en', style='or')}", f"• {translate('document.buste_paga.title', 'en')}"]
    assert "Last three" in request.content.body

    other = _register(
        api, permit_type="lavoro_subordinato", applicant={"phone": "+393339876543", "name": "B", "language": "en"}
    )
    status, answer = api.call("post", f"/api/cases/{other['id']}/requests", body)
    assert status == 200, answer
    template = gateway.sent[-1].content
    assert isinstance(template, Template) and template.name == "sportello_documenti_richiesti"
    assert template.body_parameters[1] == join_list(
        [join_list(titles, "en", style="or"), translate("document.buste_paga.title", "en")], "en"
    )
