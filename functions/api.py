"""The officers' API edge: authentication, JSON input, and one table from error types to HTTP answers.

Handlers wrap their body in :func:`answer`, which turns typed errors into ``{"error": {"code", "message"}}``
with the right status; anything unexpected is logged by type only and answered 500, never with a trace.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chalicelib.auth import JwksUnavailable, NotAnOfficer, Unauthenticated
from chalicelib.auth.errors import SupervisorOnly
from chalicelib.bootstrap import container
from chalicelib.domain.calendar import InvalidCalendar
from chalicelib.domain.cases import ChecklistIncomplete, IllegalTransition, NoAppointment
from chalicelib.domain.checklist import InvalidReview, UnknownChecklistItem
from chalicelib.domain.erasure import NoErasureRequest
from chalicelib.domain.errors import DomainError, ProcedureNotAvailable, UnknownPermitType, UnknownVariant
from chalicelib.i18n import OFFICER_LANGUAGES
from chalicelib.observability import get_logger
from chalicelib.offices import UnknownOffice
from chalicelib.services.audit import InvalidAuditQuery
from chalicelib.services.calendar.booking import BookingRefused
from chalicelib.services.calendar.ports import CalendarConflict
from chalicelib.services.calendar.slots import InvalidRange
from chalicelib.services.cases.actions import InvalidDocument, WindowClosed
from chalicelib.services.cases.ports import CaseNotFound, VersionConflict
from chalicelib.services.pagination import InvalidCursor
from chalicelib.services.uploads.link_admin import UploadLinkNotFound
from functions.http import error_response
from functions.inputs import BadInput, InvalidInput
from functions.presenters import missing_json, slot_json

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalice.app import Request, Response

    from chalicelib.auth import Officer

log = get_logger("api")


ERRORS: tuple[tuple[type[Exception], int, str], ...] = (
    (Unauthenticated, 401, "unauthenticated"),
    (NotAnOfficer, 403, "forbidden"),
    # Officers reach an office only through their token's: one this deployment does not serve is not theirs to use.
    (UnknownOffice, 403, "forbidden"),
    (SupervisorOnly, 403, "supervisor_only"),
    (CaseNotFound, 404, "not_found"),
    (UploadLinkNotFound, 404, "not_found"),
    (BadInput, 400, "bad_request"),
    (InvalidCursor, 400, "invalid_cursor"),
    (InvalidInput, 422, "invalid_input"),
    (UnknownPermitType, 422, "unknown_permit_type"),
    (UnknownVariant, 422, "unknown_variant"),
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
    (NoErasureRequest, 409, "no_erasure_request"),
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
                    response.body["error"]["missing"] = missing_json(exc.items)
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
