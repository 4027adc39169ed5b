"""API Gateway's own answers in the app's error shape, with the app's security headers.

Some requests never reach a function: a path no route has (API Gateway says 403 "Missing Authentication Token"), a
burst over the throttle, a body over its limit, a function timeout. Their answers are set here so that every client
sees ``{"error": {"code", "message"}}`` and the same HSTS and nosniff headers as the app's own answers
(``functions/http.py``).
"""

from __future__ import annotations

import json
from typing import Any

from functions.http import SECURITY_HEADERS

HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
# Gateway response type -> (status, code, message). Status None keeps API Gateway's own.
ANSWERS: dict[str, tuple[int | None, str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "No such resource."),
    "RESOURCE_NOT_FOUND": (404, "not_found", "No such resource."),
    "THROTTLED": (429, "too_many_requests", "Too many requests: try again shortly."),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", "The request body is too large."),
    "INTEGRATION_TIMEOUT": (504, "timeout", "The service took too long to answer: try again."),
    "DEFAULT_4XX": (None, "bad_request", "The request was refused."),
    "DEFAULT_5XX": (None, "unavailable", "The service is unavailable: try again shortly."),
}


def gateway_responses() -> dict[str, Any]:
    """SAM's ``GatewayResponses`` for the API."""
    headers = {name: f"'{value}'" for name, value in HEADERS.items()}  # literal values are quoted for API Gateway
    found: dict[str, Any] = {}
    for kind, (status, code, message) in ANSWERS.items():
        body = json.dumps({"error": {"code": code, "message": message}})
        answer: dict[str, Any] = {
            "ResponseParameters": {"Headers": headers},
            "ResponseTemplates": {"application/json": body},
        }
        if status is not None:
            answer["StatusCode"] = str(status)
        found[kind] = answer
    return found


def add(template: dict[str, Any]) -> None:
    """Set the API's gateway responses, in place."""
    template["Resources"]["RestAPI"]["Properties"]["GatewayResponses"] = gateway_responses()
