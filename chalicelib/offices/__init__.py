"""The offices a deployment serves (one Questura each), from ``offices.json``: another Questura runs the same
deployment with its own entry. Read on first use, never at import."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

from chalicelib.domain.errors import DomainError

OFFICES_FILE = Path(__file__).parent / "offices.json"


class UnknownOffice(DomainError):
    """No office with that code is configured."""


@dataclass(frozen=True, slots=True)
class PhoneLine:
    """The public phone line for people without WhatsApp."""

    number: str
    days: tuple[str, ...]
    opens: str
    closes: str


@dataclass(frozen=True, slots=True)
class CounterHours:
    """When the counter is open on some days."""

    days: tuple[str, ...]
    opens: str
    closes: str


@dataclass(frozen=True, slots=True)
class Privacy:
    """Who answers for the applicants' personal data (GDPR art. 13), as the office confirms it."""

    controller: str  # the data controller (titolare del trattamento), in Italian as the law names it
    dpo: str | None = None  # the data protection officer's contact; None: the notice says to ask the office
    legal_basis: tuple[str, ...] = ()  # the national laws the processing rests on, besides GDPR art. 6(1)(e)


@dataclass(frozen=True, slots=True)
class Office:
    """One Ufficio Immigrazione."""

    code: str
    name: str
    address: str
    appointment_place: str
    switchboard: str | None
    phone_line: PhoneLine | None
    pec: str | None
    timezone: str
    whatsapp: str | None = None
    counter_hours: tuple[CounterHours, ...] | None = None  # None: not configured (said so, never guessed)
    province: str = ""  # the province whose patron saint's day closes the office (ISO 3166-2:IT code)
    calendar: Mapping[str, Any] = field(default_factory=dict)  # slot length, places… (the calendar's defaults)
    privacy: Privacy | None = None  # the privacy notice's controller, DPO and legal basis


def _privacy(code: str, data: dict[str, Any] | None) -> Privacy | None:
    if not data:
        return None
    if not isinstance(data.get("controller"), str) or not data["controller"].strip():
        raise ValueError(f"offices.json: office {code}: privacy.controller is required")
    return Privacy(
        controller=data["controller"],
        dpo=data.get("dpo") or None,
        legal_basis=tuple(str(law) for law in data.get("legal_basis") or ()),
    )


def _office(code: str, data: dict[str, Any]) -> Office:
    line = data.get("phone_line")
    return Office(
        code=code,
        name=data["name"],
        address=data["address"],
        appointment_place=data["appointment_place"],
        switchboard=data.get("switchboard"),
        phone_line=PhoneLine(line["number"], tuple(line["days"]), line["from"], line["to"]) if line else None,
        pec=data.get("pec"),
        timezone=data["timezone"],
        whatsapp=data.get("whatsapp"),
        counter_hours=(
            tuple(CounterHours(tuple(h["days"]), h["from"], h["to"]) for h in data["counter_hours"])
            if data.get("counter_hours")
            else None
        ),
        province=str(data.get("province") or code),
        calendar=dict(data.get("calendar") or {}),
        privacy=_privacy(code, data.get("privacy")),
    )


@lru_cache(maxsize=1)
def offices() -> dict[str, Office]:
    """Every configured office, by code."""
    raw: dict[str, Any] = json.loads(OFFICES_FILE.read_text(encoding="utf-8"))
    return {code: _office(code, data) for code, data in raw.items() if not code.startswith("_")}


def office(code: str) -> Office:
    """The office with ``code``."""
    try:
        return offices()[code]
    except KeyError:
        raise UnknownOffice(code) from None
