"""What the applicant reads about the counter visit: the free times to choose from, the booking, its replacement.

Inside the 24-hour window the free times come as a list to tap (at most ten rows, the day and time in their language
and the office's clock); outside it an approved template whose quick-reply button asks for that list. Every text
comes from the catalogues; a booking's confirmation names the originals to bring.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from chalicelib.domain.calendar import slot_key
from chalicelib.domain.outbound import (
    LIST_ROWS_MAX,
    Buttons,
    ListMenu,
    ListRow,
    ListSection,
    OutboundMessage,
    ReplyButton,
    Text,
)
from chalicelib.domain.templates import APPOINTMENT_BOOKED, APPOINTMENT_MOVED, CHOOSE_VISIT, OFFICE_MESSAGE
from chalicelib.i18n import translate
from chalicelib.i18n.formats import format_date, format_time, join_list
from chalicelib.services.calendar.slots import calendar_of, next_free
from chalicelib.services.messages.notices import Notice, applicant_ref

if TYPE_CHECKING:
    from datetime import datetime

    from chalicelib.domain.actors import Actor
    from chalicelib.domain.calendar import FreeSlot
    from chalicelib.domain.cases import Appointment, Case
    from chalicelib.services.calendar.slots import CalendarDeps
    from chalicelib.services.messages.notices import Notifier

SLOT_PREFIX = "slot."
CHOOSE = "visit.choose"  # the template's quick reply, and the "change time" button
CHANGE = "visit.move"
CANCEL = "visit.cancel"
ROW_TITLE_MAX = 24
DAY_SKELETONS = ("MMMEd", "MEd")  # CLDR skeletons of a row's day, longest first: "gio 11 dic", then "gio 11/12"


def day_and_date(at: datetime, language: str, room: int = ROW_TITLE_MAX) -> str:
    """``gio 11 dic``, ``Thu, 11 Dec``, ``الخميس، 11 ديسمبر``: the weekday and the day as the applicant's language
    writes them short (CLDR's skeletons), on the office's clock; with numbers for the month (``الأربعاء، 10/12``)
    when the name does not fit in ``room`` characters."""
    days = [format_date(at, language, skeleton) for skeleton in DAY_SKELETONS]
    return next((day for day in days if len(day) <= room), days[-1])


def slot_title(at: datetime, language: str) -> str:
    """A list row's title: the day and the time (within WhatsApp's 24 characters, the time always kept)."""
    time = format_time(at, language)
    room = ROW_TITLE_MAX - len(time) - 1
    day = day_and_date(at, language, room)
    return f"{day if len(day) <= room else day[: room - 1] + '…'} {time}"


def slot_menu(slots: list[FreeSlot], place: str, language: str, intro: str = "") -> ListMenu:
    """The free times as a list to tap (the first ten)."""
    rows = tuple(ListRow(f"{SLOT_PREFIX}{slot_key(s.at)}", slot_title(s.at, language)) for s in slots[:LIST_ROWS_MAX])
    body = translate("conv.visit.body", language, place=place)
    body = f"{intro}\n\n{body}" if intro else body
    section = ListSection(translate("conv.visit.section", language)[:24], rows)
    return ListMenu(body[:1024], translate("conv.visit.button", language)[:20], (section,))


def offer_menu(deps: CalendarDeps, case: Case, language: str, intro: str = "") -> ListMenu | None:
    """The next free times for ``case`` as a list, or None when there are none to offer."""
    calendar = calendar_of(deps, case.office)
    # Only times the applicant could still move: at least the office's change limit ahead.
    earliest = calendar.local_now(deps.clock_ms()) + timedelta(hours=calendar.change_hours)
    slots = next_free(deps, calendar, LIST_ROWS_MAX, after=earliest)
    if not slots:
        return None
    return slot_menu(slots, deps.office(case.office).appointment_place, language, intro)


def build_offer(
    deps: CalendarDeps, notifier: Notifier, case: Case, outbound_id: str, *, author: Actor, intro: str = ""
) -> OutboundMessage:
    """The invitation to choose the visit: the list inside the window, the template outside it; without a free
    time, that the office will write with one (the case waits in the officers' inbox). Built before the save
    that completes the case, so that it is queued in the same write (the outbox)."""
    language = case.applicant.language
    if notifier.window_open(case):
        menu = offer_menu(deps, case, language, intro)
        if menu is not None:
            return OutboundMessage(
                outbound_id,
                applicant_ref(case),
                menu,
                purpose="visit_offer",
                case_id=case.case_id,
                author=author,
                office=case.office,
            )
    elif offer_menu(deps, case, language) is not None:
        notice = Notice("conv.visit.body", {"place": "", "case_ref": case.case_id}, CHOOSE_VISIT)
        return notifier.build(case, notice, outbound_id, force_template=True, author=author)
    notice = Notice("notice.case_complete", {"case_ref": case.case_id}, OFFICE_MESSAGE)
    return notifier.build(case, notice, outbound_id, author=author)


def originals(case: Case, language: str) -> str:
    """The originals to bring to the counter, in the applicant's language."""
    codes = case.checklist.counter_codes()
    titles = join_list((translate(f"document.{code}.title", language) for code in codes), language)
    return titles or translate("notice.nothing_else", language)


def booked_text(case: Case, previous: Appointment | None) -> Text:
    """The booking's confirmation as a chat reply (the applicant just wrote: the window is open)."""
    notice = booked_notice(case, previous)
    body = translate(notice.text_key, case.applicant.language, **notice.values)
    return Text(f"{notice.prefix_text}\n\n{body}" if notice.prefix_text else body)


def current_visit(case: Case, may_change: bool) -> Buttons | Text:
    """The applicant's appointment, with buttons to move or cancel it while they still may."""
    appointment = case.appointment
    assert appointment is not None  # only asked of a booked case
    language = case.applicant.language
    body = translate(
        "conv.visit.current",
        language,
        date=format_date(appointment.at, language, "full"),
        time=format_time(appointment.at, language),
        place=appointment.place,
    )
    if not may_change:
        return Text(body)
    buttons = (
        ReplyButton(CHANGE, translate("conv.visit.change_button", language)[:20]),
        ReplyButton(CANCEL, translate("conv.visit.cancel_button", language)[:20]),
    )
    return Buttons(body[:1024], buttons)


def booked_notice(case: Case, previous: Appointment | None) -> Notice:
    """The booking's confirmation: day, time, place, the originals; and the time it replaces, if any."""
    appointment = case.appointment
    assert appointment is not None  # a booked case has its appointment
    language = case.applicant.language
    values = {
        "case_ref": case.case_id,
        "date": format_date(appointment.at, language, "full"),
        "time": format_time(appointment.at, language),
        "place": appointment.place,
        "originals": originals(case, language),
    }
    if previous is None:
        return Notice("notice.appointment", values, APPOINTMENT_BOOKED)
    old = {"old_date": format_date(previous.at, language, "full"), "old_time": format_time(previous.at, language)}
    replaced = translate("notice.appointment_replaced", language, **old)
    return Notice(
        "notice.appointment", values, APPOINTMENT_MOVED, template_values={**values, **old}, prefix_text=replaced
    )
