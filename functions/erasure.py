"""Erasure (art. 17) and access (art. 15) for supervisors: erase a case, decide an applicant's erasure request,
export everything held about an applicant."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container
from chalicelib.domain.erasure import ErasureDecision, ErasureReason, RefusalReason
from chalicelib.services.cases.erasure import decide_erasure_request, erase_case
from chalicelib.services.cases.export import export_case
from functions import presenters
from functions.api import answer, officer_language, officer_of
from functions.inputs import InvalidInput, choice, json_body, json_response
from functions.upload_links import link_json

if TYPE_CHECKING:
    from chalicelib.services.cases.erasure import ErasureResult
    from chalicelib.services.cases.export import CaseExport

bp = Blueprint(__name__)


def _erased_json(result: ErasureResult) -> dict[str, Any]:
    return {
        "case": presenters.case_json(result.case),
        "notice": result.notice,
        "already_erased": result.already_erased,
    }


@bp.route("/api/cases/{case_id}/erase", methods=["POST"], content_types=["application/json"])
def post_erase(case_id: str) -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        body = json_body(bp.current_request)
        reason = choice(body.get("reason"), ErasureReason, "reason")
        return json_response(_erased_json(erase_case(container().erasure_deps, officer, case_id, reason)))

    return answer(run)


@bp.route("/api/cases/{case_id}/erasure-request", methods=["POST"], content_types=["application/json"])
def post_erasure_request(case_id: str) -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        body = json_body(bp.current_request)
        decision = choice(body.get("decision"), ErasureDecision, "decision")
        refusal = None
        if decision is ErasureDecision.REFUSE:
            if body.get("reason") is None:
                raise InvalidInput("a refusal needs its reason")
            refusal = choice(body.get("reason"), RefusalReason, "reason")
        result = decide_erasure_request(container().erasure_deps, officer, case_id, decision, refusal=refusal)
        return json_response(_erased_json(result))

    return answer(run)


def _reminder_json(export: CaseExport) -> list[dict[str, Any]]:
    return [
        {
            "kind": r.kind.value,
            "due_at": presenters.iso_ms(r.due_at_ms),
            "state": r.state.value,
            "attempt": r.attempt,
            "outcome": r.outcome,
        }
        for r in export.reminders
    ]


def _applicant_json(record: Any) -> dict[str, Any] | None:
    # The stored record as it is (numbers as JSON numbers): what an access request is owed.
    if record is None:
        return None
    return {str(key): (int(value) if isinstance(value, float) else value) for key, value in record.items()}


def export_json(export: CaseExport, language: str) -> dict[str, Any]:
    """``GET /api/cases/{id}/export``."""
    from chalicelib.services.uploads.link_admin import LinkView

    now = export.exported_at_ms
    max_uses = container().settings.upload_link_max_uses
    return {
        "exported_at": presenters.iso_ms(now),
        "case": presenters.case_json(export.case, language),
        "timeline": [presenters.event_json(e) for e in export.events],
        "documents": [presenters.document_json(d) for d in export.documents],
        "thread": [presenters.thread_entry_json(t, language) for t in export.thread],
        "thread_complete": export.thread_complete,
        "upload_links": [link_json(LinkView(link, link.state(now, max_uses))) for link in export.links],
        "reminders": _reminder_json(export),
        "appointment": presenters.appointment_json(export.case),
        "applicant_record": _applicant_json(export.applicant),
    }


@bp.route("/api/cases/{case_id}/export", methods=["GET"])
def get_export(case_id: str) -> Response:
    def run() -> Response:
        request = bp.current_request
        export = export_case(container().export_deps, officer_of(request), case_id)
        return json_response(export_json(export, officer_language(request)))

    return answer(run)
