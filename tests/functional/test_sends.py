"""Officers' messages and reminders under faults, on moto through the app: saved first and sent after (the
outbox), a conflict that sends nothing, the sweep that sends what is left, and reminders marked sent only with a
wamid (issue 16)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib import handlers
from chalicelib.adapters.dynamo.models import OutboundModel
from chalicelib.adapters.dynamo.reminders import ReminderModel
from chalicelib.domain.delivery import DeliveryStatus, StatusUpdate
from chalicelib.domain.outbound import Text
from chalicelib.domain.reminders import ReminderState
from chalicelib.services.cases import actions
from chalicelib.services.messages.messenger import Messenger
from chalicelib.services.reminders.delivery import ReminderInFlight
from chalicelib.whatsapp.errors import ServiceUnavailable, TransportError
from tests.functional.test_officers_api import Api, _applicant_writes, _register
from tests.functional.test_reminders import Record, _drain, _local, _requested

if TYPE_CHECKING:
    from chalice.test import Client

    from chalicelib.bootstrap import Container
    from tests.fakes import FakeGateway


@pytest.fixture
def api(client: Client, officer_token: Any) -> Api:
    return Api(client, officer_token(office="AN", role="officer", username="m.rossi"))


def _delivery(api: Api, case_id: str) -> list[str]:
    status, thread = api.call("get", f"/api/cases/{case_id}/conversation")
    assert status == 200
    return [m["delivery"]["state"] for m in thread["messages"] if m["direction"] == "out"]


def test_an_officers_message_has_the_id_of_the_version_it_saves(
    api: Api, gateway: FakeGateway, container: Container
) -> None:
    case = _register(api)
    _applicant_writes(container)

    status, answer = api.call("post", f"/api/cases/{case['id']}/messages", {"text": "Buongiorno"})

    assert (status, answer["message"]) == (200, "sent")
    version = container.cases.get(case["id"]).version
    assert gateway.sent[-1].outbound_id == f"case.{case['id']}.v{version}.message"


def test_refused_for_now_an_officers_message_is_queued_and_the_sweep_sends_it_once(
    api: Api, gateway: FakeGateway, container: Container
) -> None:
    case = _register(api)
    _applicant_writes(container)
    before = len(gateway.sent)
    gateway.errors.append(ServiceUnavailable("down", code=131000, is_transient=True))

    status, answer = api.call("post", f"/api/cases/{case['id']}/messages", {"text": "Buongiorno"})

    assert (status, answer["message"]) == (200, "queued")
    assert _delivery(api, case["id"])[-1] == "retrying"
    first, second = handlers.redrive_inbound(), handlers.redrive_inbound()
    assert (first["outbox_sent"], second["outbox_found"]) == (1, 0)
    assert [m.content for m in gateway.sent[before:]] == [Text("Buongiorno")]
    assert _delivery(api, case["id"])[-1] == "accepted"


def test_a_conflict_saves_nothing_and_sends_nothing(
    api: Api, gateway: FakeGateway, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = _register(api)
    _applicant_writes(container)
    load_case = actions.load_case

    def read_then_a_colleague_saves(*args: Any) -> Any:
        stale = load_case(*args)
        container.cases.save(stale, [])  # another officer's change lands between the read and the save
        return stale

    monkeypatch.setattr(actions, "load_case", read_then_a_colleague_saves)
    before = len(gateway.sent)
    stale_version = container.cases.get(case["id"]).version

    status, answer = api.call("post", f"/api/cases/{case['id']}/messages", {"text": "Buongiorno"})

    assert (status, answer["error"]["code"]) == (409, "conflict")
    assert len(gateway.sent) == before
    with pytest.raises(OutboundModel.DoesNotExist):
        OutboundModel.get(f"case.{case['id']}.v{stale_version + 1}.message")
    assert handlers.redrive_inbound()["outbox_found"] == 0


def _job(case_id: str, reminder_id: str, offset_ms: int) -> Record:
    body = {"case_id": case_id, "reminder_id": reminder_id, "clock_offset_ms": offset_ms}
    return Record(json.dumps(body), "receipt")


def _one_job() -> tuple[dict[str, Any], Record]:
    [record] = _drain()
    return json.loads(record.body), record


def test_a_reminder_held_by_a_dead_worker_is_sent_once_its_lease_has_expired(
    api: Api, gateway: FakeGateway, container: Container
) -> None:
    case = _requested(api, permit_expiry=None)
    handlers.sweep_reminders(_local(3, 9, 5))
    job, record = _one_job()
    now = container.scheduler.clock_ms() + job["clock_offset_ms"]
    container.reminders.start(job["case_id"], job["reminder_id"], now, now + 90_000)  # ...and the worker dies
    before = len(gateway.sent)

    with pytest.raises(ReminderInFlight):
        handlers.send_reminders([record])  # SQS brings it back later
    assert len(gateway.sent) == before

    later = _job(job["case_id"], job["reminder_id"], job["clock_offset_ms"] + 91_000)
    assert handlers.send_reminders([later]) == {"sent": 1}
    assert len(gateway.sent) == before + 1
    stored = ReminderModel.get(case["id"], job["reminder_id"])
    assert stored.state == ReminderState.SENT.value
    assert stored.wamid == OutboundModel.get(_outbound_id(job)).wamid and stored.wamid.startswith("wamid.out.")


def test_a_reminder_whose_send_may_have_reached_meta_is_marked_sent_only_with_metas_wamid(
    api: Api, gateway: FakeGateway, container: Container
) -> None:
    case = _requested(api, permit_expiry=None)
    handlers.sweep_reminders(_local(3, 9, 5))
    job, record = _one_job()
    gateway.errors.append(TransportError("read timeout", request_may_have_reached_meta=True))
    before = len(gateway.sent)

    with pytest.raises(ReminderInFlight):
        handlers.send_reminders([record])
    with pytest.raises(ReminderInFlight):  # redelivered before Meta's word: still not marked sent
        handlers.send_reminders([Record(record.body, record.receipt_handle, receives=2)])
    assert ReminderModel.get(case["id"], job["reminder_id"]).state != ReminderState.SENT.value

    assert OutboundModel.get(_outbound_id(job)).state == "uncertain"
    update = StatusUpdate("wamid.meta.had.it", DeliveryStatus.DELIVERED, 1_764_100_100, _outbound_id(job))
    container.outbound.apply_status(update, 0)  # Meta's status webhook: it went out after all

    assert handlers.send_reminders([Record(record.body, record.receipt_handle, receives=3)]) == {"already_handled": 1}
    stored = ReminderModel.get(case["id"], job["reminder_id"])
    assert (stored.state, stored.wamid) == (ReminderState.SENT.value, "wamid.meta.had.it")
    assert len(gateway.sent) == before  # never sent a second time


def _outbound_id(job: dict[str, Any]) -> str:
    from chalicelib.domain.reminders import outbound_id

    return outbound_id(job["case_id"], job["reminder_id"])


def test_a_request_refused_for_now_is_sent_by_the_sweep_with_a_fresh_upload_link(
    api: Api, gateway: FakeGateway, container: Container
) -> None:
    from chalicelib.domain.outbound import Template
    from chalicelib.domain.upload_links import HIDDEN_TOKEN
    from chalicelib.services.uploads.page import open_link

    case = _register(api, permit_type="lavoro_subordinato")
    before = len(gateway.sent)
    gateway.errors.append(ServiceUnavailable("down", code=131000, is_transient=True))

    status, answer = api.call("post", f"/api/cases/{case['id']}/requests", {"items": ["buste_paga"], "note": ""})

    assert (status, answer["message"]) == (200, "queued")
    version = container.cases.get(case["id"]).version
    record = OutboundModel.get(f"case.{case['id']}.v{version}.request")
    assert record.content["url_button_parameter"] == HIDDEN_TOKEN  # the token is sent, never stored
    assert handlers.redrive_inbound()["outbox_sent"] == 1
    [sent] = gateway.sent[before:]
    assert isinstance(sent.content, Template) and sent.content.url_button_parameter not in (None, HIDDEN_TOKEN)
    link, linked = open_link(container.upload_deps, sent.content.url_button_parameter)
    assert (linked.case_id, link.issued_for.value) == (case["id"], "documents_request")


class _DiedAfterTheSave(Exception):
    """The request's worker dies after the case's write, before its send: the officer sees an error."""


def test_a_message_retried_with_its_idempotency_key_after_an_error_is_sent_once(
    api: Api, gateway: FakeGateway, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = _register(api)
    _applicant_writes(container)
    before = len(gateway.sent)
    body = {"text": "Buongiorno", "idempotency_key": "0b5c4f9e-6a1d-4c2e-9f3a-2d7e8b1c5a60"}

    def died(self: Messenger, message: Any) -> Any:
        raise _DiedAfterTheSave(message.outbound_id)

    with monkeypatch.context() as patched:
        patched.setattr(Messenger, "send_queued", died)
        assert api.call("post", f"/api/cases/{case['id']}/messages", body)[0] == 500  # saved, not sent
    version = container.cases.get(case["id"]).version

    retried = [api.call("post", f"/api/cases/{case['id']}/messages", body) for _ in range(2)]  # the console retries

    assert [(status, answer["message"]) for status, answer in retried] == [(200, "sent"), (200, "already_handled")]
    assert [m.content for m in gateway.sent[before:]] == [Text("Buongiorno")]  # once
    assert container.cases.get(case["id"]).version == version  # the retries saved nothing more
    assert handlers.redrive_inbound()["outbox_found"] == 0
    # Another message, another key: sent (the key names one message, not the case's conversation).
    other = {"text": "A domani", "idempotency_key": "5e0f2a7c-1b3d-4e6f-8a9b-0c1d2e3f4a5b"}
    assert api.call("post", f"/api/cases/{case['id']}/messages", other)[1]["message"] == "sent"
    assert [m.content for m in gateway.sent[before:]] == [Text("Buongiorno"), Text("A domani")]


@pytest.mark.parametrize("key", ["short", "has space in it", "x" * 101, 42, "ünïcödé-key"])
def test_a_malformed_idempotency_key_is_a_422(api: Api, container: Container, key: object) -> None:
    case = _register(api)
    _applicant_writes(container)

    status, answer = api.call("post", f"/api/cases/{case['id']}/messages", {"text": "Ciao", "idempotency_key": key})

    assert (status, answer["error"]["code"]) == (422, "invalid_input")
