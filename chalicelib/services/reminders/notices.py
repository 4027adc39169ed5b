"""What each reminder says: the notice (free text in the window, utility template outside it) for its kind."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.catalogue import Procedure
from chalicelib.domain.checklist import ItemState
from chalicelib.domain.errors import DomainError
from chalicelib.domain.reminders import ReminderKind, refused_items
from chalicelib.domain.templates import (
    REMINDER_APPOINTMENT,
    REMINDER_DOCUMENTS,
    REMINDER_EXPIRY,
    REMINDER_REJECTED,
)
from chalicelib.domain.upload_links import LinkPurpose
from chalicelib.i18n import translate
from chalicelib.i18n.formats import format_date, format_time, join_list
from chalicelib.services.messages.notices import Notice, document_lists

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.domain.cases import Case
    from chalicelib.domain.catalogue import Catalogue
    from chalicelib.domain.upload_links import IssuedLink


def _titles(codes: list[str] | tuple[str, ...], language: str) -> list[str]:
    return [translate(f"document.{code}.title", language) for code in codes]


def _documents_notice(
    case: Case, state: ItemState, key: str, kind: ReminderKind, link: Callable[[Case, LinkPurpose], IssuedLink]
) -> Notice:
    if state is ItemState.MISSING:  # what was asked for and has not arrived, a one_of group as one item
        units = [u.codes for u in case.checklist.requested_missing() if not u.rejected]
    else:
        units = [(i.code,) for i in refused_items(case)]
    lines, one_line = document_lists(units, case.applicant.language)
    template = REMINDER_DOCUMENTS if kind is ReminderKind.MISSING_DOCUMENTS else REMINDER_REJECTED
    return Notice(
        key,
        {"case_ref": case.case_id, "documents": lines},
        template,
        template_values={"case_ref": case.case_id, "documents": one_line},
        link=link(case, LinkPurpose.REMINDER),
    )


def _appointment_notice(case: Case) -> Notice:
    assert case.appointment is not None  # planned only for booked cases
    language = case.applicant.language
    originals = join_list(_titles(case.checklist.counter_codes(), language), language)
    values = {
        "case_ref": case.case_id,
        "date": format_date(case.appointment.at, language, "full"),
        "time": format_time(case.appointment.at, language),
        "place": case.appointment.place,
        "originals": originals or translate("notice.nothing_else", language),
    }
    return Notice("notice.reminder.appointment", values, REMINDER_APPOINTMENT)


def _expiry_notice(case: Case, catalogue: Catalogue) -> Notice:
    assert case.permit_expiry is not None  # planned only with an expiry date
    try:
        codes: tuple[str, ...] = tuple(
            d.code for d in catalogue.procedure(case.permit_type, Procedure.RINNOVO).documents
        )
    except DomainError:  # no renewal for this permit type: the case's own checklist
        codes = tuple(i.code for i in case.checklist.items)
    titles = _titles(codes, case.applicant.language)
    values = {"date": format_date(case.permit_expiry, case.applicant.language, "long")}
    return Notice(
        "notice.reminder.permit_expiry",
        {**values, "documents": "\n".join(f"• {t}" for t in titles)},
        REMINDER_EXPIRY,
        template_values={**values, "documents": join_list(titles, case.applicant.language)},
    )


def reminder_notice(
    case: Case, kind: ReminderKind, catalogue: Catalogue, link: Callable[[Case, LinkPurpose], IssuedLink]
) -> Notice:
    """The notice for a reminder of ``kind`` about ``case``, in the applicant's language.

    Reminders about documents carry a fresh secure upload link (``link``): the one sent with the request has
    usually expired by the time a reminder is due.
    """
    if kind is ReminderKind.MISSING_DOCUMENTS:
        return _documents_notice(case, ItemState.MISSING, "notice.reminder.missing_documents", kind, link)
    if kind is ReminderKind.REJECTED_DOCUMENTS:
        return _documents_notice(case, ItemState.REJECTED, "notice.reminder.rejected_documents", kind, link)
    if kind is ReminderKind.APPOINTMENT:
        return _appointment_notice(case)
    return _expiry_notice(case, catalogue)
