"""The case and its checklist: status follows the documents; the visit needs a complete checklist."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from chalicelib.catalogue import load_catalogue
from chalicelib.domain.cases import (
    Appointment,
    Case,
    CaseApplicant,
    CaseStatus,
    ChecklistIncomplete,
    CloseReason,
    IllegalTransition,
)
from chalicelib.domain.catalogue import Procedure, Requirement
from chalicelib.domain.checklist import (
    Checklist,
    InvalidReview,
    ItemState,
    Rejection,
    RejectionReason,
    UnknownChecklistItem,
)

NOW = 1_764_100_000_000


def _case(permit: str = "studio", procedure: Procedure = Procedure.RINNOVO) -> Case:
    spec = load_catalogue().procedure(permit, procedure)
    applicant = CaseApplicant("+393331234567", "393331234567", None, "Amina", "ar")
    return Case(
        "AN-TEST0001",
        "AN",
        procedure,
        permit,
        applicant,
        Checklist.for_procedure(spec),
        CaseStatus.REGISTERED,
        NOW,
        NOW,
        NOW,
    )


def _chat_items(case: Case) -> list[str]:
    """The needed items the applicant has to send (not counter originals), one per one_of group."""
    seen_groups: set[str] = set()
    codes = []
    for item in case.checklist.items:
        if item.at_counter:
            continue
        if item.requirement is Requirement.ONE_OF:
            if item.group in seen_groups or any(i.group == item.group and i.at_counter for i in case.checklist.items):
                continue
            seen_groups.add(item.group or "")
            codes.append(item.code)
        elif item.needed:
            codes.append(item.code)
    return codes


def _receive_and_accept_all(case: Case) -> Case:
    for code in _chat_items(case):
        case, _ = case.with_checklist(case.checklist.receive(code, f"doc-{code}"), NOW, "officer")
        case, _ = case.with_checklist(case.checklist.accept(code), NOW, "officer")
    return case


def test_a_new_checklist_leaves_originals_for_the_counter_and_conditional_items_unneeded() -> None:
    case = _case()
    passport = case.checklist.item("passport")
    assert passport.at_counter and passport.original_at_counter
    assert all(not i.needed for i in case.checklist.items if i.requirement is Requirement.CONDITIONAL)
    assert not case.checklist.complete
    assert "passport" not in case.checklist.missing_codes()


def test_status_follows_the_checklist_to_complete() -> None:
    case = _case()
    codes = _chat_items(case)
    case, events = case.with_checklist(case.checklist.request(codes[:1], NOW), NOW, "o", documents_requested=True)
    assert case.status is CaseStatus.AWAITING_DOCUMENTS and events[0].data == {
        "from": "registered",
        "to": "awaiting_documents",
    }
    for code in codes:
        case, _ = case.with_checklist(case.checklist.receive(code, f"d-{code}"), NOW, "o")
    assert case.status is CaseStatus.UNDER_REVIEW
    for code in codes:
        case, _ = case.with_checklist(case.checklist.accept(code), NOW, "o")
    assert case.status is CaseStatus.COMPLETE and case.checklist.complete


def test_a_rejection_sends_the_case_back_to_waiting_for_documents() -> None:
    case = _receive_and_accept_all(_case())
    code = _chat_items(case)[0]
    rejection = Rejection(RejectionReason.EXPIRED, "scaduto a marzo")
    case, _ = case.with_checklist(case.checklist.reject(code, rejection), NOW, "o")
    assert case.status is CaseStatus.AWAITING_DOCUMENTS
    assert case.checklist.item(code).state is ItemState.REJECTED
    assert code in case.checklist.missing_codes()
    case, _ = case.with_checklist(case.checklist.receive(code, "new"), NOW, "o")
    assert case.checklist.item(code).rejection is None and case.status is CaseStatus.UNDER_REVIEW


def test_one_document_of_a_group_is_enough() -> None:
    case = _case("lavoro_subordinato", Procedure.RINNOVO)
    groups = {i.group for i in case.checklist.items if i.requirement is Requirement.ONE_OF and i.group}
    assert groups
    case = _receive_and_accept_all(case)
    assert case.checklist.complete


def test_leaving_an_item_for_the_counter_completes_it_for_the_checklist() -> None:
    case = _case()
    codes = _chat_items(case)
    checklist = case.checklist
    for code in codes:
        checklist = checklist.set_at_counter(code, True)
    assert checklist.complete
    assert set(codes) <= set(checklist.counter_codes())


def test_reviews_need_something_to_review_and_known_items() -> None:
    case = _case()
    code = _chat_items(case)[0]
    with pytest.raises(InvalidReview):
        case.checklist.accept(code)
    with pytest.raises(InvalidReview):
        case.checklist.reject(code, Rejection(RejectionReason.OTHER))
    with pytest.raises(UnknownChecklistItem):
        case.checklist.receive("no_such_document", "d")


def test_the_visit_is_refused_until_complete_unless_overridden() -> None:
    case = _case()
    visit = Appointment(datetime(2026, 12, 3, 9, 30), "Questura di Ancona")
    with pytest.raises(ChecklistIncomplete) as refused:
        case.book(visit, NOW, "o")
    assert refused.value.missing == case.checklist.missing_codes()

    overridden, events = case.book(replace(visit, override_reason="urgent departure"), NOW, "supervisor")
    assert overridden.status is CaseStatus.APPOINTMENT_BOOKED and events

    complete = _receive_and_accept_all(case)
    booked, _ = complete.book(visit, NOW, "o")
    assert booked.status is CaseStatus.APPOINTMENT_BOOKED and booked.appointment == visit
    rebooked, events = booked.book(replace(visit, at=datetime(2026, 12, 4, 9, 0)), NOW, "o")
    assert rebooked.appointment is not None and rebooked.appointment.at.day == 4 and events == []


def test_closed_is_final() -> None:
    closed, _ = _case().close(CloseReason.WITHDRAWN, NOW, "o")
    assert closed.status is CaseStatus.CLOSED and closed.close_reason is CloseReason.WITHDRAWN
    with pytest.raises(IllegalTransition):
        closed.close(CloseReason.COMPLETED, NOW, "o")
    with pytest.raises(IllegalTransition):
        closed.book(Appointment(datetime(2026, 12, 3, 9, 30), "x", "because"), NOW, "o")
    unchanged, events = closed.with_checklist(closed.checklist, NOW, "o", documents_requested=True)
    assert unchanged.status is CaseStatus.CLOSED and events == []
