"""Who an applicant is on WhatsApp.

Meta identifies a user by ``wa_id`` (their phone number, digits only) and, since April 2026, by a business-scoped
``user_id`` (BSUID) that is always present and may be the only one for users with a username. We key an applicant
by ``wa_id`` when we have it, else by ``user_id``, and keep both.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import UnknownApplicant


@dataclass(frozen=True, slots=True)
class ApplicantRef:
    """The WhatsApp identity of one applicant."""

    wa_id: str | None = None
    user_id: str | None = None

    def __post_init__(self) -> None:
        if not self.wa_id and not self.user_id:
            raise UnknownApplicant("an applicant needs a wa_id or a user_id")

    @property
    def key(self) -> str:
        """The stable partition key: ``wa#<digits>`` or ``bsuid#<user_id>``."""
        return f"wa#{self.wa_id}" if self.wa_id else f"bsuid#{self.user_id}"

    @property
    def phone_e164(self) -> str | None:
        """The number to send to, with the "+" Meta asks for (without it Meta prepends our own country code)."""
        return f"+{self.wa_id}" if self.wa_id else None

    @classmethod
    def from_key(cls, key: str) -> ApplicantRef:
        """Rebuild a reference from :pyattr:`key` (only the identifier the key was made from)."""
        kind, _, value = key.partition("#")
        if kind == "wa" and value:
            return cls(wa_id=value)
        if kind == "bsuid" and value:
            return cls(user_id=value)
        raise UnknownApplicant(f"not an applicant key: {kind!r}")
