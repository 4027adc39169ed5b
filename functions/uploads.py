"""The secure upload page: ``GET /u/{token}`` (HTML), two JSON calls its script makes, and the script itself.

No officer token here: the link's token is the credential, checked on every call by the use cases. Answers are
never cached and never send a Referer; an unusable link gets a page in the applicant's language (Italian when
the link is unknown) that says how to get a new one. API Gateway throttles these routes (``infra/``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container
from chalicelib.domain.upload_links import LinkState, LinkUnavailable
from chalicelib.domain.uploads import UploadNotFound, UploadRefused
from chalicelib.i18n import DEFAULT_LANGUAGE
from chalicelib.observability import get_logger
from functions.http import error_response
from functions.inputs import BadInput, InvalidInput, json_body, required_text

if TYPE_CHECKING:
    from collections.abc import Callable

# The page's use cases and HTML are imported by the routes that need them: every function of the API (the
# webhook's too) imports this module on a cold start, and only the page's own requests use them.

bp = Blueprint(__name__)
log = get_logger("uploads")
SCRIPT = Path(__file__).with_name("upload.js")
SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
GONE_STATES = frozenset({LinkState.EXPIRED, LinkState.REVOKED, LinkState.EXHAUSTED, LinkState.CASE_CLOSED})
JSON_HEADERS: dict[str, str | list[str]] = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def _storage_origin() -> str:
    return container().upload_deps.storage.post_origin


def _unavailable(exc: LinkUnavailable) -> Response:
    from functions import upload_html

    status = 410 if exc.state in GONE_STATES else 404
    language = exc.language or DEFAULT_LANGUAGE
    from chalicelib.offices import offices

    # A known link's own office answers the phone; for an unknown one, the deployment's office.
    office = offices().get(exc.office or "") or offices().get(container().settings.default_office)
    body = upload_html.unavailable_page(exc.state, language, office)
    return Response(body=body, status_code=status, headers=upload_html.security_headers(None))


@bp.route("/u/{token}", methods=["GET"])
def page(token: str) -> Response:
    from chalicelib.services.uploads import page as upload_page
    from functions import upload_html

    try:
        view = upload_page.open_page(container().upload_deps, token)
    except LinkUnavailable as exc:
        return _unavailable(exc)
    except Exception as exc:
        log.exception("upload_page_failed", extra={"error_type": type(exc).__name__})
        return Response(body="", status_code=500, headers=upload_html.security_headers(None))
    headers = upload_html.security_headers(_storage_origin())
    return Response(body=upload_html.upload_page(view), status_code=200, headers=headers)


def _json(call: Callable[[], dict[str, Any]], status: int = 200) -> Response:
    """Run a JSON call of the page's script, mapping typed errors; never a trace."""
    try:
        return Response(body=call(), status_code=status, headers=JSON_HEADERS)
    except LinkUnavailable as exc:
        code = 410 if exc.state in GONE_STATES else 404
        return error_response(code, "link_unavailable", "this link does not work any more", JSON_HEADERS)
    except UploadRefused as exc:
        return error_response(422, exc.problem.value, "the file cannot be accepted", JSON_HEADERS)
    except UploadNotFound:
        return error_response(404, "upload_not_found", "no such upload for this link", JSON_HEADERS)
    except BadInput as exc:
        return error_response(400, "bad_request", str(exc), JSON_HEADERS)
    except InvalidInput as exc:
        return error_response(422, "invalid_input", str(exc), JSON_HEADERS)
    except Exception as exc:
        log.exception("upload_call_failed", extra={"error_type": type(exc).__name__})
        return error_response(500, "internal_error", "an unexpected error occurred", JSON_HEADERS)


def _size(body: dict[str, Any]) -> int:
    value = body.get("size")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("size must be a whole number of bytes")
    return value


@bp.route("/u/{token}/uploads", methods=["POST"], content_types=["application/json"])
def start(token: str) -> Response:
    def call() -> dict[str, Any]:
        from chalicelib.services.uploads import page as upload_page

        body = json_body(bp.current_request)
        item = required_text(body, "item", max_length=100)
        content_type = required_text(body, "content_type", max_length=100)
        upload, form = upload_page.start_upload(container().upload_deps, token, item, content_type, _size(body))
        expires = container().upload_deps.post_seconds
        return {
            "upload_id": upload.upload_id,
            "form": {"url": form.url, "fields": dict(form.fields)},
            "expires_in_s": expires,
        }

    return _json(call, 201)


@bp.route("/u/{token}/uploads/{upload_id}", methods=["POST"], content_types=["application/json"])
def confirm(token: str, upload_id: str) -> Response:
    def call() -> dict[str, Any]:
        from chalicelib.services.uploads import page as upload_page

        digest = required_text(json_body(bp.current_request), "sha256", max_length=64)
        if not SHA256_HEX.fullmatch(digest):
            raise InvalidInput("sha256 must be 64 hexadecimal characters")
        upload, view = upload_page.confirm_upload(container().upload_deps, token, upload_id, digest)
        return {
            "upload_id": upload.upload_id,
            "item": upload.item_code,
            "state": upload.state.value,
            "wanted": [item.code for item in view.wanted],
            "received": [item.code for item in view.received],
        }

    return _json(call)


@lru_cache(maxsize=1)
def _script() -> str:
    return SCRIPT.read_text(encoding="utf-8")


@bp.route("/assets/upload.js", methods=["GET"])
def script() -> Response:
    headers: dict[str, str | list[str]] = {
        "Content-Type": "text/javascript; charset=utf-8",
        "Cache-Control": "public, max-age=3600",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body=_script(), status_code=200, headers=headers)
