"""The officers' JSON API under ``/api``: every route authenticates, parses, calls one use case, answers."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container
from chalicelib.domain.cases import CaseStatus, CloseReason
from chalicelib.domain.catalogue import Procedure
from chalicelib.domain.checklist import Rejection, RejectionReason
from chalicelib.offices import office_zone
from chalicelib.services.cases import actions
from chalicelib.services.cases.ports import CaseFilter
from chalicelib.services.cases.registry import RegisterCase, list_cases, register_case, view_case
from chalicelib.services.pagination import decode_cursor, encode_cursor
from functions import presenters
from functions.api import answer, officer_language, officer_of
from functions.applicants import applicant_from
from functions.inputs import (
    InvalidInput,
    choice,
    end_of_local_day,
    flag,
    idempotency_key,
    iso_date,
    json_body,
    json_response,
    local_datetime,
    page_size,
    required_text,
    text,
)

bp = Blueprint(__name__)
MAX_PAGE = 100


@bp.route("/api/cases", methods=["POST"], content_types=["application/json"])
def create_case() -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        body = json_body(bp.current_request)
        command = RegisterCase(
            procedure=choice(body.get("procedure"), Procedure, "procedure"),
            permit_type=required_text(body, "permit_type", 60),
            applicant=applicant_from(body.get("applicant")),
            pratica_number=text(body, "pratica_number", max_length=40),
            permit_expiry=iso_date(body["permit_expiry"], "permit_expiry") if body.get("permit_expiry") else None,
            assigned_officer=text(body, "assigned_officer", max_length=120),
            variant=text(body, "variant", max_length=60),
        )
        case, outcome = register_case(container().case_deps, officer, command)
        return json_response({"case": presenters.case_json(case), "opening_message": outcome}, 201)

    return answer(run)


def _filters(params: dict[str, str], officer_username: str, office: str) -> CaseFilter:
    assigned = params.get("assigned")
    waiting = params.get("waiting_since")
    return CaseFilter(
        status=choice(params["status"], CaseStatus, "status") if params.get("status") else None,
        officer=officer_username if assigned == "me" else assigned or None,
        missing=params.get("missing") or None,
        waiting_since_ms=_epoch_ms(waiting, office) if waiting else None,
        unanswered=flag(params, "unanswered"),
    )


def _epoch_ms(value: str, office: str) -> int:
    """The end of that day at the office: "waiting since" a day is a day on the office's calendar, not UTC's."""
    return end_of_local_day(iso_date(value, "waiting_since"), office_zone(office))


def _limit(params: dict[str, str]) -> int:
    return page_size(params.get("limit", "25"), MAX_PAGE)


@bp.route("/api/cases", methods=["GET"])
def search_cases() -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        params = dict(bp.current_request.query_params or {})
        filters = _filters(params, officer.username, officer.office)
        scope = f"cases:{officer.office}:{filters}"
        secret = container().cursor_secret()
        start = decode_cursor(params.get("cursor"), scope, secret)
        page = list_cases(container().case_deps, officer, filters, _limit(params), start)
        return json_response(
            {
                "cases": [presenters.case_summary(case) for case in page.cases],
                "next_cursor": encode_cursor(page.last_key, scope, secret),
            }
        )

    return answer(run)


@bp.route("/api/cases/{case_id}", methods=["GET"])
def get_case(case_id: str) -> Response:
    def run() -> Response:
        request = bp.current_request
        view = view_case(container().case_deps, officer_of(request), case_id)
        body = presenters.case_view_json(view, officer_language(request))
        return json_response(body, headers={"ETag": f'"{view.case.version}"'})

    return answer(run)


def _action(case_id: str, act: Any) -> Response:
    """Authenticate, parse the body, run ``act(deps, officer, case_id, body)``, answer the case."""

    def run() -> Response:
        officer = officer_of(bp.current_request)
        body = json_body(bp.current_request)
        result = act(container().case_deps, officer, case_id, body)
        return json_response(result)

    return answer(run)


@bp.route("/api/cases/{case_id}/messages", methods=["POST"], content_types=["application/json"])
def post_message(case_id: str) -> Response:
    def act(deps: Any, officer: Any, cid: str, body: dict[str, Any]) -> dict[str, Any]:
        use_template = body.get("template") is True
        message = "" if use_template else required_text(body, "text", 4096)
        key = idempotency_key(body)
        result = actions.send_message(deps, officer, cid, message, use_template, idempotency_key=key)
        return {"case": presenters.case_json(result.case), "message": result.notification}

    return _action(case_id, act)


@bp.route("/api/cases/{case_id}/requests", methods=["POST"], content_types=["application/json"])
def post_request(case_id: str) -> Response:
    def act(deps: Any, officer: Any, cid: str, body: dict[str, Any]) -> dict[str, Any]:
        items = body.get("items")
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            raise InvalidInput("items must be a non-empty list of checklist item codes")
        result = actions.request_documents(deps, officer, cid, list(dict.fromkeys(items)), text(body, "note") or "")
        return {"case": presenters.case_json(result.case), "message": result.notification}

    return _action(case_id, act)


@bp.route("/api/cases/{case_id}/documents", methods=["POST"], content_types=["application/json"])
def post_document(case_id: str) -> Response:
    def act(deps: Any, officer: Any, cid: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            content = base64.b64decode(required_text(body, "content_base64", 20_000_000), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("content_base64 must be base64") from None
        result, document = actions.attach_document(
            deps,
            officer,
            cid,
            item_code=required_text(body, "item", 80),
            body=content,
            content_type=required_text(body, "content_type", 80),
            filename=text(body, "filename", max_length=200),
        )
        return {"case": presenters.case_json(result.case), "document_id": document.document_id}

    return _action(case_id, act)


@bp.route("/api/cases/{case_id}/documents/{document_id}", methods=["PATCH"], content_types=["application/json"])
def patch_document(case_id: str, document_id: str) -> Response:
    def act(deps: Any, officer: Any, cid: str, body: dict[str, Any]) -> dict[str, Any]:
        decision = body.get("decision")
        if decision == "accept":
            rejection = None
        elif decision == "reject":
            reason = choice(body.get("reason"), RejectionReason, "reason")
            rejection = Rejection(reason, text(body, "note", max_length=500) or "")
        else:
            raise InvalidInput("decision must be accept or reject")
        result = actions.review_document(deps, officer, cid, document_id, rejection)
        return {"case": presenters.case_json(result.case), "message": result.notification}

    return _action(case_id, act)


@bp.route("/api/cases/{case_id}/checklist/{item}", methods=["PATCH"], content_types=["application/json"])
def patch_item(case_id: str, item: str) -> Response:
    def act(deps: Any, officer: Any, cid: str, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body.get("at_counter"), bool):
            raise InvalidInput("at_counter must be true or false")
        return {"case": presenters.case_json(actions.set_at_counter(deps, officer, cid, item, body["at_counter"]))}

    return _action(case_id, act)


@bp.route("/api/cases/{case_id}/appointment", methods=["POST"], content_types=["application/json"])
def post_appointment(case_id: str) -> Response:
    def act(deps: Any, officer: Any, cid: str, body: dict[str, Any]) -> dict[str, Any]:
        result = actions.book_appointment(
            deps,
            officer,
            cid,
            local_datetime(body.get("at"), "at"),
            place=text(body, "place", max_length=300),
            override_reason=text(body, "override_reason", max_length=500),
        )
        return {"case": presenters.case_json(result.case), "message": result.notification}

    return _action(case_id, act)


@bp.route("/api/cases/{case_id}/appointment", methods=["PATCH"], content_types=["application/json"])
def patch_appointment(case_id: str) -> Response:
    def act(deps: Any, officer: Any, cid: str, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body.get("attended"), bool):
            raise InvalidInput("attended must be true (the applicant came) or false (they did not)")
        result = actions.mark_visit(deps, officer, cid, body["attended"])
        return {"case": presenters.case_json(result.case), "message": result.notification}

    return _action(case_id, act)


@bp.route("/api/cases/{case_id}/notes", methods=["POST"], content_types=["application/json"])
def post_note(case_id: str) -> Response:
    def act(deps: Any, officer: Any, cid: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"case": presenters.case_json(actions.add_note(deps, officer, cid, required_text(body, "text", 4000)))}

    return _action(case_id, act)


@bp.route("/api/cases/{case_id}/assign", methods=["POST"], content_types=["application/json"])
def post_assign(case_id: str) -> Response:
    def act(deps: Any, officer: Any, cid: str, body: dict[str, Any]) -> dict[str, Any]:
        if "officer" not in body:
            raise InvalidInput("officer is required (a username, or null to unassign)")
        assignee = text(body, "officer", max_length=120)
        return {"case": presenters.case_json(actions.assign(deps, officer, cid, assignee))}

    return _action(case_id, act)


@bp.route("/api/cases/{case_id}/close", methods=["POST"], content_types=["application/json"])
def post_close(case_id: str) -> Response:
    def act(deps: Any, officer: Any, cid: str, body: dict[str, Any]) -> dict[str, Any]:
        reason = choice(body.get("reason"), CloseReason, "reason")
        result = actions.close(deps, officer, cid, reason, text(body, "note") or "")
        return {"case": presenters.case_json(result.case), "message": result.notification}

    return _action(case_id, act)
