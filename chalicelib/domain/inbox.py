"""Why a case waits for an officer: the inbox is every open case with at least one reason, oldest wait first.

A case waits when the applicant wrote and nobody answered, when documents arrived that nobody has reviewed, or
when its checklist is complete and the counter visit is not booked. It leaves the inbox as soon as none holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain.cases import CaseStatus
from chalicelib.domain.checklist import ItemState

if TYPE_CHECKING:
    from chalicelib.domain.cases import Case


class InboxReason(StrEnum):
    """What the case waits for."""

    UNANSWERED = "unanswered"  # the applicant wrote to an officer
    DOCUMENTS_TO_REVIEW = "documents_to_review"  # documents arrived and wait for a decision
    READY_FOR_VISIT = "ready_for_visit"  # the checklist is complete: the counter visit can be booked
    ERASURE_REQUESTED = "erasure_requested"  # the applicant asked to erase their data: a supervisor decides


@dataclass(frozen=True, slots=True)
class Waiting:
    """One reason, and since when it holds."""

    reason: InboxReason
    since_ms: int


def waiting(case: Case) -> tuple[Waiting, ...]:
    """Why ``case`` waits for an officer, longest wait first (for a closed case, only an erasure request)."""
    found: list[Waiting] = []
    if case.erasure_requested_at_ms is not None and case.erased is None:
        # Closed or not: art. 17 asks for an answer within a month, whatever the case's state.
        found.append(Waiting(InboxReason.ERASURE_REQUESTED, case.erasure_requested_at_ms))
    if not case.is_open:
        return tuple(found)
    if case.unanswered_since_ms is not None:
        found.append(Waiting(InboxReason.UNANSWERED, case.unanswered_since_ms))
    arrivals = [
        item.received_at_ms if item.received_at_ms is not None else case.status_since_ms
        for item in case.checklist.items
        if item.state is ItemState.RECEIVED
    ]
    if arrivals:
        found.append(Waiting(InboxReason.DOCUMENTS_TO_REVIEW, min(arrivals)))
    if case.status is CaseStatus.COMPLETE and case.appointment is None:
        found.append(Waiting(InboxReason.READY_FOR_VISIT, case.status_since_ms))
    return tuple(sorted(found, key=lambda w: w.since_ms))
