"""Timeline lines named by their cause: the same message handled twice writes each of its lines once (fakes)."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.catalogue import load_catalogue
from chalicelib.domain.actors import APPLICANT
from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.cases import Case, CaseApplicant, CaseEvent, CaseStatus, EventCause
from chalicelib.domain.catalogue import Procedure
from chalicelib.domain.checklist import Checklist
from chalicelib.domain.inbound import InboundMessage, MessageType
from chalicelib.services.chat.timeline import TurnCases, message_cause
from tests.fakes import FakeCaseRepository

NOW = 1_764_100_000_000
CAUSE = EventCause("in.abc", NOW)


def _case() -> Case:
    spec = load_catalogue().procedure("studio", Procedure.RINNOVO)
    applicant = CaseApplicant("+393331234567", "393331234567", None, "Amina", "en")
    checklist = Checklist.for_procedure(spec)
    return Case(
        "AN-TEST0001", "AN", Procedure.RINNOVO, "studio", applicant, checklist, CaseStatus.REGISTERED, NOW, NOW, NOW
    )


def _message(wamid: str = "wamid.A", received_at_ms: int | None = NOW + 5) -> InboundMessage:
    applicant = ApplicantRef(wa_id="393331234567")
    body = {"text": {"body": "ciao"}}
    return InboundMessage(
        wamid, applicant, NOW // 1000, MessageType.TEXT, body, "106540352242922", received_at_ms=received_at_ms
    )


def test_lines_are_named_by_their_cause_and_kind_at_the_causes_time() -> None:
    events = [
        CaseEvent("status_changed", NOW + 900, APPLICANT, {"from": "registered", "to": "awaiting_documents"}),
        CaseEvent("document_assigned", NOW + 901, APPLICANT),
        CaseEvent("status_changed", NOW + 902, APPLICANT, {"from": "awaiting_documents", "to": "under_review"}),
    ]
    named = CAUSE.identify(events)
    assert [e.event_id for e in named] == [
        "in.abc.status_changed",
        "in.abc.document_assigned",
        "in.abc.status_changed.2",
    ]
    assert {e.at_ms for e in named} == {NOW}
    assert [e.data for e in named] == [e.data for e in events]


def test_a_kind_met_again_in_a_later_write_of_the_same_turn_gets_the_next_number() -> None:
    seen: dict[str, int] = {}
    first = CAUSE.identify([CaseEvent("document_received", 1, APPLICANT)], seen)
    second = CAUSE.identify([CaseEvent("document_received", 2, APPLICANT)], seen)
    assert [first[0].event_id, second[0].event_id] == ["in.abc.document_received", "in.abc.document_received.2"]


def test_a_line_that_has_an_id_keeps_it_and_its_time() -> None:
    line = CaseEvent("reminder_sent", NOW + 7, APPLICANT, event_id="out.x.reminder_sent")
    assert CAUSE.identify([line]) == [line]


def test_a_message_is_the_same_cause_on_every_delivery_and_another_message_is_not() -> None:
    assert message_cause(_message()) == message_cause(_message())  # a redelivery: the same stored message
    assert message_cause(_message()).at_ms == NOW + 5  # when the webhook stored it, not when it is handled
    assert message_cause(_message("wamid.B")).key != message_cause(_message()).key
    assert message_cause(_message(received_at_ms=None)).at_ms == NOW  # before storing: the time Meta gives


def _turn(cases: FakeCaseRepository, message: InboundMessage) -> None:
    """What a turn that files a document writes: the item's save (its status and the assignment), then the line of
    the document received; the case re-read, as each delivery does."""
    turn = TurnCases(cases, message_cause(message))
    case = turn.get("AN-TEST0001")
    updated = replace(case, status=CaseStatus.AWAITING_DOCUMENTS)
    status = CaseEvent("status_changed", NOW + 10, APPLICANT, {"from": "registered", "to": "awaiting_documents"})
    turn.save(updated, [status, CaseEvent("document_assigned", NOW + 11, APPLICANT, {"item": "passaporto"})])
    turn.add_events("AN-TEST0001", [CaseEvent("document_received", NOW + 12, APPLICANT, {"document_id": "d1"})])


def test_a_turn_run_twice_writes_each_line_once_and_saves_the_case_once() -> None:
    cases = FakeCaseRepository()
    cases.add(_case(), [])
    _turn(cases, _message())
    _turn(cases, _message())  # the reply failed: the message is delivered again and the turn runs again
    kinds = [e.kind for e in cases.events("AN-TEST0001")]
    assert sorted(kinds) == ["document_assigned", "document_received", "status_changed"]
    assert cases.saves == 1
    assert cases.get("AN-TEST0001").version == 2

    _turn(cases, _message("wamid.B"))  # another message is another cause: its lines are its own
    assert len(cases.events("AN-TEST0001")) == 6


def test_lines_without_a_cause_are_written_each_time() -> None:
    cases = FakeCaseRepository()
    cases.add(_case(), [])
    note = CaseEvent("note", NOW, APPLICANT, {"text": "x"})
    cases.add_events("AN-TEST0001", [note])
    cases.add_events("AN-TEST0001", [note])
    assert len(cases.events("AN-TEST0001")) == 2
