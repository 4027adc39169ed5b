"""The offices a deployment serves (one Questura each), from ``offices.json``: another Questura runs the same
deployment with its own entry. Read on first use, never at import."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

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
    # The office's own WhatsApp number, as Meta's ``phone_number_id``; None: the configured number (the WhatsApp
    # secret's), which every office without one of its own shares.
    phone_number_id: str | None = None


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
        phone_number_id=_phone_number_id(code, data.get("phone_number_id")),
    )


def _phone_number_id(code: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.isdigit():
        raise ValueError(f"offices.json: office {code}: phone_number_id must be Meta's numeric id (a string) or null")
    return value


@lru_cache(maxsize=1)
def offices() -> dict[str, Office]:
    """Every configured office, by code."""
    raw: dict[str, Any] = json.loads(OFFICES_FILE.read_text(encoding="utf-8"))
    loaded = {code: _office(code, data) for code, data in raw.items() if not code.startswith("_")}
    own = [o.phone_number_id for o in loaded.values() if o.phone_number_id]
    if len(own) != len(set(own)):
        raise ValueError("offices.json: two offices have the same phone_number_id")
    return loaded


def office(code: str) -> Office:
    """The office with ``code``."""
    try:
        return offices()[code]
    except KeyError:
        raise UnknownOffice(code) from None


def office_zone(code: str) -> ZoneInfo:
    """The time zone of the office with ``code``: wherever one of its local days or hours is meant."""
    return ZoneInfo(office(code).timezone)


def office_numbers(configured: str) -> dict[str, str]:
    """Each office's WhatsApp number (Meta's ``phone_number_id``): its own, else ``configured`` (the secret's)."""
    return {code: entry.phone_number_id or configured for code, entry in offices().items()}


def office_for_number(phone_number_id: str, configured: str, default_office: str) -> str | None:
    """The office a message sent to ``phone_number_id`` is for: the office whose number it is (the default office
    first when several share the configured number); None when it is no office's number.

    So a reply sent from the office's number (:func:`office_numbers`) leaves from the number the message came to.
    """
    if not phone_number_id:
        return None
    owners = [code for code, number in office_numbers(configured).items() if number == phone_number_id]
    if not owners:
        return None
    return default_office if default_office in owners else owners[0]
