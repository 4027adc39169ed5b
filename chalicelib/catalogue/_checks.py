"""Checks on a parsed catalogue that the JSON's shape cannot express: groups, fee totals, originals, texts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.catalogue import Channel, Payment
from chalicelib.domain.outbound import HEADER_MAX, ROW_TITLE_MAX

if TYPE_CHECKING:
    from collections.abc import Mapping

    from chalicelib.domain.catalogue import Catalogue, ProcedureSpec

# Identity and biometrics are checked in person at the fotosegnalamento (reference §3 step 4): a chat photo of
# them never completes a checklist.
COUNTER_ORIGINALS = frozenset({"passport", "photos"})


def check(catalogue: Catalogue, texts: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Every problem found; ``texts`` maps each language that must be complete to its message catalogue."""
    problems: list[str] = []
    for permit in catalogue.permit_types:
        for spec in permit.procedures.values():
            where = f"{permit.code}.{spec.procedure.value}"
            problems += _groups(where, spec) + _fees(where, spec) + _originals(where, spec)
    return problems + _texts(catalogue, texts)


def _groups(where: str, spec: ProcedureSpec) -> list[str]:
    return [
        f"{where}: one_of group {name!r} has {len(documents)} document(s), it needs at least two"
        for name, documents in spec.groups().items()
        if len(documents) < 2
    ]


def _fees(where: str, spec: ProcedureSpec) -> list[str]:
    fees, problems = spec.fees, []
    if (spec.channel is Channel.KIT_POSTALE) != (fees.paid_with(Payment.SPORTELLO_POSTALE) > 0):
        problems.append(f"{where}: Poste's fee is paid for a kit postale, and only for it")
    for option in fees.options:
        contributo = option.contributo.amount_cents if option.contributo else 0
        name = option.contributo.code if option.contributo else "no contributo"
        if option.contributo and option.contributo.payment is not Payment.BOLLETTINO:
            problems.append(f"{where}: the contributo {name!r} is paid with the bollettino")
        if (bollettino := fees.paid_with(Payment.BOLLETTINO) + contributo) != option.bollettino_cents:
            problems.append(
                f"{where}: the bollettino with {name} adds up to {bollettino}, not {option.bollettino_cents}"
            )
        if (total := sum(fee.amount_cents for fee in fees.components) + contributo) != option.total_cents:
            problems.append(f"{where}: the total with {name} adds up to {total}, not {option.total_cents}")
    if fees.exemptions and not any(option.exempt for option in fees.options):
        problems.append(f"{where}: exemptions are listed but no option is without the contributo")
    return problems


def _originals(where: str, spec: ProcedureSpec) -> list[str]:
    return [
        f"{where}: {document.code!r} must be marked original_at_counter"
        for document in spec.documents
        if document.code in COUNTER_ORIGINALS and not document.original_at_counter
    ]


def _texts(catalogue: Catalogue, texts: Mapping[str, Mapping[str, str]]) -> list[str]:
    problems, keys = [], sorted(catalogue.text_keys())
    for language, catalogue_texts in sorted(texts.items()):
        for key in keys:
            text = catalogue_texts.get(key)
            limit = ROW_TITLE_MAX if key.endswith(".short") else HEADER_MAX if key.endswith((".title", ".name")) else 0
            if text is None:
                problems.append(f"text {key!r} is missing in {language!r}")
            elif limit and len(text) > limit:  # WhatsApp refuses longer list rows and headers
                problems.append(f"text {key!r} in {language!r} has {len(text)} characters, more than {limit}")
    return problems
