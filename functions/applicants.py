"""Reading the applicant of a new case from the API body: the phone number is parsed and normalised to E.164."""

from __future__ import annotations

from typing import Any

import phonenumbers

from chalicelib.domain.cases import CaseApplicant
from chalicelib.i18n import available_languages
from functions.inputs import InvalidInput


def applicant_from(raw: Any) -> CaseApplicant:
    """The applicant: a phone number (any common format, Italian by default) and/or a WhatsApp BSUID, a name,
    and the language they read (one of the chat's languages)."""
    if not isinstance(raw, dict):
        raise InvalidInput("applicant must be an object with phone or user_id, name and language")
    phone, user_id = raw.get("phone"), raw.get("user_id")
    if not phone and not user_id:
        raise InvalidInput("applicant needs a phone number or a WhatsApp user_id")
    e164 = _e164(phone) if phone else None
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidInput("applicant.name must be a non-empty string of at most 200 characters")
    language = raw.get("language", "it")
    if language not in available_languages():
        raise InvalidInput(f"applicant.language must be one of: {', '.join(available_languages())}")
    if user_id is not None and (not isinstance(user_id, str) or not 3 <= len(user_id) <= 140):
        raise InvalidInput("applicant.user_id must be a WhatsApp business-scoped user id")
    return CaseApplicant(
        phone_e164=e164, wa_id=e164[1:] if e164 else None, user_id=user_id, name=name.strip(), language=language
    )


def _e164(phone: Any) -> str:
    if not isinstance(phone, str) or len(phone) > 40:
        raise InvalidInput("applicant.phone must be a phone number")
    try:
        number = phonenumbers.parse(phone, "IT")
    except phonenumbers.NumberParseException:
        raise InvalidInput("applicant.phone is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("applicant.phone is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
