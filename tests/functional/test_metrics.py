"""Business metrics through ``app.py``: each event is counted where it really happens, through the fake."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib.bootstrap import Container
from chalicelib.domain.outbound import Template
from chalicelib.observability import EmfMetrics
from chalicelib.services.metrics import NO_METRICS
from chalicelib.whatsapp.errors import ReEngagementRequired
from tests.fakes import FakeGateway, FakeMetrics
from tests.functional.test_conversation import JPEG, Phone
from tests.functional.test_officers_api import Api, _register
from tests.functional.test_reminders import _local, _requested, _sweep_and_send
from tests.functional.test_upload_page import PDF, _announced, _confirm, _put, _request, _sent_token
from tests.support import load_event, signed

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalice.test import Client


@pytest.fixture(autouse=True)
def metrics(container: Container) -> FakeMetrics:
    """The fake in place of the EMF adapter, before anything that counts is built."""
    fake = FakeMetrics()
    container.__dict__["metrics"] = fake
    return fake


@pytest.fixture
def api(client: Client, officer_token: Callable[..., str]) -> Api:
    return Api(client, officer_token(office="AN", role="officer", username="m.rossi"))


@pytest.fixture
def phone(client: Client, gateway: FakeGateway) -> Phone:
    return Phone(client, gateway)


def _status_failed(wamid: str, outbound_id: str, code: int | None = 131047) -> dict[str, Any]:
    payload = copy.deepcopy(load_event("status_failed"))
    [status] = payload["entry"][0]["changes"][0]["value"]["statuses"]
    status.update({"id": wamid, "biz_opaque_callback_data": outbound_id})
    if code is None:
        status.pop("errors")
    return payload


def _post_webhook(client: Client, payload: dict[str, Any]) -> None:
    body, headers = signed(payload)
    assert client.http.post("/webhook", headers=headers, body=body).status_code == 200


def test_a_webhook_message_is_received_once_and_its_reply_is_sent(
    client: Client, phone: Phone, metrics: FakeMetrics
) -> None:
    payload = load_event("message_text")
    _post_webhook(client, payload)
    _post_webhook(client, payload)  # Meta's redelivery: stored once, counted once
    assert metrics.counts == [("MessagesReceived", 1, {})]

    assert len(phone.text("hello")) == 1
    assert metrics.total("MessagesReceived") == 2
    assert metrics.total("RepliesSent") == 1 and ("RepliesSent", 1, {}) in metrics.counts


def test_a_document_from_the_chat_is_counted_and_a_refused_one_is_not(
    phone: Phone, api: Api, metrics: FakeMetrics
) -> None:
    _register(api)
    phone.text("hello")
    phone.choose("lang.en")
    phone.file(b"GIF89a" + b"0" * 20, "image/gif")
    assert metrics.total("DocumentsReceived") == 0

    phone.file(JPEG, "image/jpeg")
    assert metrics.total("DocumentsReceived") == 1


def test_a_document_from_the_upload_page_is_counted_once(
    api: Api, client: Client, gateway: FakeGateway, container: Container, metrics: FakeMetrics
) -> None:
    case = _register(api)
    item = case["missing"][0]["items"][0]
    _request(api, case["id"], [item])
    token = _sent_token(gateway)
    upload_id, key = _announced(client, token, item, PDF, "application/pdf")
    _put(container, key, PDF)

    for _ in range(2):  # a retried confirmation adds nothing
        status, answer = _confirm(client, token, upload_id, hashlib.sha256(PDF).hexdigest())
        assert status == 200, answer
    assert metrics.total("DocumentsReceived") == 1


def test_a_failed_status_of_a_template_counts_a_template_failure_by_code(
    api: Api, client: Client, gateway: FakeGateway, metrics: FakeMetrics
) -> None:
    _register(api)  # the applicant never wrote: the opening message is a template
    [opening] = gateway.sent
    assert isinstance(opening.content, Template)
    wamid = "wamid.out.0"  # the fake gateway's first id
    assert metrics.counts == [("RepliesSent", 1, {})]

    _post_webhook(client, _status_failed(wamid, opening.outbound_id))
    _post_webhook(client, _status_failed(wamid, opening.outbound_id))  # redelivered: stale, not counted again
    assert metrics.codes("TemplateFailures") == ["131047"]
    assert metrics.counts[-1] == ("TemplateFailures", 1, {"code": "131047"})


def test_a_failed_status_without_callback_data_or_code_is_found_by_wamid_and_unknown(
    api: Api, client: Client, gateway: FakeGateway, metrics: FakeMetrics
) -> None:
    _register(api)
    payload = _status_failed("wamid.out.0", "", code=None)
    [status] = payload["entry"][0]["changes"][0]["value"]["statuses"]
    status.pop("biz_opaque_callback_data")
    _post_webhook(client, payload)
    assert metrics.codes("TemplateFailures") == ["unknown"]


def test_a_failed_status_of_a_chat_reply_is_not_a_template_failure(
    client: Client, phone: Phone, gateway: FakeGateway, metrics: FakeMetrics
) -> None:
    phone.text("hello")
    [reply] = gateway.sent
    assert not isinstance(reply.content, Template)
    _post_webhook(client, _status_failed("wamid.out.0", reply.outbound_id))
    assert metrics.total("TemplateFailures") == 0


def test_a_template_meta_refuses_counts_a_template_failure_and_no_reply(
    api: Api, gateway: FakeGateway, metrics: FakeMetrics
) -> None:
    gateway.errors.append(ReEngagementRequired("outside window", code=131047))
    _register(api)
    assert gateway.sent == []
    assert metrics.counts == [("TemplateFailures", 1, {"code": "131047"})]


def test_a_reminder_that_fails_counts_a_reminder_failure_by_code(
    api: Api, gateway: FakeGateway, metrics: FakeMetrics
) -> None:
    _requested(api, permit_expiry=None)
    gateway.errors.append(ReEngagementRequired("outside window", code=131047))
    assert _sweep_and_send(_local(3, 9, 5)) == [{"failed": 1}]
    assert ("ReminderSendFailures", 1, {"code": "131047"}) in metrics.counts
    assert metrics.codes("TemplateFailures") == ["131047"]  # a reminder outside the window is a template


def test_a_reminder_sent_is_a_reply_sent_not_a_failure(api: Api, gateway: FakeGateway, metrics: FakeMetrics) -> None:
    _requested(api, permit_expiry=None)
    before = metrics.total("RepliesSent")
    assert _sweep_and_send(_local(3, 9, 5)) == [{"sent": 1}]
    assert metrics.total("RepliesSent") == before + 1
    assert metrics.total("ReminderSendFailures") == 0


def test_only_lambda_writes_emf_lines(container: Container) -> None:
    """Elsewhere stdout is a terminal, a benchmark's report or a command's JSON (see ``Settings.emf_metrics``)."""
    assert Container(container.settings).metrics is NO_METRICS
    assert isinstance(Container(replace(container.settings, emf_metrics=True)).metrics, EmfMetrics)


def test_no_personal_data_reaches_a_metric(phone: Phone, api: Api, metrics: FakeMetrics) -> None:
    _register(api)
    phone.text("hello")
    phone.file(JPEG, "image/jpeg")
    for _, value, dimensions in metrics.counts:
        assert isinstance(value, int) and set(dimensions) <= {"code"}  # names, counts and Meta's codes only
