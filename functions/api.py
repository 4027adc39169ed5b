"""The officers' API edge: authentication, JSON input, and one table from error types to HTTP answers.

Handlers wrap their body in :func:`answer`, which turns typed errors into ``{"error": {"code", "message"}}``
with the right status; anything unexpected is logged by type only and answered 500, never with a trace.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from chalice.app import Request, Response

from chalicelib.auth import JwksUnavailable, NotAnOfficer, Unauthenticated
from chalicelib.auth.errors import SupervisorOnly
from chalicelib.bootstrap import container
from chalicelib.domain.calendar import InvalidCalendar
from chalicelib.domain.cases import ChecklistIncomplete, IllegalTransition, NoAppointment
from chalicelib.domain.checklist import InvalidReview, UnknownChecklistItem
from chalicelib.domain.errors import DomainError, ProcedureNotAvailable, UnknownPermitType
from chalicelib.i18n import OFFICER_LANGUAGES
from chalicelib.observability import get_logger
from chalicelib.services.audit import InvalidAuditQuery
from chalicelib.services.calendar.booking import BookingRefused
from chalicelib.services.calendar.ports import CalendarConflict
from chalicelib.services.calendar.slots import InvalidRange
from chalicelib.services.cases.actions import InvalidDocument, WindowClosed
from chalicelib.services.cases.ports import CaseNotFound, VersionConflict
from chalicelib.services.pagination import InvalidCursor
from chalicelib.services.uploads.link_admin import UploadLinkNotFound
from functions.http import error_response
from functions.presenters import slot_json

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.auth import Officer

log = get_logger("api")
E = TypeVar("E", bound=StrEnum)
PAGE_SIZE = re.compile(r"[0-9]{1,4}")  # ASCII digits only: int() refuses "²" and 5000-digit numbers with ValueError


class BadInput(DomainError):
    """The request body or a parameter is malformed (400)."""


class InvalidInput(DomainError):
    """A field has a value the API does not accept (422)."""


ERRORS: tuple[tuple[type[Exception], int, str], ...] = (
    (Unauthenticated, 401, "unauthenticated"),
    (NotAnOfficer, 403, "forbidden"),
    (SupervisorOnly, 403, "supervisor_only"),
    (CaseNotFound, 404, "not_found"),
    (UploadLinkNotFound, 404, "not_found"),
    (BadInput, 400, "bad_request"),
    (InvalidCursor, 400, "invalid_cursor"),
    (InvalidInput, 422, "invalid_input"),
    (UnknownPermitType, 422, "unknown_permit_type"),
    (ProcedureNotAvailable, 422, "procedure_not_available"),
    (UnknownChecklistItem, 422, "unknown_checklist_item"),
    (InvalidDocument, 422, "invalid_document"),
    (InvalidReview, 409, "invalid_review"),
    (ChecklistIncomplete, 409, "checklist_incomplete"),
    (IllegalTransition, 409, "illegal_transition"),
    (VersionConflict, 409, "conflict"),
    (WindowClosed, 409, "window_closed"),
    (InvalidAuditQuery, 422, "invalid_input"),
    (InvalidCalendar, 422, "invalid_calendar"),
    (InvalidRange, 422, "invalid_input"),
    (CalendarConflict, 409, "conflict"),
    (NoAppointment, 409, "no_appointment"),
    (JwksUnavailable, 503, "auth_unavailable"),
)


def answer(handler: Callable[[], Response]) -> Response:
    """Run ``handler``, mapping typed errors to JSON answers."""
    try:
        return handler()
    except BookingRefused as exc:
        # The reason is the code (in_the_past, outside_counter_hours, slot_unavailable…), with what can be booked.
        response = error_response(422, exc.problem.value, str(exc))
        response.body["error"]["next_free"] = [slot_json(slot) for slot in exc.alternatives]
        return response
    except DomainError as exc:
        for kind, status, code in ERRORS:
            if isinstance(exc, kind):
                headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
                response = error_response(status, code, str(exc), headers)
                if isinstance(exc, ChecklistIncomplete):
                    response.body["error"]["missing"] = list(exc.missing)
                return response
        log.exception("api_unmapped_domain_error", extra={"error_type": type(exc).__name__})
        return error_response(500, "internal_error", "an unexpected error occurred")
    except Exception as exc:
        log.exception("api_failed", extra={"error_type": type(exc).__name__})
        return error_response(500, "internal_error", "an unexpected error occurred")


def officer_of(request: Request) -> Officer:
    """The authenticated officer behind the request's bearer token (remembered in the office's directory)."""
    officer = container().verifier.authenticate(request.headers.get("authorization"))
    container().seen_officers.seen(officer)
    return officer


LANGUAGE_RANGE = re.compile(r"\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([01](?:\.[0-9]{0,3})?))?\s*")


def officer_language(request: Request) -> str:
    """The language of the texts an officer reads (titles, reasons): from ``Accept-Language``, Italian first."""
    best, weight = OFFICER_LANGUAGES[0], -1.0
    for part in (request.headers.get("accept-language") or "").split(",")[:20]:
        match = LANGUAGE_RANGE.fullmatch(part)
        if not match or match.group(1).lower() not in OFFICER_LANGUAGES:
            continue
        q = float(match.group(2)) if match.group(2) else 1.0
        if q > weight:
            best, weight = match.group(1).lower(), q
    return best


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


def page_size(raw: str, maximum: int) -> int:
    """A ``limit`` query parameter: a whole number from 1 to ``maximum``."""
    if not PAGE_SIZE.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise InvalidInput(f"limit must be a whole number from 1 to {maximum}")
    return int(raw)


def choice(value: Any, kind: type[E], name: str) -> E:
    """``value`` as a member of ``kind``."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(f"{name} must be one of: {allowed}") from None


def iso_date(value: Any, name: str) -> date:
    """``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a date, YYYY-MM-DD") from None


def local_datetime(value: Any, name: str) -> datetime:
    """``YYYY-MM-DDTHH:MM`` in the office's local time (no zone: the counter's clock)."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a local date and time, YYYY-MM-DDTHH:MM") from None
    if parsed.tzinfo is not None:
        raise InvalidInput(f"{name} must be the office's local time, without a time zone")
    return parsed


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer; never cached (cases hold personal data)."""
    return Response(
        body=body,
        status_code=status,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store", **(headers or {})},
    )
