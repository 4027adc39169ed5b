"""Processing inbound messages with fakes: one answer per message, whatever is redelivered or fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.outbound import OutboundMessage, Text
from chalicelib.i18n import translate
from chalicelib.services.messages.messenger import Messenger
from chalicelib.services.messages.process import ProcessDeps, ProcessOutcome, process_inbound, redrive_pending
from chalicelib.whatsapp.errors import (
    ServiceUnavailable,
    ThroughputLimited,
    TransportError,
    Undeliverable,
)
from chalicelib.whatsapp.updates import parse_webhook
from tests.fakes import FakeApplicantStore, FakeGateway, FakeInboundStore, FakeOutboundStore
from tests.support import load_event

if TYPE_CHECKING:
    from chalicelib.domain.inbound import InboundMessage

NOW = 1_764_100_000_000


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def outbound() -> FakeOutboundStore:
    return FakeOutboundStore()


@pytest.fixture
def deps(gateway: FakeGateway, outbound: FakeOutboundStore) -> ProcessDeps:
    """Processing with a stand-in conversation that acknowledges texts once (as the real one's replies are)."""
    messenger = Messenger(gateway, outbound, lambda: NOW)

    def converse(message: InboundMessage) -> None:
        if message.text is not None:
            messenger.send_once(
                OutboundMessage(f"ack.{message.wamid}", message.applicant, Text(translate("conv.handoff", "it")))
            )

    return ProcessDeps(FakeInboundStore(), FakeApplicantStore(), gateway, converse, lambda: NOW)


def _stored(deps: ProcessDeps, name: str = "message_text") -> InboundMessage:
    [message] = parse_webhook(load_event(name)).messages
    deps.inbound.add(message, NOW - 1000)
    return message


def test_a_text_gets_one_acknowledgement_in_reply_and_is_marked_read(deps: ProcessDeps, gateway: FakeGateway) -> None:
    message = _stored(deps)

    assert process_inbound(message, deps) is ProcessOutcome.PROCESSED

    [reply] = gateway.sent
    assert reply.recipient == message.applicant
    assert reply.content == Text(translate("conv.handoff", "it"))
    assert gateway.read == [message.wamid]
    assert deps.inbound.is_processed(message)


def test_a_redelivered_event_sends_nothing_twice(deps: ProcessDeps, gateway: FakeGateway) -> None:
    message = _stored(deps)
    outcomes = [process_inbound(message, deps) for _ in range(3)]
    assert outcomes == [ProcessOutcome.PROCESSED, *[ProcessOutcome.ALREADY_PROCESSED] * 2]
    assert len(gateway.sent) == 1


def test_a_crash_after_sending_never_sends_a_second_reply(deps: ProcessDeps, gateway: FakeGateway) -> None:
    message = _stored(deps)
    process_inbound(message, deps)
    deps.inbound.processed.clear()  # type: ignore[attr-defined]  # as if marking processed had failed
    process_inbound(message, deps)
    assert len(gateway.sent) == 1


@pytest.mark.parametrize(
    "error",
    [
        ServiceUnavailable("down", code=131000, is_transient=True),
        ThroughputLimited("slow down", code=130429, is_transient=True),
        TransportError("connect refused", request_may_have_reached_meta=False),
    ],
)
def test_a_send_that_surely_failed_is_retried_and_then_sent_once(
    deps: ProcessDeps, gateway: FakeGateway, error: Exception
) -> None:
    message = _stored(deps)
    gateway.errors.append(error)

    with pytest.raises(type(error)):
        process_inbound(message, deps)
    assert not deps.inbound.is_processed(message)
    assert deps.inbound.attempts[message.wamid] == 1  # type: ignore[attr-defined]

    assert process_inbound(message, deps) is ProcessOutcome.PROCESSED
    assert len(gateway.sent) == 1


def test_a_send_that_may_have_reached_meta_is_not_risked_twice(
    deps: ProcessDeps, gateway: FakeGateway, outbound: FakeOutboundStore
) -> None:
    message = _stored(deps)
    gateway.errors.append(TransportError("read timeout", request_may_have_reached_meta=True))

    process_inbound(message, deps)
    deps.inbound.processed.clear()  # type: ignore[attr-defined]
    process_inbound(message, deps)

    assert gateway.sent == []
    record = outbound.records[f"ack.{message.wamid}"]  # type: ignore[attr-defined]
    assert record.state == "uncertain"  # Meta's status settles it; the outbox sweep sends it only without one
    assert record.retry_at == NOW + 600_000


def test_a_permanent_send_error_is_recorded_and_not_retried(
    deps: ProcessDeps, gateway: FakeGateway, outbound: FakeOutboundStore
) -> None:
    message = _stored(deps)
    gateway.errors.append(Undeliverable("not on WhatsApp", code=131026))
    assert process_inbound(message, deps) is ProcessOutcome.PROCESSED
    record = outbound.records[f"ack.{message.wamid}"]  # type: ignore[attr-defined]
    assert (record.state, record.error_code) == ("failed", 131026)


def test_failing_to_mark_read_does_not_hold_up_the_reply(deps: ProcessDeps, gateway: FakeGateway) -> None:
    message = _stored(deps)
    gateway.read_errors.append(ServiceUnavailable("down", code=1, is_transient=True))
    assert process_inbound(message, deps) is ProcessOutcome.PROCESSED
    assert len(gateway.sent) == 1


def test_system_notices_are_not_answered(deps: ProcessDeps, gateway: FakeGateway) -> None:
    message = _stored(deps, "message_system_user_changed_number")
    assert process_inbound(message, deps) is ProcessOutcome.PROCESSED
    assert gateway.sent == [] and gateway.read == [message.wamid]


def test_the_applicants_last_inbound_time_only_moves_forward(deps: ProcessDeps) -> None:
    newer = _stored(deps, "message_text_reply_context")
    older = _stored(deps, "message_text")
    process_inbound(newer, deps)
    process_inbound(older, deps)
    assert deps.applicants.last_inbound[newer.applicant.key] == newer.sent_at  # type: ignore[attr-defined]


def test_the_redrive_processes_what_is_pending_and_parks_what_keeps_failing(
    deps: ProcessDeps, gateway: FakeGateway
) -> None:
    ok = _stored(deps, "message_text")
    stuck = _stored(deps, "message_text_reply_context")
    deps.inbound.attempts[stuck.wamid] = 5  # type: ignore[attr-defined]

    result = redrive_pending(deps, older_than_ms=0, max_attempts=5)

    assert (result.processed, result.failed, result.parked) == (1, 0, 1)
    assert deps.inbound.is_processed(ok) and not deps.inbound.is_processed(stuck)
    assert len(gateway.sent) == 1
