"""HTTP-level helpers of the Graph API client: reading Meta's answers, network failures, backoff."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from chalicelib.domain.media import MediaInfo
from chalicelib.whatsapp.errors import (
    GraphApiError,
    MalformedResponse,
    TransportError,
    error_class_for,
    is_transient,
)

if TYPE_CHECKING:
    from collections.abc import Callable

#: Failures that mean "no usable answer from Meta"; any other (a bad URL...) is a bug and propagates.
NETWORK_ERRORS: tuple[type[requests.RequestException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to repeat a failed request (exponential backoff with full jitter)."""

    max_attempts: int = 4
    backoff_base: float = 1.0
    backoff_cap: float = 8.0

    def delay(self, attempt: int, retry_after: float | None, random: Callable[[], float]) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based); Meta's Retry-After wins, capped."""
        if retry_after is not None:
            return min(retry_after, self.backoff_cap)
        # Full jitter spreads the retries of concurrent Lambdas instead of having them collide again.
        return random() * min(self.backoff_cap, self.backoff_base * 2.0 ** (attempt - 1))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header; the HTTP-date form is ignored (Meta sends seconds if any)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _as_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def graph_error(http_status: int, body: bytes | None, retry_after: str | None = None) -> GraphApiError:
    """The typed error for ``{"error": {message, type, code, error_data{details}, fbtrace_id, ...}}``."""
    delay = parse_retry_after(retry_after)
    error = _error_object(body)
    if error is None:
        cls = error_class_for(None, http_status)
        return cls(
            f"HTTP {http_status} without a Graph API error body",
            http_status=http_status,
            is_transient=is_transient(None, http_status),
            retry_after=delay,
        )
    code = _as_int(error.get("code"))
    data = error.get("error_data")
    meta_transient = error.get("is_transient") is True
    return error_class_for(code, http_status)(
        _as_str(error.get("message")) or f"HTTP {http_status}",
        code=code,
        http_status=http_status,
        title=_as_str(error.get("error_user_title")) or _as_str(error.get("title")),
        error_type=_as_str(error.get("type")),
        subcode=_as_int(error.get("error_subcode")),
        details=_as_str(data.get("details")) if isinstance(data, dict) else None,
        fbtrace_id=_as_str(error.get("fbtrace_id")),
        is_transient=is_transient(code, http_status, meta_transient),
        retry_after=delay,
    )


def has_graph_error_body(body: bytes | None) -> bool:
    """True when the body is Meta's own error JSON, i.e. the Graph API itself answered."""
    return _error_object(body) is not None


def _error_object(body: bytes | None) -> dict[str, Any] | None:
    if not body:
        return None
    try:
        data = json.loads(body)
    except ValueError:  # also UnicodeDecodeError
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else None


def transport_error(exc: requests.RequestException, operation: str) -> TransportError:
    """Classify a network failure by whether the request may have reached Meta (the URL stays out of it)."""
    reached = not _failed_before_sending(exc)
    return TransportError(f"{operation}: {type(exc).__name__}", request_may_have_reached_meta=reached)


def _failed_before_sending(exc: requests.RequestException) -> bool:
    # Only failures that provably happen while connecting count: a connect timeout, a refused connection, a
    # DNS error, an unreachable proxy. A reset, a read timeout or a TLS error may come after the request bytes
    # were sent, so they count as "may have reached Meta", which keeps sends at most once.
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.ProxyError):
        return True
    if isinstance(exc, requests.exceptions.SSLError) or not isinstance(exc, requests.ConnectionError):
        return False
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, ConnectTimeoutError)


def json_object(response: requests.Response) -> dict[str, Any]:
    """The body of a successful answer, which must be a JSON object."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise MalformedResponse("expected a JSON object", http_status=response.status_code)
    return body


def discard(response: requests.Response) -> None:
    """For answers whose body carries nothing we need (mark as read: ``{"success": true}``)."""
    return None


def wamid_of(response: requests.Response) -> str:
    """``messages[0].id`` of a send; without it Meta may still have accepted the message."""
    messages = json_object(response).get("messages")
    first = messages[0] if isinstance(messages, list) and messages else None
    wamid = first.get("id") if isinstance(first, dict) else None
    if not isinstance(wamid, str) or not wamid:
        raise MalformedResponse("send answered without messages[0].id", http_status=response.status_code)
    return wamid


def media_info_of(media_id: str, body: dict[str, Any]) -> MediaInfo:
    """``{url, mime_type, sha256, file_size, id}`` of ``GET /{media-id}``."""
    url, mime_type, sha256 = body.get("url"), body.get("mime_type"), body.get("sha256")
    if not isinstance(url, str) or not url:
        raise MalformedResponse("media info without a url", http_status=200)
    return MediaInfo(
        media_id=str(body.get("id") or media_id),
        url=url,
        mime_type=mime_type if isinstance(mime_type, str) else "application/octet-stream",
        sha256=sha256 if isinstance(sha256, str) and sha256 else None,
        # OpenAPI documents a string ("303833"), real responses carry an int: accept both.
        file_size=file_size(body.get("file_size")),
    )


def read_capped(response: requests.Response, limit: int) -> tuple[bytes | None, int]:
    """The body if it fits in ``limit`` bytes, else ``None``; plus the bytes received."""
    chunks: list[bytes] = []
    received = 0
    for chunk in response.iter_content(_CHUNK):
        received += len(chunk)
        if received > limit:
            return None, received
        chunks.append(chunk)
    return b"".join(chunks), received


def file_size(value: object) -> int | None:
    """A size given as an int or a digit string (headers, or Meta's media info)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
