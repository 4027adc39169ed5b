"""Reading requests and writing JSON answers: what every HTTP edge shares, public or officers' (light to import).

The public function imports this, not :mod:`functions.api`, whose error table pulls in every officers' use case.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from chalice.app import Response

from chalicelib.domain.errors import DomainError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from chalice.app import Request

E = TypeVar("E", bound=StrEnum)
# The dates the API reads (a permit's expiry, a calendar day, a filter, a period of the audit log): outside these a
# date is a typo or a probe, and near datetime's own limits (years 1 and 9999) converting it would overflow.
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,100}")
PAGE_SIZE = re.compile(r"[0-9]{1,4}")  # ASCII digits only: int() refuses "²" and 5000-digit numbers with ValueError


class BadInput(DomainError):
    """The request body or a parameter is malformed (400)."""


class InvalidInput(DomainError):
    """A field has a value the API does not accept (422)."""


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object."""
    try:
        body = json.loads(request.raw_body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise BadInput("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadInput("the body must be a JSON object")
    return body


def text(body: dict[str, Any], name: str, *, required: bool = False, max_length: int = 2000) -> str | None:
    """A string field, stripped; an optional one left blank is absent (None), never stored as ""."""
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"{name} is required")
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_length:
        raise InvalidInput(f"{name} must be a non-empty string of at most {max_length} characters")
    return value.strip() or None


def required_text(body: dict[str, Any], name: str, max_length: int = 2000) -> str:
    """A string field that must be there."""
    value = text(body, name, required=True, max_length=max_length)
    assert value is not None  # text() raised otherwise
    return value


def idempotency_key(body: dict[str, Any]) -> str | None:
    """The client's key for one request (``idempotency_key``: 8-100 of ``A-Z a-z 0-9 _ -``; a UUID is one), so that
    the request retried after an unclear answer changes nothing twice."""
    value = body.get("idempotency_key")
    if value is None:
        return None
    if not isinstance(value, str) or not IDEMPOTENCY_KEY.fullmatch(value):
        raise InvalidInput("idempotency_key must be 8-100 letters, digits, '-' or '_'")
    return value


def page_size(raw: str, maximum: int) -> int:
    """A ``limit`` query parameter: a whole number from 1 to ``maximum``."""
    if not PAGE_SIZE.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise InvalidInput(f"limit must be a whole number from 1 to {maximum}")
    return int(raw)


TRUE_WORDS = frozenset({"true", "1"})
FALSE_WORDS = frozenset({"false", "0"})


def flag(params: Mapping[str, str], name: str, default: bool = False) -> bool:
    """A boolean query parameter: ``true``/``1`` or ``false``/``0`` (any case); absent: ``default``. Anything
    else is refused (422) rather than read as false."""
    raw = params.get(name)
    if raw is None:
        return default
    word = raw.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidInput(f"{name} must be true or false (or 1 or 0)")


def choice(value: Any, kind: type[E], name: str) -> E:
    """``value`` as a member of ``kind``."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(f"{name} must be one of: {allowed}") from None


def _in_range(day: date, name: str) -> None:
    if not EARLIEST <= day <= LATEST:
        raise InvalidInput(f"{name} must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}")


def iso_date(value: Any, name: str) -> date:
    """``YYYY-MM-DD``, between :data:`EARLIEST` and :data:`LATEST`."""
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a date, YYYY-MM-DD") from None
    _in_range(day, name)
    return day


def local_datetime(value: Any, name: str) -> datetime:
    """``YYYY-MM-DDTHH:MM`` in the office's local time (no zone: the counter's clock)."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a local date and time, YYYY-MM-DDTHH:MM") from None
    if parsed.tzinfo is not None:
        raise InvalidInput(f"{name} must be the office's local time, without a time zone")
    _in_range(parsed.date(), name)
    return parsed


def iso_instant(value: Any, name: str, zone: tzinfo) -> int:
    """An ISO 8601 date or date-time as epoch milliseconds; without an offset it is the office's wall clock
    (``zone``): an officer who writes ``2026-12-01`` means that day at the office."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        raise InvalidInput(f"{name} must be an ISO 8601 date or date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    _in_range(moment.date(), name)  # before converting: year 1 at +14:00 is before year 1 in UTC
    return int(moment.timestamp() * 1000)


def end_of_local_day(day: date, zone: tzinfo) -> int:
    """The last millisecond of ``day`` at the office (``zone``): 23 or 25 hours long on a change of clocks."""
    return int(datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).timestamp() * 1000) - 1


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer; never cached (cases hold personal data)."""
    return Response(
        body=body,
        status_code=status,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store", **(headers or {})},
    )
