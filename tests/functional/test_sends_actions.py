"""Every officer action that tells the applicant, on moto through the app: the message is queued in the case's own
write (the outbox) and sent after, so a send refused for now is left ``queued`` and the sweep sends it once, and a
conflict (or a lost race for the slot) saves nothing and sends nothing (issue 16)."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib import handlers
from chalicelib.adapters.dynamo.models import OutboundModel
from chalicelib.bootstrap import now_ms
from chalicelib.domain.outbound import ListMenu, Template, Text
from chalicelib.services.cases import actions
from chalicelib.services.messages.messenger import Messenger
from chalicelib.services.messages.outbox import send_unsent
from chalicelib.whatsapp.errors import ServiceUnavailable
from tests.functional.test_officers_api import PDF, Api, _applicant_writes, _case_body, _register, _to_send
from tests.support import counter_day, open_counter

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalice.test import Client

    from chalicelib.bootstrap import Container
    from tests.fakes import FakeGateway


@pytest.fixture
def api(client: Client, officer_token: Any) -> Api:
    return Api(client, officer_token(office="AN", role="officer", username="m.rossi"))


def _refused_for_now(gateway: FakeGateway) -> None:
    gateway.errors.append(ServiceUnavailable("down", code=131000, is_transient=True))


def _attach(api: Api, case_id: str, code: str) -> str:
    body = {"item": code, "content_type": "application/pdf", "content_base64": base64.b64encode(PDF).decode()}
    status, answer = api.call("post", f"/api/cases/{case_id}/documents", body)
    assert status == 200, answer
    return answer["document_id"]  # type: ignore[no-any-return]


def _all_but_one_at_counter(api: Api, case: dict[str, Any]) -> str:
    """Leave every missing item but the last for the counter; the last is the one that completes the case."""
    *others, last = _to_send(case)
    for code in others:
        assert api.call("patch", f"/api/cases/{case['id']}/checklist/{code}", {"at_counter": True})[0] == 200
    return last


def _booked(api: Api, container: Container, places: int = 3) -> tuple[dict[str, Any], str]:
    open_counter(container, places=places)
    case = _register(api)
    last = _all_but_one_at_counter(api, case)
    assert api.call("patch", f"/api/cases/{case['id']}/checklist/{last}", {"at_counter": True})[0] == 200
    at = f"{counter_day(3).isoformat()}T09:00"
    assert api.call("post", f"/api/cases/{case['id']}/appointment", {"at": at})[0] == 200
    return case, at


def _queued_then_swept_once(
    gateway: FakeGateway, container: Container, case_id: str, what: str, before: int
) -> list[Any]:
    """The message of the version just saved is in the outbox unsent; the sweep sends it, once."""
    outbound_id = f"case.{case_id}.v{container.cases.get(case_id).version}.{what}"
    record = OutboundModel.get(outbound_id)
    assert record.state in ("queued", "released") and record.wamid is None
    assert len(gateway.sent) == before  # refused: nothing went out yet
    first, second = handlers.redrive_inbound(), handlers.redrive_inbound()
    assert (first["outbox_sent"], second["outbox_found"]) == (1, 0)
    sent = gateway.sent[before:]
    assert [m.outbound_id for m in sent] == [outbound_id]
    assert OutboundModel.get(outbound_id).wamid is not None
    return [m.content for m in sent]


def test_a_rejection_refused_for_now_is_queued_and_swept_once(
    api: Api, gateway: FakeGateway, container: Container
) -> None:
    case = _register(api)
    _applicant_writes(container)
    document_id = _attach(api, case["id"], _to_send(case)[0])
    before = len(gateway.sent)
    _refused_for_now(gateway)

    body = {"decision": "reject", "reason": "expired", "note": "Scaduto"}
    status, answer = api.call("patch", f"/api/cases/{case['id']}/documents/{document_id}", body)

    assert (status, answer["message"]) == (200, "queued")
    [content] = _queued_then_swept_once(gateway, container, case["id"], "review", before)
    assert isinstance(content, Text) and "Scaduto" in content.body


def test_the_offer_of_an_acceptance_that_completes_the_case_is_queued_and_swept_once(
    api: Api, gateway: FakeGateway, container: Container
) -> None:
    open_counter(container)
    case = _register(api)
    _applicant_writes(container)
    document_id = _attach(api, case["id"], _all_but_one_at_counter(api, case))
    before = len(gateway.sent)
    _refused_for_now(gateway)

    status, answer = api.call("patch", f"/api/cases/{case['id']}/documents/{document_id}", {"decision": "accept"})

    assert (status, answer["case"]["status"], answer["message"]) == (200, "complete", "queued")
    [content] = _queued_then_swept_once(gateway, container, case["id"], "review", before)
    assert isinstance(content, ListMenu)


def test_the_offer_of_an_item_left_for_the_counter_that_completes_the_case_is_queued_and_swept_once(
    api: Api, gateway: FakeGateway, container: Container
) -> None:
    open_counter(container)
    case = _register(api)
    last = _all_but_one_at_counter(api, case)
    before = len(gateway.sent)
    _refused_for_now(gateway)

    status, answer = api.call("patch", f"/api/cases/{case['id']}/checklist/{last}", {"at_counter": True})

    assert status == 200 and answer["case"]["status"] == "complete"
    [content] = _queued_then_swept_once(gateway, container, case["id"], "complete", before)
    assert isinstance(content, Template)  # outside the window: the template that asks for the list


def test_a_booking_refused_for_now_is_queued_and_swept_once(
    api: Api, gateway: FakeGateway, container: Container
) -> None:
    open_counter(container)
    case = _register(api)
    last = _all_but_one_at_counter(api, case)
    api.call("patch", f"/api/cases/{case['id']}/checklist/{last}", {"at_counter": True})
    before = len(gateway.sent)
    _refused_for_now(gateway)

    at = f"{counter_day(3).isoformat()}T09:00"
    status, answer = api.call("post", f"/api/cases/{case['id']}/appointment", {"at": at})

    assert (status, answer["case"]["status"], answer["message"]) == (200, "appointment_booked", "queued")
    [content] = _queued_then_swept_once(gateway, container, case["id"], "appointment", before)
    assert isinstance(content, Template) and content.name.startswith("sportello_")


def test_a_missed_visits_offer_refused_for_now_is_queued_and_swept_once(
    api: Api, gateway: FakeGateway, container: Container
) -> None:
    case, _ = _booked(api, container)
    _applicant_writes(container)
    before = len(gateway.sent)
    _refused_for_now(gateway)

    status, answer = api.call("patch", f"/api/cases/{case['id']}/appointment", {"attended": False})

    assert (status, answer["case"]["status"], answer["message"]) == (200, "complete", "queued")
    [content] = _queued_then_swept_once(gateway, container, case["id"], "missed", before)
    assert isinstance(content, ListMenu)


def test_an_opening_message_refused_for_now_is_queued_with_the_new_case_and_swept_once(
    api: Api, gateway: FakeGateway
) -> None:
    before = len(gateway.sent)
    _refused_for_now(gateway)

    status, answer = api.call("post", "/api/cases", _case_body())

    assert (status, answer["opening_message"]) == (201, "queued")
    outbound_id = f"case.{answer['case']['id']}.opening"
    assert OutboundModel.get(outbound_id).wamid is None and len(gateway.sent) == before
    first, second = handlers.redrive_inbound(), handlers.redrive_inbound()
    assert (first["outbox_sent"], second["outbox_found"]) == (1, 0)
    assert [m.outbound_id for m in gateway.sent[before:]] == [outbound_id]


def _stale_reads(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another officer's change lands between the action's read and its save."""
    load_case = actions.load_case

    def read_then_a_colleague_saves(*args: Any) -> Any:
        stale = load_case(*args)
        container.cases.save(stale, [])
        return stale

    monkeypatch.setattr(actions, "load_case", read_then_a_colleague_saves)


def _nothing_queued_or_sent(gateway: FakeGateway, container: Container, case_id: str, what: str, before: int) -> None:
    # The stale read's version + 1 is the colleague's version: the one the refused save would have named.
    outbound_id = f"case.{case_id}.v{container.cases.get(case_id).version}.{what}"
    with pytest.raises(OutboundModel.DoesNotExist):
        OutboundModel.get(outbound_id)
    assert len(gateway.sent) == before
    assert handlers.redrive_inbound()["outbox_found"] == 0


Action = tuple[str, str, dict[str, Any], str]


def _reject(api: Api, container: Container, case: dict[str, Any]) -> Action:
    _applicant_writes(container)
    document_id = _attach(api, case["id"], _to_send(case)[0])
    body = {"decision": "reject", "reason": "expired", "note": "Scaduto"}
    return "patch", f"/api/cases/{case['id']}/documents/{document_id}", body, "review"


def _accept_completing(api: Api, container: Container, case: dict[str, Any]) -> Action:
    open_counter(container)
    document_id = _attach(api, case["id"], _all_but_one_at_counter(api, case))
    return "patch", f"/api/cases/{case['id']}/documents/{document_id}", {"decision": "accept"}, "review"


def _counter_completing(api: Api, container: Container, case: dict[str, Any]) -> Action:
    open_counter(container)
    last = _all_but_one_at_counter(api, case)
    return "patch", f"/api/cases/{case['id']}/checklist/{last}", {"at_counter": True}, "complete"


def _book(api: Api, container: Container, case: dict[str, Any]) -> Action:
    open_counter(container)
    last = _all_but_one_at_counter(api, case)
    api.call("patch", f"/api/cases/{case['id']}/checklist/{last}", {"at_counter": True})
    at = f"{counter_day(3).isoformat()}T09:00"
    return "post", f"/api/cases/{case['id']}/appointment", {"at": at}, "appointment"


def _miss(api: Api, container: Container, case: dict[str, Any]) -> Action:
    method, path, body, _ = _book(api, container, case)
    assert api.call(method, path, body)[0] == 200
    _applicant_writes(container)
    return "patch", f"/api/cases/{case['id']}/appointment", {"attended": False}, "missed"


@pytest.mark.parametrize("prepare", [_reject, _accept_completing, _counter_completing, _book, _miss])
def test_a_conflict_saves_nothing_and_queues_and_sends_nothing(
    api: Api,
    gateway: FakeGateway,
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
    prepare: Callable[[Api, Container, dict[str, Any]], Action],
) -> None:
    case = _register(api)
    method, path, body, what = prepare(api, container, case)
    before, saves = len(gateway.sent), container.cases.get(case["id"]).version
    _stale_reads(container, monkeypatch)

    status, answer = api.call(method, path, body)

    assert (status, answer["error"]["code"]) == (409, "conflict")
    assert container.cases.get(case["id"]).version == saves + 1  # the colleague's change alone
    _nothing_queued_or_sent(gateway, container, case["id"], what, before)


def test_a_booking_that_loses_the_race_for_the_last_place_queues_and_sends_nothing(
    api: Api, gateway: FakeGateway, container: Container
) -> None:
    _, at = _booked(api, container, places=1)
    late = _register(api)
    last = _all_but_one_at_counter(api, late)
    api.call("patch", f"/api/cases/{late['id']}/checklist/{last}", {"at_counter": True})
    before, version = len(gateway.sent), container.cases.get(late["id"]).version

    status, answer = api.call("post", f"/api/cases/{late['id']}/appointment", {"at": at})

    assert (status, answer["error"]["code"]) == (422, "slot_unavailable")
    assert container.cases.get(late["id"]).version == version
    with pytest.raises(OutboundModel.DoesNotExist):
        OutboundModel.get(f"case.{late['id']}.v{version + 1}.appointment")
    assert len(gateway.sent) == before
    assert handlers.redrive_inbound()["outbox_found"] == 0


class Killed(Exception):
    """The worker dies right after the case's write, before it sends."""


def _register_new(api: Api, container: Container, case: dict[str, Any]) -> Action:
    return "post", "/api/cases", _case_body(), "opening"


@pytest.mark.parametrize("prepare", [_reject, _accept_completing, _counter_completing, _book, _miss, _register_new])
def test_a_worker_killed_between_the_save_and_the_send_loses_nothing_the_sweep_sends_it_once(
    api: Api,
    gateway: FakeGateway,
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
    prepare: Callable[[Api, Container, dict[str, Any]], Action],
) -> None:
    case = _register(api)
    method, path, body, what = prepare(api, container, case)
    before = len(gateway.sent)

    def killed(self: Messenger, message: Any) -> Any:
        raise Killed(message.outbound_id)

    with monkeypatch.context() as patched:
        patched.setattr(Messenger, "send_queued", killed)
        assert api.call(method, path, body)[0] == 500  # the worker died: the officer sees a failure

    assert len(gateway.sent) == before
    [record] = [r for r in OutboundModel.scan() if r.outbound_id.endswith(f".{what}") and r.state == "queued"]
    # Not before the request's own attempt would have timed out (its lease); then the sweep sends it, once.
    later = replace(container.messenger, clock_ms=lambda: now_ms() + container.messenger.policy.lease_ms + 1)
    first, second = (send_unsent(later, container.fresh_link, 50) for _ in range(2))
    assert (first.sent, second.found) == (1, 0)
    assert [m.outbound_id for m in gateway.sent[before:]] == [record.outbound_id]
    if what != "opening":
        assert record.outbound_id == f"case.{case['id']}.v{container.cases.get(case['id']).version}.{what}"


def test_an_erasure_refusal_refused_for_now_is_queued_with_the_decision_and_swept_once(
    api: Api, gateway: FakeGateway, container: Container, officer_token: Any
) -> None:
    from chalicelib.services.cases.erasure import request_erasure

    case = _register(api)
    request_erasure(container.cases, case["id"], now_ms())
    requested = container.cases.get(case["id"]).erasure_requested_at_ms
    supervisor = Api(api.client, officer_token(office="AN", role="supervisor", username="s.bianchi"))
    before = len(gateway.sent)
    _refused_for_now(gateway)

    decision = {"decision": "refuse", "reason": "legal_hold"}
    status, answer = supervisor.call("post", f"/api/cases/{case['id']}/erasure-request", decision)

    assert (status, answer["notice"], answer["case"]["erasure_requested_since"]) == (200, "queued", None)
    outbound_id = f"case.{case['id']}.erasure_refused.{requested}"
    assert OutboundModel.get(outbound_id).wamid is None and len(gateway.sent) == before
    first, second = handlers.redrive_inbound(), handlers.redrive_inbound()
    assert (first["outbox_sent"], second["outbox_found"]) == (1, 0)
    assert [m.outbound_id for m in gateway.sent[before:]] == [outbound_id]
