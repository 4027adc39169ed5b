"""Small helpers shared by the HTTP blueprints: one JSON error shape, never a stack trace, and the security headers
every answer carries."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chalice.app import Response

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from chalice.app import Request

# Chalice's own answers, given before a view runs (a body that is not JSON, a method a path does not have) or when a
# view raises: {"Code": "UnsupportedMediaType", "Message": ...}, with no Content-Type at all.
FRAMEWORK_CODES = {
    "UnsupportedMediaType": "unsupported_media_type",
    "MethodNotAllowedError": "method_not_allowed",
    "InternalServerError": "internal_error",
}

# On every answer, errors and Chalice's own included. HSTS: browsers reach the app (officers' console, applicants'
# upload page) only over HTTPS, for two years, subdomains too. nosniff: a browser never guesses another type than
# the one declared, so neither JSON nor the webhook challenge (text/plain echoing what the caller sent) can be run
# as HTML or script; it costs nothing on HTML and assets, so it goes everywhere rather than on a list of types.
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str | list[str]] | None = None
) -> Response:
    """``{"error": {"code", "message"}}`` with ``status``."""
    return Response(
        body={"error": {"code": code, "message": message}},
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def framework_errors(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: Chalice's own error answers in the API's error shape, with their ``Content-Type``."""
    response = get_response(request)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        name = str(body["Code"])
        code = FRAMEWORK_CODES.get(name) or re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
        return error_response(response.status_code, code, str(body["Message"]), headers)
    return response


def security_headers(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: :data:`SECURITY_HEADERS` on every answer; a header a route set itself is left as it is."""
    response = get_response(request)
    present = {name.lower() for name in response.headers}
    missing = {name: value for name, value in SECURITY_HEADERS.items() if name.lower() not in present}
    # A new dict, not an update: views may answer with a module-level headers constant.
    response.headers = {**response.headers, **missing}
    return response
