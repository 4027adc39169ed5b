"""Sends under crashes and faults, with fakes: leased claims, Meta's status as the judge of a send in doubt, the
outbox saved before the send and swept after (issue 16)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.delivery import DeliveryStatus, StatusUpdate
from chalicelib.domain.outbound import OutboundMessage, Template, Text
from chalicelib.domain.upload_links import HIDDEN_TOKEN, LinkPurpose
from chalicelib.services.cases.ports import VersionConflict
from chalicelib.services.messages.messenger import Messenger, SendOutcome, SendPolicy
from chalicelib.services.messages.notices import Notifier
from chalicelib.services.messages.outbox import MAX_ATTEMPTS, send_unsent
from chalicelib.whatsapp.errors import ServiceUnavailable, TransportError
from tests.fakes import FakeApplicantStore, FakeGateway, FakeOutboundStore

if TYPE_CHECKING:
    from chalicelib.services.messages.ports import OutboxEntry

NOW = 1_764_100_000_000
LEASE_MS = 90_000
RECONCILE_MS = 600_000
APPLICANT = ApplicantRef(wa_id="393331234567")
TOKEN = "A" * 43


@dataclass
class Clock:
    now: int = NOW

    def __call__(self) -> int:
        return self.now


@dataclass
class World:
    clock: Clock = field(default_factory=Clock)
    gateway: FakeGateway = field(default_factory=FakeGateway)
    outbound: FakeOutboundStore = field(default_factory=FakeOutboundStore)
    links: list[tuple[str, LinkPurpose]] = field(default_factory=list)

    @property
    def messenger(self) -> Messenger:
        return Messenger(self.gateway, self.outbound, self.clock, policy=SendPolicy(LEASE_MS, RECONCILE_MS))

    def sweep(self) -> Any:
        return send_unsent(self.messenger, self.fresh_link, limit=50)

    def fresh_link(self, case_id: str, purpose: LinkPurpose) -> str | None:
        self.links.append((case_id, purpose))
        return TOKEN

    def status(self, outbound_id: str, wamid: str = "wamid.from.meta") -> None:
        update = StatusUpdate(wamid, DeliveryStatus.SENT, self.clock.now // 1000, outbound_id)
        self.outbound.apply_status(update, self.clock.now)


@pytest.fixture
def world() -> World:
    return World()


def _message(outbound_id: str = "case.AN-1.v2.message", content: Any = None, **extra: Any) -> OutboundMessage:
    return OutboundMessage(outbound_id, APPLICANT, content or Text("Buongiorno"), case_id="AN-1", **extra)


def _killed_after_claim(world: World, message: OutboundMessage) -> None:
    """A worker claims the send and dies before Meta answers (or before it records the answer)."""
    world.outbound.claim(message, world.clock.now, world.messenger.rendered(message), SendPolicy(LEASE_MS).lease(NOW))


def test_a_live_lease_is_in_flight_never_already_handled_and_nothing_is_sent(world: World) -> None:
    message = _message()
    _killed_after_claim(world, message)
    world.clock.now += LEASE_MS - 1

    result = world.messenger.send(message)

    assert (result.outcome, result.retry_at_ms) == (SendOutcome.QUEUED, NOW + RECONCILE_MS)
    assert world.gateway.sent == []


def test_an_expired_lease_without_a_wamid_waits_for_the_reconcile_time_then_is_sent_once(world: World) -> None:
    message = _message()
    _killed_after_claim(world, message)
    world.clock.now += LEASE_MS  # the worker is surely dead, but its request may have reached Meta
    assert world.messenger.send_once(message) is SendOutcome.QUEUED
    assert world.sweep().sent == 0

    world.clock.now = NOW + RECONCILE_MS  # Meta never said it had it
    assert world.sweep().sent == 1
    assert world.sweep().found == 0
    assert world.messenger.send_once(message) is SendOutcome.ALREADY_HANDLED
    assert [m.outbound_id for m in world.gateway.sent] == [message.outbound_id]


def test_an_expired_lease_with_a_wamid_from_metas_status_is_sent_and_never_again(world: World) -> None:
    message = _message()
    _killed_after_claim(world, message)
    world.status(message.outbound_id)  # the request had reached Meta: its status webhook names the record
    world.clock.now = NOW + 10 * RECONCILE_MS

    result = world.messenger.send(message)

    assert (result.outcome, result.wamid) == (SendOutcome.ALREADY_HANDLED, "wamid.from.meta")
    assert world.sweep().found == 0
    assert world.gateway.sent == []


def test_a_send_in_doubt_is_settled_by_metas_status_within_the_grace(world: World) -> None:
    message = _message()
    world.gateway.errors.append(TransportError("read timeout", request_may_have_reached_meta=True))

    assert world.messenger.send(message).outcome is SendOutcome.QUEUED
    assert world.outbound.records[message.outbound_id].state == "uncertain"
    world.clock.now += RECONCILE_MS - 1
    assert world.sweep().sent == 0
    world.status(message.outbound_id)
    world.clock.now += 10 * RECONCILE_MS

    assert world.sweep().found == 0
    assert world.messenger.send_once(message) is SendOutcome.ALREADY_HANDLED
    assert world.gateway.sent == []


def test_a_send_in_doubt_with_no_status_by_the_grace_is_sent_again_once(world: World) -> None:
    message = _message()
    world.gateway.errors.append(TransportError("read timeout", request_may_have_reached_meta=True))
    world.messenger.send(message)

    world.clock.now += RECONCILE_MS
    first, second = world.sweep(), world.sweep()

    assert (first.sent, second.found) == (1, 0)
    assert len(world.gateway.sent) == 1


def test_a_transient_refusal_is_queued_for_the_sweep_which_sends_it_once(world: World) -> None:
    message = _message()
    world.gateway.errors.append(ServiceUnavailable("down", code=131000, is_transient=True))

    assert world.messenger.send_queued(message).outcome is SendOutcome.QUEUED
    assert world.outbound.records[message.outbound_id].state == "released"
    runs = [world.sweep() for _ in range(3)]

    assert [r.sent for r in runs] == [1, 0, 0]
    assert len(world.gateway.sent) == 1


def test_the_sweep_gives_up_on_a_message_refused_run_after_run(world: World) -> None:
    message = _message()
    world.gateway.errors.extend([ServiceUnavailable("down", code=131000, is_transient=True)] * MAX_ATTEMPTS)
    world.messenger.send_queued(message)
    for _ in range(MAX_ATTEMPTS):
        world.sweep()

    assert world.outbound.records[message.outbound_id].state == "failed"
    assert world.sweep().found == 0
    assert world.gateway.sent == []


def test_sent_again_from_its_record_a_message_gets_a_fresh_upload_link(world: World) -> None:
    template = Template("sportello_documenti_richiesti", "it", ("AN-1", "CU"), url_button_parameter="B" * 43)
    message = _message(content=template, link=LinkPurpose.DOCUMENTS_REQUEST)
    world.gateway.errors.append(ServiceUnavailable("down", code=131000, is_transient=True))
    world.messenger.send_queued(message)

    assert world.sweep().sent == 1

    [sent] = world.gateway.sent
    assert isinstance(sent.content, Template) and sent.content.url_button_parameter == TOKEN
    assert world.links == [("AN-1", LinkPurpose.DOCUMENTS_REQUEST)]


def test_a_text_sent_again_gets_its_link_back_with_a_fresh_token(world: World) -> None:
    body = "Carichi qui: https://sportello.example/u/" + "B" * 43
    message = _message(content=Text(body), link=LinkPurpose.DOCUMENTS_REQUEST)
    world.gateway.errors.append(ServiceUnavailable("down", code=131000, is_transient=True))
    world.messenger.send_queued(message)

    world.sweep()

    [sent] = world.gateway.sent
    assert isinstance(sent.content, Text)
    assert sent.content.body == f"Carichi qui: https://sportello.example/u/{TOKEN}"
    assert HIDDEN_TOKEN not in sent.content.body


@dataclass
class Cases:
    """Just enough of a case repository for the outbox's order: a save that conflicts, or writes the entry."""

    outbound: FakeOutboundStore
    conflict: bool = False
    saved: list[Any] = field(default_factory=list)

    def save(self, case: Any, events: Any, *args: Any, outbox: OutboxEntry | None = None) -> Any:
        if self.conflict:
            raise VersionConflict("AN-1")
        if outbox is not None:
            self.outbound.queue(outbox)  # in the same transaction as the case
        self.saved.append(case)
        return case


def _notifier(world: World) -> Notifier:
    return Notifier(world.messenger, FakeApplicantStore(), world.clock)


def test_a_conflict_saves_nothing_and_sends_nothing(world: World) -> None:
    cases = Cases(world.outbound, conflict=True)

    with pytest.raises(VersionConflict):
        _notifier(world).save_then_send(cases, object(), [], _message())  # type: ignore[arg-type]

    assert (world.outbound.records, world.gateway.sent) == ({}, [])


def test_saved_first_then_sent_at_once(world: World) -> None:
    cases = Cases(world.outbound)
    message = _message()

    _, outcome = _notifier(world).save_then_send(cases, "case", [], message)  # type: ignore[arg-type]

    assert outcome is SendOutcome.SENT
    assert world.outbound.records[message.outbound_id].state == "accepted"
    assert [m.outbound_id for m in world.gateway.sent] == [message.outbound_id]


def test_saved_then_refused_for_now_is_queued_and_the_sweep_waits_for_the_requests_own_attempt(
    world: World,
) -> None:
    cases = Cases(world.outbound)
    message = _message()
    world.gateway.errors.append(TransportError("refused", request_may_have_reached_meta=False))

    _, outcome = _notifier(world).save_then_send(cases, "case", [], message)  # type: ignore[arg-type]

    assert outcome is SendOutcome.QUEUED
    assert world.sweep().sent == 1
    assert world.sweep().found == 0
    assert len(world.gateway.sent) == 1


def test_a_queued_message_is_left_to_its_request_until_a_claim_would_have_expired(world: World) -> None:
    cases = Cases(world.outbound)
    # The save happens, then the request dies before its own attempt.
    cases.save("case", [], outbox=_entry(_notifier(world), _message()))

    assert world.sweep().found == 0
    world.clock.now += LEASE_MS
    assert world.sweep().sent == 1


def _entry(notifier: Notifier, message: OutboundMessage) -> OutboxEntry:
    from chalicelib.services.messages.ports import OutboxEntry

    now = notifier.clock_ms()
    return OutboxEntry(message, notifier.messenger.rendered(message), now, now + LEASE_MS)


def test_the_default_lease_outlasts_the_graph_clients_worst_case_for_one_send() -> None:
    import inspect
    from dataclasses import fields

    from chalicelib.settings import Settings
    from chalicelib.whatsapp.graph import GraphApiClient

    defaults = {name: p.default for name, p in inspect.signature(GraphApiClient).parameters.items()}
    connect, read = defaults["timeout"]
    attempts, back_off = defaults["max_attempts"], defaults["backoff_cap"]
    worst_s = attempts * (connect + read) + (attempts - 1) * back_off  # every attempt times out, then waits its most
    lease_s = next(f.default for f in fields(Settings) if f.name == "send_lease_seconds")

    assert worst_s < lease_s == SendPolicy().lease_ms / 1000
