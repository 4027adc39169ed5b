"""The chat's messages, built from the catalogues in the applicant's language within WhatsApp's limits."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from chalicelib.domain.catalogue import Procedure, Requirement
from chalicelib.domain.checklist import ItemState
from chalicelib.domain.outbound import Buttons, ListMenu, ListRow, ListSection, ReplyButton, Text
from chalicelib.i18n import translate
from chalicelib.i18n.formats import format_date, format_money, format_time, join_list, opening_hours
from chalicelib.i18n.languages import languages
from chalicelib.services.messages.notices import document_title

if TYPE_CHECKING:
    from chalicelib.domain.cases import Case
    from chalicelib.domain.catalogue import Catalogue, PermitType, ProcedureSpec
    from chalicelib.offices import Office

ROWS_PER_LIST = 10
INFO_CONTACTS, INFO_PERMITS, INFO_STATUS = "info.contacts", "info.permits", "info.status"
OPTOUT_YES, OPTOUT_NO = "optout.yes", "optout.no"


def _fit(text: str, limit: int) -> str:
    """Translations may run long; WhatsApp refuses the whole message if one title is over its limit."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text(key: str, language: str, **values: str) -> Text:
    """A catalogue text as a message."""
    return Text(translate(key, language, **values))


def language_menu(guess: str, footer: str | None = None) -> ListMenu:
    """The language list, written in the guessed language, with that language first (and ``footer``, a last line
    such as the privacy notice's on first contact)."""
    ordered = sorted(languages(), key=lambda lang: lang.code != guess)
    rows = tuple(ListRow(f"lang.{lang.code}", _fit(lang.name, 24)) for lang in ordered)
    section = ListSection(_fit(translate("conv.language.section", guess), 24), rows[:ROWS_PER_LIST])
    body = translate("conv.language.body", guess)
    if footer and len(body) + 2 + len(footer) <= 1024:  # an interactive message's body stops at 1024 characters
        body = f"{body}\n\n{footer}"
    return ListMenu(body, _fit(translate("conv.language.button", guess), 20), (section,))


def info_menu(language: str) -> ListMenu:
    """Hours and contacts, permits and documents, my application."""
    rows = (
        ListRow(INFO_CONTACTS, _fit(translate("conv.info.contacts", language), 24)),
        ListRow(INFO_PERMITS, _fit(translate("conv.info.permits", language), 24)),
        ListRow(INFO_STATUS, _fit(translate("conv.info.status", language), 24)),
    )
    section = ListSection(_fit(translate("conv.info.section", language), 24), rows)
    return ListMenu(
        translate("conv.info.body", language), _fit(translate("conv.info.button", language), 20), (section,)
    )


def optout_question(language: str) -> Buttons:
    """Whether to stop the reminders, asked when a word may not mean it: only "yes" opts the applicant out."""
    buttons = (
        ReplyButton(OPTOUT_YES, _fit(translate("conv.optout.yes", language), 20)),
        ReplyButton(OPTOUT_NO, _fit(translate("conv.optout.no", language), 20)),
    )
    return Buttons(translate("conv.optout.confirm", language), buttons)


def contacts(office: Office, language: str) -> Text:
    """The office's address and the phone line for people without WhatsApp (its days and hours from offices.json,
    written as the applicant's language writes them)."""
    line = office.phone_line
    hours = opening_hours(line.days, line.opens, line.closes, language) if line else {}
    return text(
        "conv.info.contacts_text",
        language,
        office=office.name,
        address=office.address,
        phone=line.number if line else "—",
        days=hours.get("days") or "—",
        opens=hours.get("opens", "—"),
        closes=hours.get("closes", "—"),
        pec=office.pec or "—",
    )


def permits_menu(catalogue: Catalogue, language: str, page: int = 0) -> ListMenu:
    """The permit types, nine to a page with a "more" row when they do not fit in ten rows."""
    permits = catalogue.permit_types
    per_page = ROWS_PER_LIST if len(permits) <= ROWS_PER_LIST else ROWS_PER_LIST - 1
    chunk = permits[page * per_page : (page + 1) * per_page]
    rows = [ListRow(f"permit.{p.code}", _fit(translate(p.short_key, language), 24)) for p in chunk]
    if (page + 1) * per_page < len(permits):
        rows.append(ListRow(f"permits.page.{page + 1}", "…"))
    section = ListSection(_fit(translate("conv.info.permits", language), 24), tuple(rows))
    return ListMenu(
        translate("conv.info.choose_permit", language),
        _fit(translate("conv.info.permit_button", language), 20),
        (section,),
    )


def procedure_choice(permit: PermitType, language: str) -> Buttons:
    """First issue or renewal, for the procedures this permit type has."""
    buttons = tuple(
        ReplyButton(
            f"procedure.{permit.code}.{procedure.value}",
            _fit(translate(f"procedure.{procedure.value}.name", language), 20),
        )
        for procedure in (Procedure.RILASCIO, Procedure.RINNOVO)
        if procedure in permit.procedures
    )
    return Buttons(translate(permit.description_key, language)[:1024], buttons)


def permit_details(permit: PermitType, spec: ProcedureSpec, language: str) -> Text:
    """Documents, costs and channel of one procedure."""
    lines: list[str] = []
    for group, members in spec.groups().items():
        del members
        lines.append(f"• {translate(f'group.{group}.title', language)}")
    for document in spec.documents:
        if document.requirement is Requirement.REQUIRED and not document.variants:
            lines.append(f"• {translate(document.title_key, language)}")
    for variant in spec.variants:  # e.g. reunification needs nulla osta and visa, art. 30 does not
        own = [
            translate(d.title_key, language)
            for d in spec.documents
            if variant.code in d.variants and d.requirement is Requirement.REQUIRED
        ]
        if own:
            lines.append(f"• {translate(variant.title_key, language)}: {join_list(own, language)}")
    totals = dict.fromkeys(format_money(option.total_cents, language) for option in spec.fees.options)
    amounts = join_list(totals, language, style="or")
    body = translate(
        "conv.info.permit_text",
        language,
        permit=translate(permit.name_key, language),
        procedure=translate(f"procedure.{spec.procedure.value}.name", language),
        description=translate(permit.description_key, language),
        documents="\n".join(lines),
        fees=translate("conv.info.fees", language, amounts=amounts),
        channel=translate(f"channel.{spec.channel.value}.name", language),
    )
    return Text(body[:4096])


def status(case: Case, catalogue: Catalogue, language: str) -> Text:
    """Where the case stands: status, what is missing, what was refused and why, the appointment."""
    permit = catalogue.permit(case.permit_type)
    parts = [
        translate(
            "conv.status.summary",
            language,
            case_ref=case.case_id,
            permit=translate(permit.name_key, language),
            status=translate(f"status.{case.status.value}", language),
        )
    ]
    units = case.checklist.missing_items()
    waiting = {code for unit in units for code in unit.codes}
    rejected = [i for i in case.checklist.items if i.state is ItemState.REJECTED and i.rejection and i.code in waiting]
    # One line per thing to send: a one_of group is one line with its alternatives ("A, B or C").
    missing = [u for u in units if not u.rejected]
    if missing:
        alternatives = [[c for c in u.codes if case.checklist.item(c).state is not ItemState.REJECTED] for u in missing]
        items = "\n".join(f"• {document_title(codes, language)}" for codes in alternatives)
        parts.append(translate("conv.status.missing", language, items=items))
    if rejected:
        items = "\n".join(
            f"• {translate(f'document.{i.code}.title', language)}: "
            f"{translate(f'rejection.{i.rejection.reason.value}', language)}"  # type: ignore[union-attr]
            for i in rejected
        )
        parts.append(translate("conv.status.rejected", language, items=items))
    if missing or rejected:
        parts.append(translate("conv.status.how_to_send", language))
    elif case.is_open:
        parts.append(translate("conv.status.nothing_missing", language))
    if case.appointment:
        at = case.appointment.at
        parts.append(
            translate(
                "conv.status.appointment",
                language,
                date=format_date(at, language, "full"),
                time=format_time(at, language),
                place=case.appointment.place,
            )
        )
    return Text("\n\n".join(parts)[:4096])


def closed_status(case: Case, office: Office, language: str) -> Text:
    """The applicant's latest case is closed: its number and the day it was closed (office-local)."""
    closed_on = datetime.fromtimestamp(case.status_since_ms / 1000, ZoneInfo(office.timezone))
    return Text(translate("conv.status.closed", language, case_ref=case.case_id, date=format_date(closed_on, language)))


def items_menu(case: Case, language: str) -> ListMenu:
    """Which checklist item a file is: the items still wanted first, and "another document"."""
    wanted = [item for item in case.checklist.items if item.outstanding or item.state is ItemState.REJECTED]
    rest = [item for item in case.checklist.items if item not in wanted and not item.at_counter and item.needed]
    rows = [
        ListRow(f"item.{item.code}", _fit(translate(f"document.{item.code}.short", language), 24))
        for item in (wanted + rest)[: ROWS_PER_LIST - 1]
    ]
    rows.append(ListRow("item._other", _fit(translate("conv.document.other", language), 24)))
    section = ListSection(_fit(translate("conv.document.section", language), 24), tuple(rows))
    return ListMenu(
        translate("conv.document.which", language), _fit(translate("conv.document.button", language), 20), (section,)
    )
