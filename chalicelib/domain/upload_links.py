"""The secure upload link: a short-lived, revocable, unguessable key to one case's upload page.

The token is 256 random bits, shown to the applicant once (in the WhatsApp message) and never stored: the store
keeps its SHA-256. A slow hash would add nothing, since nobody can guess 256 bits; what a leaked store must not
give away is a working link, and a hash does not. The link names no person: only the case id (which is already
an opaque reference) and the office.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain.errors import DomainError

if TYPE_CHECKING:
    from chalicelib.domain.actors import Actor

TOKEN_BYTES = 32
# What a token looks like in a URL: base64url, 43 characters for 32 bytes. Anything else is refused before a lookup.
TOKEN_LENGTH = 43
_TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_TOKEN_IN_URL = re.compile(r"(/u/)[A-Za-z0-9_-]{43}")
HIDDEN_TOKEN = "…"


class LinkState(StrEnum):
    """Whether a link still opens its page."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    EXHAUSTED = "exhausted"  # used more often than any applicant would: treated as leaked
    CASE_CLOSED = "case_closed"


class LinkPurpose(StrEnum):
    """What a link was sent with (officers see it in the link list)."""

    DOCUMENTS_REQUEST = "documents_request"
    DOCUMENT_REJECTED = "document_rejected"
    REMINDER = "reminder"
    CHAT = "chat"  # the applicant wrote "link"


class LinkUnavailable(DomainError):
    """The link does not open its page; ``state`` says why, ``language`` is the applicant's and ``office`` the
    link's office when the link is known (its page then gives that office's phone line)."""

    def __init__(self, state: LinkState | None, language: str | None = None, office: str | None = None) -> None:
        super().__init__(state.value if state else "unknown")
        self.state = state
        self.language = language
        self.office = office


def new_token() -> str:
    """A fresh token (URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def well_formed(token: str) -> bool:
    """Whether ``token`` could be one of ours (checked before any lookup, so junk costs no read)."""
    return len(token) == TOKEN_LENGTH and set(token) <= _TOKEN_ALPHABET


def without_tokens(text: str) -> str:
    """``text`` with the token of any upload link in it hidden: a token is sent, never kept (not even in the
    record of the message that carried it)."""
    return _TOKEN_IN_URL.sub(rf"\g<1>{HIDDEN_TOKEN}", text)


def token_hash(token: str) -> str:
    """What the store keeps of a token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_link_id() -> str:
    """The link's public, non-secret id: what officers see and revoke (it cannot open the page)."""
    return secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class UploadLink:
    """One issued link, as stored (no token, only its hash)."""

    token_hash: str
    link_id: str
    case_id: str
    office: str
    created_at_ms: int
    expires_at_ms: int
    issued_for: LinkPurpose
    uses: int = 0
    revoked_at_ms: int | None = None
    revoked_by: Actor | None = None

    def state(self, now_ms: int, max_uses: int) -> LinkState:
        """Where the link stands at ``now_ms``."""
        if self.revoked_at_ms is not None:
            return LinkState.REVOKED
        if now_ms >= self.expires_at_ms:
            return LinkState.EXPIRED
        if self.uses > max_uses:  # ``uses`` counts the current use too
            return LinkState.EXHAUSTED
        return LinkState.ACTIVE

    def revoked(self, now_ms: int, by: Actor) -> UploadLink:
        """The link, revoked (a second revocation keeps the first time)."""
        if self.revoked_at_ms is not None:
            return self
        return replace(self, revoked_at_ms=now_ms, revoked_by=by)


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A link just issued: the token exists only here and in the message that carries it."""

    token: str
    link: UploadLink
    url: str  # the page's address: the token after the configured base (e.g. ``https://host/u/``)


def issue(
    case_id: str, office: str, now_ms: int, lifetime_s: int, *, issued_for: LinkPurpose, page_url: str
) -> IssuedLink:
    """A new link to ``case_id``'s page under ``page_url``, valid for ``lifetime_s``."""
    token = new_token()
    link = UploadLink(
        token_hash=token_hash(token),
        link_id=new_link_id(),
        case_id=case_id,
        office=office,
        created_at_ms=now_ms,
        expires_at_ms=now_ms + lifetime_s * 1000,
        issued_for=issued_for,
    )
    return IssuedLink(token, link, f"{page_url}{token}")
