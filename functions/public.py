"""The public information endpoints: no authentication, cacheable, JSON or an accessible HTML page.

Language by ``?lang=``, then ``Accept-Language``, then Italian. Every answer carries an ``ETag`` (a hash of what
it says) and ``Cache-Control``; a matching ``If-None-Match`` gets 304 with no body. API Gateway throttles these
routes in AWS (``infra/resources.json``).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Request, Response

from chalicelib.bootstrap import container
from chalicelib.domain.errors import UnknownPermitType
from chalicelib.i18n import DEFAULT_LANGUAGE, available_languages
from chalicelib.observability import get_logger
from chalicelib.offices import UnknownOffice, office
from functions.http import error_response

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

# The catalogue, the pages and the information services are imported in the views, not here: this module shares the
# public function with the webhook, whose cold start Meta times and which needs none of them.

bp = Blueprint(__name__)
log = get_logger("public")
CACHE_SECONDS = 300


def negotiate(lang: str | None, accept_language: str | None) -> str:
    """``?lang=`` if we have it, else the best ``Accept-Language`` match, else Italian."""
    available = available_languages()
    if lang in available:
        return str(lang)
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        ranked.append((-quality, position, tag.strip()))
    for _, _, tag in sorted(ranked):
        for candidate in (tag.replace("-", "_"), tag.split("-")[0].lower()):
            if candidate.lower().startswith("zh") and "zh_Hans" in available:
                return "zh_Hans"
            if candidate in available:
                return candidate
    return DEFAULT_LANGUAGE


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]


def _answer(
    request: Request, build: Callable[[str], dict[str, Any]], page: Callable[[dict[str, Any]], str]
) -> Response:
    params: Mapping[str, str] = request.query_params or {}
    language = negotiate(params.get("lang"), request.headers.get("accept-language"))
    try:
        data = build(language)
    except UnknownPermitType as exc:
        response = error_response(404, "unknown_permit_type", "no such permit type")
        response.body["error"]["valid"] = list(exc.valid_codes)
        return response
    except UnknownOffice:
        return error_response(404, "unknown_office", "no such office")
    from functions.public_html import SECURITY_HEADERS

    html = _wants_html(request)
    body = page(data) if html else json.dumps(data, ensure_ascii=False, sort_keys=True)
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    headers: dict[str, str | list[str]] = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={CACHE_SECONDS}",
        "Vary": "Accept, Accept-Language",
        "Content-Language": language.replace("_", "-"),
    }
    if request.headers.get("if-none-match") in (etag, f"W/{etag}"):
        return Response(body="", status_code=304, headers=headers)
    content_type = "text/html; charset=utf-8" if html else "application/json"
    return Response(body=body, status_code=200, headers={**headers, "Content-Type": content_type, **SECURITY_HEADERS})


def _office_code(request: Request) -> str:
    params: Mapping[str, str] = request.query_params or {}
    return params.get("office") or container().settings.default_office


@bp.route("/info", methods=["GET"])
def get_office() -> Response:
    from chalicelib.services import public_info
    from functions import public_html

    request = bp.current_request
    code = _office_code(request)
    return _answer(request, lambda lang: public_info.office_info(office(code), lang), public_html.office_page)


@bp.route("/info/procedures", methods=["GET"])
def get_procedures() -> Response:
    from chalicelib.catalogue import load_catalogue
    from chalicelib.services import public_info
    from functions import public_html

    request = bp.current_request
    return _answer(request, lambda lang: public_info.procedures(load_catalogue(), lang), public_html.procedures_page)


@bp.route("/info/procedures/{permit_type}", methods=["GET"])
def get_procedure(permit_type: str) -> Response:
    from chalicelib.catalogue import load_catalogue
    from chalicelib.services import public_info
    from functions import public_html

    request = bp.current_request

    def build(lang: str) -> dict[str, Any]:
        return public_info.procedure_detail(load_catalogue().permit(permit_type), lang)

    return _answer(request, build, public_html.procedure_page)


@bp.route("/info/waiting-times", methods=["GET"])
def get_waiting_times() -> Response:
    from chalicelib.services import public_info
    from functions import public_html

    request = bp.current_request
    code = _office_code(request)

    def build(lang: str) -> dict[str, Any]:
        office(code)  # 404 for an unknown office
        summary = container().summaries.get(public_info.waiting_times_id(code))
        return public_info.waiting_times_view(code, summary, lang)

    return _answer(request, build, public_html.waiting_page)


@bp.route("/info/privacy", methods=["GET"])
def get_privacy_notice() -> Response:
    from chalicelib.services import privacy
    from functions import public_html

    request = bp.current_request
    code = _office_code(request)
    return _answer(
        request, lambda lang: privacy.notice(office(code), container().privacy, lang), public_html.privacy_page
    )
