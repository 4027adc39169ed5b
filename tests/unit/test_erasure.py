"""What is left of an erased case, and how an erasure request shows in the inbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from chalicelib.domain.actors import SERVICE
from chalicelib.domain.cases import Case, CaseStatus, CloseReason, Erasure, MessagePreview
from chalicelib.domain.checklist import Rejection, RejectionReason
from chalicelib.domain.erasure import anonymised
from chalicelib.domain.inbox import InboxReason, waiting
from chalicelib.domain.reminders import ReminderPolicy, plan
from tests.unit.test_case_lifecycle import NOW, _case

ERASURE = Erasure(NOW + 1000, "sub-of-a-supervisor", "applicant_request")


def _lived_case() -> Case:
    """A case with everything personal a case item can hold."""
    case = _case()
    item = case.checklist.items[0]
    rejected = replace(
        item, rejection=Rejection(RejectionReason.ILLEGIBLE, "Amina's photo is blurred"), request_note="the last 3"
    )
    checklist = replace(case.checklist, items=(rejected, *case.checklist.items[1:]))
    return replace(
        case,
        checklist=checklist,
        pratica_number="25AN012345",
        permit_expiry=date(2027, 1, 31),
        unanswered_since_ms=NOW,
        last_inbound=MessagePreview("text", "I am Amina, my number is 333", NOW),
        completed_at_ms=NOW - 10,
        booked_at_ms=NOW - 5,
    )


def test_an_erased_case_keeps_what_the_figures_need_and_nothing_personal() -> None:
    case = _lived_case()
    erased = anonymised(case, ERASURE)
    assert (erased.applicant.name, erased.applicant.phone_e164, erased.applicant.wa_id) == ("", None, None)
    assert erased.applicant.user_id is None and erased.applicant.language == case.applicant.language
    assert erased.pratica_number is None and erased.permit_expiry is None and erased.last_inbound is None
    assert "Amina" not in repr(erased) and "the last 3" not in repr(erased)
    item = erased.checklist.items[0]
    assert item.rejection is not None and item.rejection.reason is RejectionReason.ILLEGIBLE  # the reason code stays
    kept = ("office", "procedure", "permit_type", "created_at_ms", "completed_at_ms", "booked_at_ms", "case_id")
    assert all(getattr(erased, name) == getattr(case, name) for name in kept)
    assert erased.erased == ERASURE


def test_an_open_case_is_closed_as_withdrawn_when_erased_and_a_closed_one_keeps_its_outcome() -> None:
    erased = anonymised(_lived_case(), ERASURE)
    assert (erased.status, erased.close_reason, erased.status_since_ms) == (
        CaseStatus.CLOSED,
        CloseReason.WITHDRAWN,
        ERASURE.at_ms,
    )
    closed, _ = _case().close(CloseReason.COMPLETED, NOW + 1, SERVICE)
    kept = anonymised(closed, ERASURE)
    assert (kept.close_reason, kept.status_since_ms) == (CloseReason.COMPLETED, closed.status_since_ms)


def test_an_erasure_request_waits_in_the_inbox_even_on_a_closed_case_until_erased() -> None:
    closed, _ = _case().close(CloseReason.COMPLETED, NOW + 1, SERVICE)
    assert waiting(closed) == ()
    asked = replace(closed, erasure_requested_at_ms=NOW + 5)
    assert [w.reason for w in waiting(asked)] == [InboxReason.ERASURE_REQUESTED]
    open_and_asked = replace(_lived_case(), erasure_requested_at_ms=NOW + 5)
    assert InboxReason.ERASURE_REQUESTED in [w.reason for w in waiting(open_and_asked)]
    assert waiting(anonymised(asked, ERASURE)) == ()


def test_an_erased_case_plans_no_reminders() -> None:
    case = replace(_lived_case(), documents_requested=True, permit_expiry=date(2027, 1, 31))
    policy = ReminderPolicy()
    assert plan(case, policy), "a case with a permit expiry plans its reminders"
    assert plan(replace(case, erased=ERASURE), policy) == []
