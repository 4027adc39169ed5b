"""The privacy notice (GDPR art. 13), in the applicant's language: the full notice served at ``/info/privacy``,
a short one for the chat's "privacy" command, and the line with its link that a new applicant's first message
carries.

Who holds the data, the data protection officer and the laws come from the office's configuration
(``offices.json``, ``privacy``); how long things are kept comes from the settings that actually set the expiry of
stored items (:class:`Retention`), so the notice changes when they do; every sentence is in the ``privacy``
catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalicelib.i18n import translate

if TYPE_CHECKING:
    from chalicelib.offices import Office

NOTICE_PATH = "info/privacy"
GARANTE = {
    "name": "Garante per la protezione dei dati personali",
    "address": "Piazza Venezia 11, 00187 Roma",
    "website": "https://www.garanteprivacy.it",
}


@dataclass(frozen=True, slots=True)
class Retention:
    """How long the service keeps what it stores, as the code applies it (the settings and the stores' rules)."""

    inbound_days: int = 90  # INBOUND_RETENTION_DAYS: the applicant's messages (and files' metadata)
    outbound_days: int = 90  # OUTBOUND_RETENTION_DAYS: the office's messages
    quarantine_days: int = 30  # QUARANTINE_RETENTION_DAYS: webhook items that could not be used
    upload_link_seconds: int = 24 * 60 * 60  # UPLOAD_LINK_SECONDS: how long a secure upload link works
    upload_link_kept_days: int = 30  # a link's record, after it expires (the upload links' store)
    document_days: int = 30  # DOCUMENT_RETENTION_DAYS: documents, after their case closes
    case_days: int = 180  # CASE_RETENTION_DAYS: the case's personal fields, thread and records, after it closes
    applicant_days: int = 30  # APPLICANT_RETENTION_DAYS: an applicant without an open case, after their last message

    @property
    def message_days(self) -> int:
        """The longer of the two messages' retentions (a conversation is gone by then)."""
        return max(self.inbound_days, self.outbound_days)

    @property
    def upload_link_hours(self) -> int:
        return max(1, self.upload_link_seconds // 3600)

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages_days": self.message_days,
            "quarantine_days": self.quarantine_days,
            "upload_link_hours": self.upload_link_hours,
            "upload_link_kept_days": self.upload_link_kept_days,
            "case_days": self.case_days,
            "document_days": self.document_days,
            "applicant_days": self.applicant_days,
        }


@dataclass(frozen=True, slots=True)
class PrivacyContext:
    """What the notice needs besides the office: where the public pages are, how long things are kept, and where
    the data are stored."""

    base_url: str = "http://127.0.0.1:8000/"  # PUBLIC_BASE_URL, ending in "/"
    retention: Retention = Retention()
    region: str = "eu-south-1"  # the AWS region of the tables and the bucket

    def url(self, office: str, language: str) -> str:
        """The full notice, in ``language``, for ``office``."""
        return f"{self.base_url}{NOTICE_PATH}?{urlencode({'office': office, 'lang': language})}"


def _contact(office: Office, language: str) -> str:
    """How to reach the office: address, PEC, phone."""
    parts = [office.address]
    if office.pec:
        parts.append(translate("privacy.contact.pec", language, pec=office.pec))
    phone = office.switchboard or (office.phone_line.number if office.phone_line else None)
    if phone:
        parts.append(translate("privacy.contact.phone", language, phone=phone))
    return f"{office.name}, " + "; ".join(parts)


def _controller(office: Office, language: str) -> str:
    return office.privacy.controller if office.privacy else translate("info.html.not_configured", language)


def _retention_lines(context: PrivacyContext, language: str, contact: str) -> list[str]:
    kept = context.retention
    lines = [
        translate("privacy.retention.messages", language, days=str(kept.message_days)),
        translate(
            "privacy.retention.links",
            language,
            hours=str(kept.upload_link_hours),
            days=str(kept.upload_link_kept_days),
        ),
        translate("privacy.retention.quarantine", language, days=str(kept.quarantine_days)),
    ]
    lines.append(
        translate(
            "privacy.retention.case",
            language,
            document_days=str(kept.document_days),
            case_days=str(kept.case_days),
            applicant_days=str(kept.applicant_days),
            contact=contact,
        )
    )
    lines.append(translate("privacy.retention.meta", language))
    return lines


def _section(key: str, language: str, paragraphs: list[str]) -> dict[str, Any]:
    return {"id": key, "title": translate(f"privacy.{key}.title", language), "paragraphs": paragraphs}


def notice(office: Office, context: PrivacyContext, language: str) -> dict[str, Any]:
    """``GET /info/privacy``: the full notice, section by section."""
    contact = _contact(office, language)
    privacy = office.privacy
    dpo = privacy.dpo if privacy else None
    laws = "; ".join(privacy.legal_basis) if privacy and privacy.legal_basis else "—"
    garante = translate("privacy.complaint.text", language, **GARANTE)
    sections = [
        _section(
            "controller",
            language,
            [translate("privacy.controller.text", language, controller=_controller(office, language), contact=contact)],
        ),
        _section(
            "dpo",
            language,
            [
                translate("privacy.dpo.text", language, dpo=dpo)
                if dpo
                else translate("privacy.dpo.ask", language, contact=contact)
            ],
        ),
        _section("data", language, [translate("privacy.data.text", language)]),
        _section(
            "purposes",
            language,
            [translate("privacy.purposes.text", language), translate("privacy.purposes.decisions", language)],
        ),
        _section("basis", language, [translate("privacy.basis.text", language, laws=laws)]),
        _section("optional", language, [translate("privacy.optional.text", language)]),
        _section(
            "recipients",
            language,
            [
                translate("privacy.recipients.text", language),
                translate("privacy.recipients.meta", language),
                translate("privacy.recipients.hosting", language, region=context.region),
            ],
        ),
        _section("transfers", language, [translate("privacy.transfers.text", language)]),
        _section("retention", language, _retention_lines(context, language, contact)),
        _section("rights", language, [translate("privacy.rights.text", language, contact=contact)]),
        _section("complaint", language, [garante]),
    ]
    return {
        "office": office.code,
        "name": office.name,
        "language": language,
        "title": translate("privacy.title", language),
        "intro": translate("privacy.intro", language, office=office.name),
        "controller": _controller(office, language),
        "dpo": dpo,
        "contact": contact,
        "legal_basis": list(privacy.legal_basis) if privacy else [],
        "retention": context.retention.as_dict(),
        "garante": dict(GARANTE),
        "sections": sections,
        "url": context.url(office.code, language),
    }


def short_notice(office: Office, context: PrivacyContext, language: str) -> str:
    """The chat's answer to "privacy": who, why, how long, the rights, the Garante, and the full notice's link."""
    text = translate(
        "privacy.chat.short",
        language,
        controller=_controller(office, language),
        days=str(context.retention.message_days),
        document_days=str(context.retention.document_days),
        case_days=str(context.retention.case_days),
        contact=_contact(office, language),
        garante=GARANTE["name"],
        website=GARANTE["website"],
        url=context.url(office.code, language),
    )
    return text[:4096]


def first_contact_line(office: str, context: PrivacyContext, language: str) -> str:
    """One line for a new applicant's first message: the notice's link in their language."""
    return translate("privacy.chat.line", language, url=context.url(office, language))
