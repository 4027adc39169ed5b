"""Officers and the secure upload links of a case: ``GET`` lists them (never the tokens), ``DELETE`` revokes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container
from chalicelib.services.uploads import link_admin as admin
from functions.api import answer, officer_of
from functions.inputs import json_response
from functions.presenters import actor_json, iso_ms

if TYPE_CHECKING:
    from chalicelib.services.uploads.link_admin import LinkView

bp = Blueprint(__name__)


def link_json(view: LinkView) -> dict[str, Any]:
    """A link as officers see it."""
    link = view.link
    return {
        "link_id": link.link_id,
        "state": view.state.value,
        "issued_for": link.issued_for.value,
        "created_at": iso_ms(link.created_at_ms),
        "expires_at": iso_ms(link.expires_at_ms),
        "uses": link.uses,
        "revoked_at": iso_ms(link.revoked_at_ms) if link.revoked_at_ms is not None else None,
        "revoked_by": actor_json(link.revoked_by) if link.revoked_by else None,
    }


@bp.route("/api/cases/{case_id}/upload-links", methods=["GET"])
def list_links(case_id: str) -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        views = admin.list_links(container().upload_deps, officer, case_id)
        return json_response({"links": [link_json(v) for v in views]})

    return answer(run)


@bp.route("/api/cases/{case_id}/upload-links", methods=["DELETE"])
def revoke_all(case_id: str) -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        views = admin.revoke(container().upload_deps, officer, case_id, None)
        return json_response({"links": [link_json(v) for v in views]})

    return answer(run)


@bp.route("/api/cases/{case_id}/upload-links/{link_id}", methods=["DELETE"])
def revoke_one(case_id: str, link_id: str) -> Response:
    def run() -> Response:
        officer = officer_of(bp.current_request)
        views = admin.revoke(container().upload_deps, officer, case_id, link_id)
        return json_response({"link": link_json(views[0])})

    return answer(run)
