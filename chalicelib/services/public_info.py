"""What the public may know, in their language: the office, the permit procedures, and real waiting times.

Everything comes from configuration and the same catalogue as the chat and the checklists; nothing here touches a
case except :func:`refresh_waiting_times`, which a schedule runs to write a small summary the endpoint serves.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.catalogue import Procedure, Requirement
from chalicelib.domain.waiting_times import summarise
from chalicelib.i18n import translate

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from chalicelib.domain.cases import Case
    from chalicelib.domain.catalogue import Catalogue, PermitType, ProcedureSpec
    from chalicelib.offices import Office


class SummaryStore(Protocol):
    """Computed summaries, by id."""

    def get(self, summary_id: str) -> dict[str, Any] | None:
        """The summary, if computed."""
        ...

    def put(self, summary_id: str, body: dict[str, Any], computed_at_ms: int) -> None:
        """Replace the summary."""
        ...


class RecentCases(Protocol):
    """Cases of an office updated since a time (a Query on the office index, never a Scan)."""

    def updated_since(self, office: str, since_ms: int) -> Iterable[Case]:
        """Those cases."""
        ...


def office_info(office: Office, language: str) -> dict[str, Any]:
    """``GET /info``."""
    line = office.phone_line
    return {
        "office": office.code,
        "name": office.name,
        "address": office.address,
        "whatsapp": office.whatsapp,
        "counter_hours": (
            [{"days": list(h.days), "from": h.opens, "to": h.closes} for h in office.counter_hours]
            if office.counter_hours
            else None
        ),
        "phone_line": (
            {
                "number": line.number,
                "days": list(line.days),
                "from": line.opens,
                "to": line.closes,
                "for": translate("info.phone_line.for", language),
            }
            if line
            else None
        ),
        "switchboard": office.switchboard,
        "pec": office.pec,
        "language": language,
    }


def procedures(catalogue: Catalogue, language: str) -> dict[str, Any]:
    """``GET /info/procedures``."""
    return {
        "language": language,
        "permit_types": [
            {
                "code": permit.code,
                "name": translate(permit.name_key, language),
                "description": translate(permit.description_key, language),
                "procedures": [p.value for p in (Procedure.RILASCIO, Procedure.RINNOVO) if p in permit.procedures],
            }
            for permit in catalogue.permit_types
        ],
    }


def _euro(cents: int) -> float:
    return cents / 100


def _spec(spec: ProcedureSpec, language: str) -> dict[str, Any]:
    fees = spec.fees
    return {
        "procedure": spec.procedure.value,
        "name": translate(f"procedure.{spec.procedure.value}.name", language),
        "channel": {"code": spec.channel.value, "name": translate(f"channel.{spec.channel.value}.name", language)},
        "documents": [
            {
                "code": doc.code,
                "title": translate(doc.title_key, language),
                "explanation": translate(doc.explanation_key, language),
                "requirement": doc.requirement.value,
                "group": doc.group,
                "group_title": translate(doc.group_key, language) if doc.group_key else None,
                "condition": translate(doc.condition_key, language) if doc.condition_key else None,
                "original_at_counter": doc.original_at_counter,
                "variants": sorted(doc.variants),
            }
            for doc in spec.documents
        ],
        "fees": {
            "currency": "EUR",
            "components": [
                {"code": f.code, "label": translate(f.label_key, language), "amount": _euro(f.amount_cents)}
                for f in fees.components
            ],
            "totals": [
                {
                    "contributo": translate(o.contributo.label_key, language) if o.contributo else None,
                    "contributo_amount": _euro(o.contributo.amount_cents) if o.contributo else 0.0,
                    "total": _euro(o.total_cents),
                }
                for o in fees.options
            ],
            "exemptions": [translate(key, language) for key in fees.exemption_keys],
        },
        "steps": [translate(key, language) for key in spec.step_keys],
        "variants": [
            {
                "code": variant.code,
                "title": translate(variant.title_key, language),
                "explanation": translate(variant.explanation_key, language),
                "steps": [translate(key, language) for key in spec.steps_for(variant.code)],
            }
            for variant in spec.variants
        ],
        "legal_notes": [translate(key, language) for key in spec.legal_note_keys],
        "to_confirm_with_the_office": sorted(aspect.value for aspect in spec.unverified),
    }


def procedure_detail(permit: PermitType, language: str) -> dict[str, Any]:
    """``GET /info/procedures/{type}``: for first issue and renewal, or why one does not apply."""
    return {
        "code": permit.code,
        "language": language,
        "name": translate(permit.name_key, language),
        "description": translate(permit.description_key, language),
        "procedures": [_spec(spec, language) for spec in permit.procedures.values()],
        "not_applicable": {p.value: translate(key, language) for p, key in permit.not_applicable.items()},
        "required_documents": [
            d.code
            for spec in permit.procedures.values()
            for d in spec.documents
            if d.requirement is Requirement.REQUIRED and not d.variants
        ],
    }


def waiting_times_id(office: str) -> str:
    """The summary id of an office's waiting times."""
    return f"waiting_times#{office}"


def refresh_waiting_times(
    cases: RecentCases,
    summaries: SummaryStore,
    offices: Iterable[str],
    now_ms: int,
    *,
    window_days: int,
    minimum: int,
    next_free: Callable[[str], str | None] = lambda office: None,
) -> int:
    """Recompute every office's waiting times and its next free counter slot (office-local ``YYYY-MM-DDTHH:MM``)
    (the schedule's job); returns how many offices were written."""
    written = 0
    for office in offices:
        since = now_ms - window_days * 24 * 60 * 60 * 1000
        summary = summarise(office, cases.updated_since(office, since), now_ms, window_days, minimum)
        summaries.put(waiting_times_id(office), {**asdict(summary), "next_free_slot": next_free(office)}, now_ms)
        written += 1
    return written


def _figure(raw: dict[str, Any]) -> dict[str, Any]:
    enough = raw.get("median_days") is not None
    # Below the minimum not even the count is shown: a "1" could point at a person.
    return {
        "enough_data": enough,
        "cases": raw.get("cases") if enough else None,
        "median_days": raw.get("median_days"),
        "p90_days": raw.get("p90_days"),
    }


def _stage(raw: dict[str, Any]) -> dict[str, Any]:
    return {"to_complete": _figure(raw["to_complete"]), "to_appointment": _figure(raw["to_appointment"])}


def waiting_times_view(office: str, summary: dict[str, Any] | None, language: str) -> dict[str, Any]:
    """``GET /info/waiting-times``: the last computed summary, with "not enough data" rather than a thin figure."""
    not_enough = translate("info.html.not_enough", language)
    if summary is None:
        return {
            "office": office,
            "language": language,
            "computed_at": None,
            "next_free_slot": None,
            "window_days": None,
            "overall": None,
            "by_permit_type": {},
            "note": not_enough,
        }
    from datetime import UTC, datetime

    computed = datetime.fromtimestamp(summary["computed_at_ms"] / 1000, tz=UTC).isoformat(timespec="seconds")
    by_type = {
        code: {**_stage(stage), "name": translate(f"permit.{code}.name", language)}
        for code, stage in summary["by_permit_type"].items()
    }
    return {
        "office": office,
        "language": language,
        "computed_at": computed.replace("+00:00", "Z"),
        "next_free_slot": summary.get("next_free_slot"),
        "window_days": summary["window_days"],
        "minimum_cases": summary["minimum_cases"],
        "overall": _stage(summary["overall"]),
        "by_permit_type": by_type,
        "note": not_enough,
    }
