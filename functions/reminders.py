"""``GET /api/reminders``: what is scheduled for the officer's office, soonest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container, now_ms
from chalicelib.domain.audit import AuditAction
from chalicelib.offices import office_zone
from chalicelib.services.audit import record
from functions.api import answer, officer_of
from functions.inputs import iso_instant, json_response, page_size
from functions.presenters import iso_ms

if TYPE_CHECKING:
    from collections.abc import Mapping

bp = Blueprint(__name__)
DAY_MS = 24 * 60 * 60 * 1000


def _due_before(raw: str | None, now: int, office: str) -> int:
    if not raw:
        return now + 7 * DAY_MS
    return iso_instant(raw, "due_before", office_zone(office))


@bp.route("/api/reminders", methods=["GET"])
def get_reminders() -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        params: Mapping[str, str] = bp.current_request.query_params or {}
        now = now_ms()
        before = _due_before(params.get("due_before"), now, officer.office)
        limit = page_size(params.get("limit", "50"), 200)
        reminders = container().reminders.scheduled(officer.office, before, limit)
        record(container().audit, officer, AuditAction.CASE_LIST, None, now, listing="reminders")
        return json_response(
            {
                "due_before": iso_ms(before),
                "reminders": [
                    {
                        "case_id": r.case_id,
                        "kind": r.kind.value,
                        "due_at": iso_ms(r.due_at_ms),
                        "state": r.state.value,
                        "attempt": r.attempt,
                    }
                    for r in reminders
                ],
            }
        )

    return answer(run)
