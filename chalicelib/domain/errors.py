"""Typed errors of the domain: callers branch on the type, never on the message text."""


class DomainError(Exception):
    """Base of every error the core raises on purpose."""


class InvalidOutboundMessage(DomainError):
    """A message we were about to build breaks one of WhatsApp's limits."""


class UnknownApplicant(DomainError):
    """An update carries neither a phone-based ``wa_id`` nor a business-scoped ``user_id``."""


class MalformedUpdate(DomainError):
    """A signed webhook item that cannot be read as a WhatsApp update; it goes to quarantine."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
