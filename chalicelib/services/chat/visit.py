"""The counter visit in the chat: the applicant sees the free times, picks one, moves or cancels it.

A time just taken by someone else is never an error for the applicant: they get the next free ones. Moving or
cancelling is theirs up to the office's limit before the visit (``change_hours``); after it, the chat says to call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.actors import APPLICANT
from chalicelib.domain.calendar import parse_slot_key
from chalicelib.domain.cases import CaseStatus
from chalicelib.i18n import translate
from chalicelib.services.calendar.booking import BookingRefused, book_visit, drop_visit, may_change
from chalicelib.services.calendar.slots import calendar_of
from chalicelib.services.calendar.visits import booked_text, current_visit, offer_menu

if TYPE_CHECKING:
    from chalicelib.domain.cases import Case
    from chalicelib.services.chat.turn import ChatDeps, Turn

BOOKABLE = frozenset({CaseStatus.COMPLETE, CaseStatus.APPOINTMENT_BOOKED})


def _changeable(case: Case, deps: ChatDeps) -> bool:
    appointment = case.appointment
    if appointment is None:
        return True
    return may_change(calendar_of(deps.calendar, case.office), appointment, deps.clock_ms())


def _too_late(turn: Turn, deps: ChatDeps, case: Case) -> None:
    hours = calendar_of(deps.calendar, case.office).change_hours
    turn.say("conv.visit.too_late", hours=str(hours))


def _offer(turn: Turn, deps: ChatDeps, case: Case, intro: str = "") -> None:
    menu = offer_menu(deps.calendar, case, turn.language, intro)
    if menu is None:
        turn.say("conv.visit.none")
    else:
        turn.replies.append(menu)


def visit_command(turn: Turn, deps: ChatDeps) -> None:
    """``appuntamento``: the appointment (to move or cancel), or the free times, or what is still missing."""
    case = turn.case
    if case is None:
        turn.say("conv.unknown.intro")
        turn.say("conv.unknown.how_to_start")
    elif case.status is CaseStatus.APPOINTMENT_BOOKED and case.appointment is not None:
        turn.replies.append(current_visit(case, _changeable(case, deps)))
    elif case.status is CaseStatus.COMPLETE:
        _offer(turn, deps, case)
    else:
        turn.say("conv.visit.not_ready")


def choose(turn: Turn, deps: ChatDeps) -> None:
    """The free times to pick from (the template's button, or "change time")."""
    case = turn.case
    if case is None or case.status not in BOOKABLE:
        visit_command(turn, deps)
    elif not _changeable(case, deps):
        _too_late(turn, deps, case)
    else:
        _offer(turn, deps, case)


def book(key: str, turn: Turn, deps: ChatDeps) -> None:
    """The applicant picked the slot ``key``: book it (the next free ones if it was just taken)."""
    case = turn.case
    at = parse_slot_key(key)
    if case is None or at is None or case.status not in BOOKABLE:
        visit_command(turn, deps)
        return
    if not _changeable(case, deps) and (case.appointment is None or case.appointment.at != at):
        _too_late(turn, deps, case)
        return
    place = deps.calendar.office(case.office).appointment_place
    try:
        booked = book_visit(deps.calendar, deps.cases, case, at, place=place, actor=APPLICANT)
    except BookingRefused:
        _offer(turn, deps, case, translate("conv.visit.taken", turn.language))
        return
    turn.case = booked.case
    turn.replies.append(booked_text(booked.case, booked.previous))


def cancel(turn: Turn, deps: ChatDeps) -> None:
    """Cancel the appointment (while the applicant still may): the place is given back."""
    case = turn.case
    if case is None or case.status is not CaseStatus.APPOINTMENT_BOOKED or case.appointment is None:
        visit_command(turn, deps)
    elif not _changeable(case, deps):
        _too_late(turn, deps, case)
    else:
        now = deps.clock_ms()
        turn.case = drop_visit(deps.cases, case, APPLICANT, "appointment_cancelled", now)
        turn.say("conv.visit.cancelled")
