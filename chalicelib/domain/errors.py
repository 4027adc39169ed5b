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


class UnknownPermitType(DomainError):
    """A permit type code that the catalogue does not define; ``valid_codes`` lists the ones it does."""

    def __init__(self, code: str, valid_codes: tuple[str, ...]) -> None:
        super().__init__(f"unknown permit type {code!r}; valid: {', '.join(valid_codes)}")
        self.code = code
        self.valid_codes = valid_codes


class UnknownVariant(DomainError):
    """A variant code that a procedure does not define; ``valid_codes`` lists the ones it does."""

    def __init__(self, code: str, valid_codes: tuple[str, ...]) -> None:
        super().__init__(f"unknown variant {code!r}; valid: {', '.join(valid_codes) or 'none'}")
        self.code = code
        self.valid_codes = valid_codes


class ProcedureNotAvailable(DomainError):
    """A procedure that a permit type does not have (e.g. a first issue of a renewal-only permit)."""

    def __init__(self, permit_code: str, procedure: str, reason_key: str | None) -> None:
        super().__init__(f"permit type {permit_code!r} has no {procedure!r} procedure")
        self.permit_code = permit_code
        self.procedure = procedure
        self.reason_key = reason_key  # message id explaining why, when the catalogue gives one


class CatalogueError(DomainError):
    """The permit catalogue's data is invalid; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: list[str] | tuple[str, ...]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the permit catalogue:\n- " + "\n- ".join(problems))
        self.problems = tuple(problems)
