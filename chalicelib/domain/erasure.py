"""Erasure (GDPR art. 17): what is left of a case once the applicant's personal data are gone, and why an erasure
request may be refused.

An erased case keeps what the public waiting times and the office's statistics need: the office, the procedure
and permit type, the dates of its stages, its status and outcome, the checklist's states (not what was written
about them). The applicant's name, number, WhatsApp ids, the permit's expiry and the practice number, the last
message and every note go; the case is closed (nobody is left to contact) and marked ``erased``.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain.cases import CaseApplicant, CaseStatus, CloseReason, Erasure
from chalicelib.domain.checklist import Checklist
from chalicelib.domain.errors import DomainError

if TYPE_CHECKING:
    from chalicelib.domain.cases import Case


class ErasureReason(StrEnum):
    """Why a supervisor erases a case."""

    APPLICANT_REQUEST = "applicant_request"  # the applicant asked (in the chat, in writing, at the counter)
    GARANTE_ORDER = "garante_order"  # the Garante or a court ordered it
    UNLAWFUL_PROCESSING = "unlawful_processing"  # the data should never have been collected (a wrong number...)
    NO_LONGER_NEEDED = "no_longer_needed"  # the purpose is over and nothing obliges the office to keep them


class RefusalReason(StrEnum):
    """Why the office does not erase on an applicant's request (art. 17(3)); the applicant is told which."""

    LEGAL_HOLD = "legal_hold"  # the application is still open: the office must keep what it decides on
    LEGAL_OBLIGATION = "legal_obligation"  # the law obliges the office to keep them (e.g. a pending appeal)
    IDENTITY_NOT_CONFIRMED = "identity_not_confirmed"  # the request could not be tied to the case's applicant


class ErasureDecision(StrEnum):
    """A supervisor's answer to an erasure request."""

    CONFIRM = "confirm"
    REFUSE = "refuse"


class NoErasureRequest(DomainError):
    """The case has no pending erasure request to decide (409)."""


ERASED_KEY_PREFIX = "erased#"  # an erased case's applicant key: it names the case, never the person


def anonymised(case: Case, erasure: Erasure) -> Case:
    """``case`` without personal data, closed (withdrawn if it was open), marked erased."""
    applicant = CaseApplicant(phone_e164=None, wa_id=None, user_id=None, name="", language=case.applicant.language)
    items = tuple(
        replace(
            item,
            document_id=None,
            request_note=None,
            rejection=replace(item.rejection, note="") if item.rejection else None,
        )
        for item in case.checklist.items
    )
    status = case.status
    close_reason = case.close_reason
    status_since = case.status_since_ms
    if case.is_open:
        status, close_reason, status_since = CaseStatus.CLOSED, CloseReason.WITHDRAWN, erasure.at_ms
    return replace(
        case,
        applicant=applicant,
        checklist=Checklist(items),
        status=status,
        close_reason=close_reason,
        status_since_ms=status_since,
        updated_at_ms=erasure.at_ms,
        pratica_number=None,
        permit_expiry=None,
        unanswered_since_ms=None,
        last_inbound=None,
        erasure_requested_at_ms=None,
        erased=erasure,
    )
