"""Typed errors of the WhatsApp Cloud API client.

Meta asks integrators to branch on the error ``code`` (not on subcodes, HTTP statuses or message text), so
one table maps each code to an exception class; callers catch the class. ``is_transient`` says whether the
same request is worth retrying later.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


class WhatsAppError(Exception):
    """Base of every error the WhatsApp client raises on purpose."""


class GraphApiError(WhatsAppError):
    """Meta answered with an error (or with a response we cannot use)."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        title: str | None = None,
        error_type: str | None = None,
        subcode: int | None = None,
        details: str | None = None,
        fbtrace_id: str | None = None,
        is_transient: bool = False,
        retry_after: float | None = None,
    ) -> None:
        # Only the code and Meta's generic message go in str(): ``details`` can be specific to the recipient.
        super().__init__(f"(#{code}) {message}" if code is not None else message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.title = title
        self.error_type = error_type
        self.subcode = subcode
        self.details = details
        self.fbtrace_id = fbtrace_id
        self.is_transient = is_transient
        self.retry_after = retry_after


class AccessTokenError(GraphApiError):
    """The access token is invalid or expired (0, 190): renew the secret, retrying will not help."""


class PermissionDenied(GraphApiError):
    """The app or token lacks a permission or capability (3, 10, 200-299)."""


class RateLimited(GraphApiError):
    """A throttling limit was hit (4, 80007, 131048, 133016, 131064 and the subclasses)."""


class ThroughputLimited(RateLimited):
    """Messages per second for our business number were exceeded (130429)."""


class PairRateLimited(RateLimited):
    """Too many messages to this one user in a short time (131056): about one every six seconds is allowed."""


class ReEngagementRequired(GraphApiError):
    """More than 24 hours since the user last wrote (131047): only a template may be sent."""


class Undeliverable(GraphApiError):
    """The recipient cannot receive the message (131026): not on WhatsApp, old client, terms not accepted."""


class EcosystemLimited(GraphApiError):
    """Not delivered to keep ecosystem engagement healthy (131049): wait at least a day."""


class MarketingOptedOut(GraphApiError):
    """The user stopped marketing messages (131050)."""


class InvalidParameter(GraphApiError):
    """A parameter is missing or invalid (100, 131008, 131009): a bug on our side."""


class TemplateError(GraphApiError):
    """The template is missing, unapproved, paused, disabled or got the wrong parameters (1320xx)."""


class MediaError(GraphApiError):
    """Media could not be downloaded or uploaded, or has the wrong type or size (131052, 131053)."""


class ServiceUnavailable(GraphApiError):
    """Meta failed on its side (1, 2, 131000, 131016, or a 5xx without a known code)."""


class BlockedRecipient(GraphApiError):
    """We blocked this user (130403)."""


class BsuidNotSupported(GraphApiError):
    """This message cannot be sent to a business-scoped user id (131062)."""


class UnknownGraphError(GraphApiError):
    """An error code (or a non-JSON error body) the table does not know."""


class MalformedResponse(GraphApiError):
    """A 2xx answer without what it must carry (e.g. a send without ``messages[0].id``).

    For a send this means Meta may have accepted the message, so it is never retried.
    """


class TransportError(WhatsAppError):
    """The HTTP exchange failed without a response from Meta.

    ``request_may_have_reached_meta`` is False only when the request provably never left (connection refused,
    DNS failure, connect timeout); a send may then be repeated. When True (read timeout, connection reset) a
    send may already have been accepted, and repeating it could deliver the message twice.
    """

    def __init__(self, message: str, *, request_may_have_reached_meta: bool) -> None:
        super().__init__(message)
        self.request_may_have_reached_meta = request_may_have_reached_meta


class MediaTooLarge(WhatsAppError):
    """A media download exceeds the caller's cap; ``size`` is the declared length or the bytes read so far."""

    def __init__(self, *, max_bytes: int, size: int, declared: bool) -> None:
        source = "declared" if declared else "received"
        super().__init__(f"media larger than {max_bytes} bytes ({source} {size})")
        self.max_bytes = max_bytes
        self.size = size
        self.declared = declared


class UntrustedMediaUrl(WhatsAppError):
    """A media URL outside Meta's hosts (and the configured API origin): the token is never sent there."""


_FAMILIES: tuple[tuple[type[GraphApiError], Iterable[int]], ...] = (
    (AccessTokenError, (0, 190)),
    (PermissionDenied, (3, 10, *range(200, 300))),
    (ThroughputLimited, (130429,)),
    (PairRateLimited, (131056,)),
    (RateLimited, (4, 80007, 131048, 133016, 131064)),
    (ReEngagementRequired, (131047,)),
    (Undeliverable, (131026,)),
    (EcosystemLimited, (131049,)),
    (MarketingOptedOut, (131050,)),
    (InvalidParameter, (100, 131008, 131009)),
    (TemplateError, (132000, 132001, 132005, 132007, 132012, 132015, 132016)),
    (MediaError, (131052, 131053)),
    (ServiceUnavailable, (1, 2, 131000, 131016)),
    (BlockedRecipient, (130403,)),
    (BsuidNotSupported, (131062,)),
)

#: Meta error code -> exception class (the one table).
ERROR_CLASSES: Mapping[int, type[GraphApiError]] = MappingProxyType(
    {code: cls for cls, codes in _FAMILIES for code in codes}
)

#: Codes worth retrying after a pause. 131048 (spam), 133016 and 131064 last hours, not seconds.
TRANSIENT_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131056})


def error_class_for(code: int | None, http_status: int | None) -> type[GraphApiError]:
    """The class for a Meta code; the HTTP status only decides when the code is absent or unknown."""
    if code is not None and code in ERROR_CLASSES:
        return ERROR_CLASSES[code]
    if http_status is not None and http_status >= 500:
        return ServiceUnavailable
    if http_status == 429:
        return RateLimited
    return UnknownGraphError


def is_transient(code: int | None, http_status: int | None, meta_says_transient: bool = False) -> bool:
    """Whether the same request is worth repeating later."""
    if meta_says_transient or (code is not None and code in TRANSIENT_CODES):
        return True
    # A known code decides; only an unknown one falls back to the HTTP status.
    unknown = code is None or code not in ERROR_CLASSES
    return unknown and http_status is not None and (http_status >= 500 or http_status == 429)
