"""The officers' workspace: the inbox, a case's conversation, and the office's officers."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container, now_ms
from chalicelib.services.cases.conversation import read_conversation
from chalicelib.services.cases.inbox import read_inbox
from chalicelib.services.cases.ports import AssignedFilter
from chalicelib.services.officers import list_officers
from chalicelib.services.pagination import decode_cursor, encode_cursor
from functions import presenters
from functions.api import answer, officer_language, officer_of
from functions.inputs import InvalidInput, json_response, page_size

bp = Blueprint(__name__)
MAX_PAGE = 100


def _assigned(value: str | None, username: str) -> AssignedFilter | None:
    if not value:
        return None
    if value == "me":
        return AssignedFilter(username=username)
    if value == "unassigned":
        return AssignedFilter(unassigned=True)
    raise InvalidInput("assigned must be me or unassigned")


@bp.route("/api/inbox", methods=["GET"])
def get_inbox() -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        params = dict(bp.current_request.query_params or {})
        assigned = _assigned(params.get("assigned"), officer.username)
        limit = page_size(params.get("limit", "25"), MAX_PAGE)
        scope, secret = f"inbox:{officer.office}:{assigned}", container().cursor_secret()
        start = decode_cursor(params.get("cursor"), scope, secret)
        page = read_inbox(container().case_deps, officer, assigned, limit, start)
        now = now_ms()
        return json_response(
            {
                "cases": [presenters.inbox_row_json(case, now) for case in page.cases],
                "next_cursor": encode_cursor(page.last_key, scope, secret),
            }
        )

    return answer(run)


@bp.route("/api/cases/{case_id}/conversation", methods=["GET"])
def get_conversation(case_id: str) -> Response:
    def run() -> Response:
        request = bp.current_request
        officer = officer_of(request)
        params = dict(request.query_params or {})
        limit = page_size(params.get("limit", "50"), MAX_PAGE)
        scope, secret = f"conversation:{officer.office}:{case_id}", container().cursor_secret()
        start = decode_cursor(params.get("cursor"), scope, secret)
        before = start.get("before") if start else None
        view = read_conversation(
            container().case_deps, officer, case_id, before if isinstance(before, str) else None, limit
        )
        older = encode_cursor({"before": view.page.older} if view.page.older else None, scope, secret)
        return json_response(presenters.conversation_json(view, older, officer_language(request)))

    return answer(run)


@bp.route("/api/officers", methods=["GET"])
def get_officers() -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        deps = container()
        officers = list_officers(deps.officers, deps.audit, officer, now_ms())
        return json_response(
            {
                "officers": [
                    {
                        "sub": profile.subject,
                        "username": profile.username,
                        "name": profile.display_name,
                        "role": profile.role.value,
                        "last_seen_at": presenters.iso_ms(profile.last_seen_at_ms),
                    }
                    for profile in officers
                ]
            }
        )

    return answer(run)
