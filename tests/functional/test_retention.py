"""Retention through the app on moto: closing a case starts the clocks of everything it holds; an applicant is kept
while a case of theirs is open and forgotten after a silence otherwise."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.dynamo.case_models import CaseModel, CaseRecordModel
from chalicelib.adapters.dynamo.models import ApplicantModel
from chalicelib.adapters.dynamo.upload_links import UploadLinkModel
from chalicelib.bootstrap import Container
from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.retention import CASE_ITEM_GRACE_DAYS
from tests import documents

DAY_S = 24 * 60 * 60
WA_ID = "393331234567"
KEY = ApplicantRef(wa_id=WA_ID).key


class Api:
    def __init__(self, client: Client, token: str) -> None:
        self.client, self.token = client, token

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": self.token, "Content-Type": "application/json"}
        response = getattr(self.client.http, method)(path, headers=headers, body=json.dumps(body) if body else b"")
        assert 200 <= response.status_code < 300, response.body
        return json.loads(response.body)


@pytest.fixture
def api(client: Client, officer_token: Callable[..., str]) -> Api:
    return Api(client, officer_token(office="AN", role="supervisor"))


def _register(api: Api) -> dict[str, Any]:
    body = {"procedure": "rinnovo", "permit_type": "studio", "applicant": {"phone": f"+{WA_ID}", "name": "Amina"}}
    return api.ok("post", "/api/cases", body)["case"]  # type: ignore[no-any-return]


def _attach(api: Api, case: dict[str, Any]) -> str:
    item = case["missing"][0]["items"][0]
    content = base64.b64encode(documents.pdf()).decode()
    body = {"item": item, "content_type": "application/pdf", "content_base64": content}
    return str(api.ok("post", f"/api/cases/{case['id']}/documents", body)["document_id"])


def _expires_in_days(expires_at: Any, since_s: float, until_s: float) -> tuple[float, float]:
    """How many days after the window ``since_s``-``until_s`` (when the clock read) ``expires_at`` lies, as bounds."""
    at = expires_at.timestamp()
    return (at - until_s) / DAY_S, (at - since_s) / DAY_S


def _within(expires_at: Any, days: int, since_s: float, until_s: float) -> bool:
    low, high = _expires_in_days(expires_at, since_s, until_s)
    return low - 1 / DAY_S <= days <= high + 1 / DAY_S  # TTL keeps whole seconds


def test_closing_starts_the_clocks_of_documents_records_the_case_and_the_applicant(
    api: Api, container: Container
) -> None:
    case = _register(api)
    document_id = _attach(api, case)
    api.ok("post", f"/api/cases/{case['id']}/notes", {"text": "called"})
    assert ApplicantModel.get(KEY).held and ApplicantModel.get(KEY).expires_at is None  # open: kept
    assert CaseModel.get(case["id"]).expires_at is None
    assert all(r.expires_at is None for r in CaseRecordModel.query(case["id"]))

    since = time.time()
    api.ok("post", f"/api/cases/{case['id']}/close", {"reason": "completed"})
    until = time.time()

    records = list(CaseRecordModel.query(case["id"]))
    documents_ = [r for r in records if r.record_id.startswith("doc#")]
    assert documents_ and all(_within(r.expires_at, 30, since, until) for r in documents_)
    others = [r for r in records if not r.record_id.startswith("doc#")]
    assert others and all(_within(r.expires_at, 180, since, until) for r in others)
    assert _within(CaseModel.get(case["id"]).expires_at, 180 + CASE_ITEM_GRACE_DAYS, since, until)
    applicant = ApplicantModel.get(KEY)
    assert not applicant.held and _within(applicant.expires_at, 30, since, until)

    # The file is handed to the closed-case lifecycle rule, re-stamped so that its 30 days count from the closing.
    s3, bucket = container.client("s3"), container.settings.media_bucket
    key = f"cases/{case['id']}/documents/{document_id}"
    tags = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
    assert tags == [{"Key": "retention", "Value": "closed"}]
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert stored["ContentType"] == "application/pdf" and stored["Body"].read() == documents.pdf()
    assert stored["LastModified"].timestamp() >= since - 1


def test_an_applicant_with_another_open_case_is_kept_when_one_closes(api: Api) -> None:
    first, second = _register(api), _register(api)
    api.ok("post", f"/api/cases/{first['id']}/close", {"reason": "withdrawn"})
    assert ApplicantModel.get(KEY).held and ApplicantModel.get(KEY).expires_at is None
    api.ok("post", f"/api/cases/{second['id']}/close", {"reason": "withdrawn"})
    assert ApplicantModel.get(KEY).expires_at is not None


def test_an_applicant_without_an_open_case_is_forgotten_after_a_silence_counted_from_their_last_message(
    container: Container,
) -> None:
    applicants = container.applicants
    now_s = int(time.time())
    applicants.record_inbound(ApplicantRef(wa_id=WA_ID), "Amina", now_s, now_s * 1000)
    first = ApplicantModel.get(KEY).expires_at
    assert first is not None and int(first.timestamp()) == now_s + 30 * DAY_S
    applicants.record_inbound(ApplicantRef(wa_id=WA_ID), "Amina", now_s + 60, (now_s + 60) * 1000)
    assert int(ApplicantModel.get(KEY).expires_at.timestamp()) == now_s + 60 + 30 * DAY_S
    # A message processed late (an older one) never shortens the silence.
    applicants.record_inbound(ApplicantRef(wa_id=WA_ID), "Amina", now_s - 600, now_s * 1000)
    assert int(ApplicantModel.get(KEY).expires_at.timestamp()) == now_s + 60 + 30 * DAY_S


def test_an_applicant_held_by_an_open_case_gets_no_expiry_from_their_messages(api: Api, container: Container) -> None:
    _register(api)
    now_s = int(time.time())
    container.applicants.record_inbound(ApplicantRef(wa_id=WA_ID), "Amina", now_s, now_s * 1000)
    applicant = ApplicantModel.get(KEY)
    assert applicant.held and applicant.expires_at is None and int(applicant.last_inbound_at) == now_s


def _later(container: Container, days: int) -> None:
    """The anonymisation job's clock, ``days`` from now (the rest of the app keeps the real one)."""
    deps = container.anonymise_deps
    container.__dict__["anonymise_deps"] = dataclasses.replace(
        deps, clock_ms=lambda: int(time.time() * 1000) + days * DAY_S * 1000
    )


def test_a_closed_case_is_anonymised_when_its_retention_ends_and_keeps_what_the_figures_need(
    api: Api, container: Container
) -> None:
    from chalicelib import handlers

    case = _register(api)
    _attach(api, case)
    api.ok("post", f"/api/cases/{case['id']}/requests", {"items": [case["missing"][-1]["items"][0]]})
    api.ok("post", f"/api/cases/{case['id']}/close", {"reason": "completed"})
    assert handlers.anonymise_ended_cases() == {"anonymised": 0, "more": 0}  # not yet
    before = CaseModel.get(case["id"])
    assert before.applicant["name"] == "Amina"
    created, closed = before.created_at, before.status_since

    _later(container, 180 + 1)
    assert handlers.anonymise_ended_cases() == {"anonymised": 1, "more": 0}
    item = CaseModel.get(case["id"])
    assert item.applicant["name"] == "" and item.applicant["phone_e164"] is None and item.applicant["wa_id"] is None
    assert (item.permit_type, item.office, item.close_reason, item.status) == ("studio", "AN", "completed", "closed")
    assert (item.created_at, item.status_since) == (created, closed) and item.erased["reason"] == "retention_ended"
    assert item.expires_at is None and item.anonymise_office is None  # kept, and out of the job's index
    assert [r.kind for r in CaseRecordModel.query(case["id"])] == ["case_anonymised"]
    s3, bucket = container.client("s3"), container.settings.media_bucket
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"cases/{case['id']}/").get("KeyCount") == 0
    assert not list(UploadLinkModel.by_case.query(case["id"]))
    assert handlers.anonymise_ended_cases() == {"anonymised": 0, "more": 0}  # once


def test_each_run_anonymises_a_bounded_number_of_cases_and_says_more_are_due(api: Api, container: Container) -> None:
    from chalicelib.services.retention import anonymise_ended_cases

    for _ in range(3):
        api.ok("post", f"/api/cases/{_register(api)['id']}/close", {"reason": "withdrawn"})
    _later(container, 181)
    first, second = (anonymise_ended_cases(container.anonymise_deps, budget=2) for _ in range(2))
    assert (first.anonymised, first.more, second.anonymised, second.more) == (2, True, 1, False)


def test_an_open_case_is_never_anonymised(api: Api, container: Container) -> None:
    from chalicelib.services.retention import anonymise_ended_cases

    case = _register(api)
    _later(container, 10_000)
    assert anonymise_ended_cases(container.anonymise_deps).anonymised == 0
    assert CaseModel.get(case["id"]).applicant["name"] == "Amina"
