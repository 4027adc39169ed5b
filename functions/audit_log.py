"""``GET /api/audit``: the office's audit log, for supervisors."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container, now_ms
from chalicelib.offices import office_zone
from chalicelib.services.audit import MAX_PAGE, AuditQuery, read_audit_log
from functions import presenters
from functions.api import answer, officer_of
from functions.inputs import iso_instant, json_response, page_size

bp = Blueprint(__name__)
DAY_MS = 24 * 60 * 60 * 1000


def _instant(value: str | None, name: str, default: int, office: str) -> int:
    return iso_instant(value, name, office_zone(office)) if value else default


@bp.route("/api/audit", methods=["GET"])
def get_audit() -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        params = dict(bp.current_request.query_params or {})
        now = now_ms()
        query = AuditQuery(
            since_ms=_instant(params.get("since"), "since", now - 7 * DAY_MS, officer.office),
            until_ms=_instant(params.get("until"), "until", now + 1, officer.office),
            limit=page_size(params.get("limit", "50"), MAX_PAGE),
            cursor=params.get("cursor"),
        )
        page = read_audit_log(container().audit, officer, query, now)
        entries = [presenters.audit_entry_json(e) for e in page.entries]
        return json_response({"entries": entries, "next_cursor": page.next_cursor})

    return answer(run)
