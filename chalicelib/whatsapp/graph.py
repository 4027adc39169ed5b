"""The WhatsApp gateway over Meta's Graph API (or the local simulator, which speaks the same HTTP)."""

from __future__ import annotations

import random as _random
import time
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

import requests

from chalicelib.observability import get_logger
from chalicelib.whatsapp.errors import (
    GraphApiError,
    MediaTooLarge,
    TransportError,
    UntrustedMediaUrl,
)
from chalicelib.whatsapp.payloads import mark_read_payload, to_graph_payload
from chalicelib.whatsapp.transport import (
    NETWORK_ERRORS,
    RetryPolicy,
    discard,
    file_size,
    graph_error,
    has_graph_error_body,
    json_object,
    media_info_of,
    read_capped,
    transport_error,
    wamid_of,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.domain.media import MediaInfo
    from chalicelib.domain.outbound import OutboundMessage

T = TypeVar("T")

DEFAULT_USER_AGENT = "Sportello/0.1 (WhatsApp Cloud API client)"
#: Hosts Meta serves media from; the bearer token is sent to no other host (except the API's own origin).
META_MEDIA_HOSTS = ("fbsbx.com", "fbcdn.net", "facebook.com", "whatsapp.net")
_ERROR_BODY_MAX = 64 * 1024

_log = get_logger("whatsapp.graph")


class GraphApiClient:
    """Implements ``WhatsAppGateway`` with retries that never repeat a send Meta may already have accepted."""

    def __init__(
        self,
        *,
        base_url: str,
        api_version: str,
        phone_number_id: Callable[[], str],
        access_token: Callable[[], str],
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (3.05, 10.0),
        max_attempts: int = 4,
        backoff_base: float = 1.0,
        backoff_cap: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        user_agent: str = DEFAULT_USER_AGENT,
        media_hosts: tuple[str, ...] = META_MEDIA_HOSTS,
        office_number: Callable[[str], str | None] | None = None,
    ) -> None:
        self._api = f"{base_url.rstrip('/')}/{api_version.strip('/')}"
        self._origin = urlsplit(base_url)[:2]
        self._phone_number_id = phone_number_id  # the configured number: offices without one of their own
        self._office_number = office_number  # an office's own number (Meta's phone_number_id), if it has one
        self._access_token = access_token
        self._session = session or requests.Session()
        self._timeout = timeout
        self._policy = RetryPolicy(max(1, max_attempts), backoff_base, backoff_cap)
        self._sleep = sleep
        self._random = random
        self._user_agent = user_agent
        self._media_hosts = media_hosts

    def send(self, message: OutboundMessage) -> str:
        """Send one message from its office's number and return its wamid (``messages[0].id``)."""
        url = self._messages_url(self._sender(message.office))
        return self._call("send", "POST", url, False, wamid_of, json=to_graph_payload(message))

    def mark_read(self, wamid: str, phone_number_id: str | None = None) -> None:
        """Mark an inbound message as read, through the number it was sent to (repeating it is harmless, so it
        retries like a GET)."""
        url = self._messages_url(phone_number_id or self._phone_number_id())
        self._call("mark_read", "POST", url, True, discard, json=mark_read_payload(wamid))

    def media_info(self, media_id: str, phone_number_id: str | None = None) -> MediaInfo:
        """``GET /{media-id}``: a download URL valid for five minutes and Meta's metadata."""
        url = f"{self._api}/{quote(media_id, safe='')}"
        # phone_number_id makes Meta refuse media that does not belong to the number it was sent to.
        params = {"phone_number_id": phone_number_id or self._phone_number_id()}
        body = self._call("media_info", "GET", url, True, json_object, params=params)
        return media_info_of(media_id, body)

    def download_media(self, url: str, max_bytes: int) -> bytes:
        """Download a media URL with the token, refusing more than ``max_bytes`` (declared or received)."""
        self._check_media_url(url)

        def read(response: requests.Response) -> bytes:
            declared = file_size(response.headers.get("Content-Length"))
            if declared is not None and declared > max_bytes:
                raise MediaTooLarge(max_bytes=max_bytes, size=declared, declared=True)
            content, received = read_capped(response, max_bytes)
            if content is None:
                raise MediaTooLarge(max_bytes=max_bytes, size=received, declared=False)
            return content

        return self._call("download_media", "GET", url, True, read, stream=True)

    def _sender(self, office: str | None) -> str:
        """The number a message for ``office`` leaves from: the office's own, else the configured one."""
        own = self._office_number(office) if office and self._office_number else None
        return own or self._phone_number_id()

    def _messages_url(self, phone_number_id: str) -> str:
        return f"{self._api}/{quote(phone_number_id, safe='')}/messages"

    def _check_media_url(self, url: str) -> None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        on_meta = parts.scheme == "https" and any(host == h or host.endswith(f".{h}") for h in self._media_hosts)
        if not on_meta and (parts.scheme, parts.netloc) != self._origin:
            raise UntrustedMediaUrl("media URL is not on a Meta host")

    def _call(
        self,
        operation: str,
        method: str,
        url: str,
        idempotent: bool,
        read: Callable[[requests.Response], T],
        **kwargs: Any,
    ) -> T:
        attempt = 1
        while True:
            try:
                return self._attempt(operation, method, url, idempotent, read, **kwargs)
            except (GraphApiError, TransportError) as exc:
                if attempt >= self._policy.max_attempts or not _retryable(exc, idempotent):
                    _log.warning("graph_request_failed", extra=_fields(operation, exc, attempt=attempt))
                    raise
                retry_after = exc.retry_after if isinstance(exc, GraphApiError) else None
                delay = self._policy.delay(attempt, retry_after, self._random)
                _log.info("graph_retry", extra=_fields(operation, exc, attempt=attempt, delay_s=round(delay, 3)))
                self._sleep(delay)
                attempt += 1
            except MediaTooLarge as exc:
                _log.warning("media_too_large", extra={"operation": operation, "count": exc.size})
                raise

    def _attempt(
        self,
        operation: str,
        method: str,
        url: str,
        idempotent: bool,
        read: Callable[[requests.Response], T],
        **kwargs: Any,
    ) -> T:
        # The token is read per request: the provider may cache it, and a rotated secret is picked up.
        headers = {"Authorization": f"Bearer {self._access_token()}", "User-Agent": self._user_agent}
        try:
            with self._session.request(method, url, headers=headers, timeout=self._timeout, **kwargs) as response:
                if response.status_code < 400:
                    return read(response)
                body, _ = read_capped(response, _ERROR_BODY_MAX)
                if not idempotent and response.status_code in (502, 504) and not has_graph_error_body(body):
                    # A gateway timed out or lost the upstream connection: Meta may have accepted the send.
                    raise TransportError(
                        f"{operation}: HTTP {response.status_code}", request_may_have_reached_meta=True
                    )
                raise graph_error(response.status_code, body, response.headers.get("Retry-After"))
        except NETWORK_ERRORS as exc:
            raise transport_error(exc, operation) from exc


def _retryable(exc: GraphApiError | TransportError, idempotent: bool) -> bool:
    if isinstance(exc, TransportError):
        # After a read timeout a send may have gone through: repeating it could deliver it twice.
        return idempotent or not exc.request_may_have_reached_meta
    return exc.is_transient


def _fields(operation: str, exc: GraphApiError | TransportError, **extra: Any) -> dict[str, Any]:
    # Codes and trace ids only: Meta's message and details can echo the recipient or the content.
    fields: dict[str, Any] = {"operation": operation, "error_type": type(exc).__name__, **extra}
    if isinstance(exc, GraphApiError):
        fields.update(code=exc.code, http_status=exc.http_status, fbtrace_id=exc.fbtrace_id)
    return fields
