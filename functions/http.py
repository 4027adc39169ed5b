"""Small helpers shared by the HTTP blueprints: one JSON error shape, never a stack trace."""

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
