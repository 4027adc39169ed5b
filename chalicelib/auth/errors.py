"""Typed authentication errors: the API maps :class:`Unauthenticated` to 401 and :class:`NotAnOfficer` to 403."""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.errors import DomainError


class AuthFailure(StrEnum):
    """Why a bearer token was refused (safe to return to the client and to log)."""

    MISSING_TOKEN = "missing_token"  # no Authorization header, or not a Bearer one
    MALFORMED_TOKEN = "malformed_token"  # not a JWT, or claims of the wrong shape
    EXPIRED = "expired"  # outside its validity window: exp passed, or iat/nbf still in the future
    BAD_SIGNATURE = "bad_signature"  # signature does not verify, or signed by a key we do not know
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    UNSUPPORTED_TOKEN = "unsupported_token"  # not RS256, no key id, or not an ID token (token_use)


class Unauthenticated(DomainError):
    """The request carries no valid ID token (401); ``reason`` says which check failed."""

    def __init__(self, reason: AuthFailure) -> None:
        super().__init__(f"invalid bearer token: {reason.value}")
        self.reason = reason


class NotAnOfficer(DomainError):
    """A valid token of someone who is not an officer of an office (403): no officer group, no office, or an
    office this deployment does not serve (not in ``offices.json``)."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(detail or f"not an officer: {reason}")
        self.reason = reason  # "no_role", "no_office" or "unknown_office"


class SupervisorOnly(DomainError):
    """An officer asked for what only a supervisor may do (403)."""


class JwksUnavailable(DomainError):
    """The issuer's signing keys could not be read (a server-side fault: 503, not the client's)."""
