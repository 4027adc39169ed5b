"""The public information endpoints: languages, 404 with the valid types, ETag and 304, HTML, waiting times."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.dynamo.cases import DynamoCaseRepository
from chalicelib.bootstrap import Container
from chalicelib.catalogue import load_catalogue
from chalicelib.domain.cases import Case, CaseApplicant, CaseStatus
from chalicelib.domain.catalogue import Procedure
from chalicelib.domain.checklist import Checklist
from chalicelib.i18n import available_languages, translate

DAY = 24 * 60 * 60 * 1000


def _get(client: Client, path: str, **headers: str) -> tuple[int, Any, dict[str, str]]:
    response = client.http.get(path, headers=headers)
    body = response.body.decode() if isinstance(response.body, bytes) else response.body
    parsed = json.loads(body) if body and response.headers.get("Content-Type") == "application/json" else body
    return response.status_code, parsed, response.headers


def test_the_office_has_its_phone_line_and_says_what_is_not_configured(client: Client) -> None:
    status, office, headers = _get(client, "/info")
    assert status == 200 and office["office"] == "AN"
    assert office["phone_line"] == {
        "number": "+39 071 2288482",
        "days": ["monday", "wednesday"],
        "from": "12:30",
        "to": "13:30",
        "for": translate("info.phone_line.for", "it"),
    }
    assert office["counter_hours"] is None  # not known yet: said so, not invented
    assert headers["Cache-Control"].startswith("public") and headers["ETag"]
    assert _get(client, "/info?office=XX")[0] == 404


def test_studio_in_french_has_documents_and_fees(client: Client) -> None:
    status, studio, headers = _get(client, "/info/procedures/studio?lang=fr")
    assert status == 200 and studio["language"] == "fr" and headers["Content-Language"] == "fr"
    renewal = next(p for p in studio["procedures"] if p["procedure"] == "rinnovo")
    titles = {d["title"] for d in renewal["documents"]}
    assert translate("document.passport.title", "fr") in titles
    assert any(total["total"] > 0 for total in renewal["fees"]["totals"])
    assert renewal["fees"]["components"][0]["label"] == translate(
        f"fee.{renewal['fees']['components'][0]['code']}.label", "fr"
    )


def test_an_unknown_type_is_a_404_listing_the_valid_ones(client: Client) -> None:
    status, answer, _ = _get(client, "/info/procedures/vacanza")
    assert status == 404 and set(answer["error"]["valid"]) == set(load_catalogue().codes())


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        ("?lang=ar", "", "ar"),
        ("", "uk-UA,uk;q=0.9,en;q=0.5", "uk"),
        ("", "zh-CN", "zh_Hans"),
        ("", "de-DE", "it"),
        ("?lang=xx", "en", "en"),
        ("", "fr;q=0.2,es;q=0.8", "es"),
    ],
)
def test_language_comes_from_the_query_then_accept_language_then_italian(
    client: Client, query: str, accept: str, expected: str
) -> None:
    assert _get(client, f"/info/procedures{query}", **{"Accept-Language": accept})[1]["language"] == expected


def test_every_chat_language_is_served(client: Client) -> None:
    for language in available_languages():
        assert _get(client, f"/info/procedures?lang={language}")[1]["language"] == language


def test_if_none_match_gets_304_and_a_changed_representation_does_not(client: Client) -> None:
    _, _, headers = _get(client, "/info/procedures/studio?lang=en")
    status, body, _ = _get(client, "/info/procedures/studio?lang=en", **{"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, "")
    assert _get(client, "/info/procedures/studio?lang=fr", **{"If-None-Match": headers["ETag"]})[0] == 200


def test_browsers_get_an_accessible_page_right_to_left_for_arabic(client: Client) -> None:
    status, page, headers = _get(client, "/info/procedures/studio?lang=ar", Accept="text/html,application/xhtml+xml")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<html lang="ar" dir="rtl">' in page and "<script" not in page
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert translate("document.passport.title", "ar") in page
    assert 'dir="ltr"' in _get(client, "/info?lang=it", Accept="text/html")[1]


def _closed_case(repo: DynamoCaseRepository, n: int, permit: str, now: int, days_to_complete: int) -> None:
    spec = load_catalogue().procedure(permit, Procedure.RINNOVO)
    created = now - 30 * DAY
    case = Case(
        f"AN-WAIT{n:04d}",
        "AN",
        Procedure.RINNOVO,
        permit,
        CaseApplicant(None, None, f"IT.{n}", "x", "it"),
        Checklist.for_procedure(spec),
        CaseStatus.APPOINTMENT_BOOKED,
        created,
        now,
        now - DAY,
        completed_at_ms=created + days_to_complete * DAY,
        booked_at_ms=created + (days_to_complete + 4) * DAY,
    )
    repo.add(replace(case), [])


def test_waiting_times_show_medians_only_with_enough_cases(client: Client, container: Container) -> None:
    status, empty, _ = _get(client, "/info/waiting-times")
    assert status == 200 and empty["overall"] is None

    import time

    now = int(time.time() * 1000)
    for n in range(6):
        _closed_case(container.cases, n, "studio", now, days_to_complete=10 + n)  # type: ignore[arg-type]
    for n in range(6, 8):
        _closed_case(container.cases, n, "famiglia", now, days_to_complete=3)  # type: ignore[arg-type]
    tick = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    assert client.lambda_.invoke("refresh_waiting_times", tick).payload["offices"] >= 1

    _, times, _ = _get(client, "/info/waiting-times?lang=en")
    assert times["overall"]["to_complete"]["enough_data"] and times["overall"]["to_complete"]["cases"] == 8
    assert times["by_permit_type"]["studio"]["to_complete"]["median_days"] == 12.5
    assert times["by_permit_type"]["studio"]["to_appointment"]["median_days"] == 4
    family = times["by_permit_type"]["famiglia"]["to_complete"]
    assert family == {"enough_data": False, "cases": None, "median_days": None, "p90_days": None}
    assert "Amina" not in json.dumps(times) and "IT.1" not in json.dumps(times)


# --- issue 17: what applicants read must be right ----------------------------------------------------------------

ADDED = ("richiesta_asilo", "protezione_temporanea", "familiari_ue", "lavoro_stagionale", "aggiornamento")


def test_the_procedures_list_the_added_permit_types(client: Client) -> None:
    status, listing, _ = _get(client, "/info/procedures?lang=it")
    assert status == 200
    listed = {p["code"]: p for p in listing["permit_types"]}
    assert set(ADDED) <= set(listed)
    assert listed["richiesta_asilo"]["procedures"] == ["rilascio", "rinnovo"]
    assert listed["aggiornamento"]["procedures"] == ["rinnovo"]
    for code in ADDED:
        assert _get(client, f"/info/procedures/{code}?lang=en")[0] == 200


def test_family_first_issue_gives_the_sportello_unico_step_and_the_art_30_path(client: Client) -> None:
    status, family, _ = _get(client, "/info/procedures/famiglia?lang=it")
    assert status == 200
    first = next(p for p in family["procedures"] if p["procedure"] == "rilascio")
    paths = {v["code"]: v for v in first["variants"]}
    assert set(paths) == {"ricongiungimento", "coesione", "familiare_italiano"}
    sportello = translate("procedure.famiglia.rilascio.step.sportello_unico", "it")
    assert paths["ricongiungimento"]["steps"][0] == sportello and "8 giorni" in sportello
    assert sportello not in paths["coesione"]["steps"]
    assert paths["coesione"]["steps"][0] == translate("procedure.kit_postale.step.1", "it")
    documents = {d["code"]: d for d in first["documents"]}
    assert documents["nulla_osta"]["variants"] == ["ricongiungimento"]
    assert documents["visto"]["variants"] == ["ricongiungimento"]
    assert documents["certificati_parentela"]["variants"] == []  # every path
    assert "nulla_osta" not in family["required_documents"]  # not every applicant's
    page = _get(client, "/info/procedures/famiglia?lang=it", Accept="text/html")[1]
    assert translate("variant.coesione.title", "it") in page and "8 giorni" in page


def test_special_protection_says_two_years(client: Client) -> None:
    for language, words in (("it", "dura 2 anni"), ("en", "lasts 2 years")):
        _, special, _ = _get(client, f"/info/procedures/protezione_speciale?lang={language}")
        for procedure in special["procedures"]:
            assert any(words in note for note in procedure["legal_notes"]), (language, procedure["procedure"])
