"""Meta-shaped Graph API errors."""

from __future__ import annotations

from typing import Any

from devtools.simulator.identity import fbtrace_id

# Titles Meta uses in statuses[].errors and in error messages, for the codes the simulator produces.
TITLES = {
    1: "API Unknown",
    100: "Invalid parameter",
    131000: "Something went wrong",
    131009: "Parameter value is not valid",
    131016: "Service unavailable",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131049: "This message was not delivered to maintain healthy ecosystem engagement.",
    131050: "User has stopped marketing messages",
    131051: "Unsupported message type",
    131053: "Media upload error",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    130429: "Rate limit hit",
    130472: "User's number is part of an experiment",
    132000: "Number of parameters does not match the expected number of params",
}
HREF = "https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes/"


class GraphError(Exception):
    """An error the simulated Graph API answers with; rendered by the app's error handler."""

    def __init__(
        self,
        code: int,
        details: str | None = None,
        *,
        http_status: int = 400,
        message: str | None = None,
        error_type: str = "OAuthException",
        subcode: int | None = None,
    ) -> None:
        self.code = code
        self.details = details
        self.http_status = http_status
        self.message = message or f"(#{code}) {TITLES.get(code, 'Error')}"
        self.error_type = error_type
        self.subcode = subcode
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        """``{"error": {message, type, code, error_data?, error_subcode?, fbtrace_id}}`` as Meta sends."""
        error: dict[str, Any] = {"message": self.message, "type": self.error_type, "code": self.code}
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}


def auth_error() -> GraphError:
    """Missing or wrong Bearer token."""
    return GraphError(190, http_status=401, message="Invalid OAuth access token - Cannot parse access token")


def unknown_object(object_id: str) -> GraphError:
    """What Graph answers for an id that does not exist (or that the token cannot see)."""
    return GraphError(
        100,
        error_type="GraphMethodException",
        subcode=33,
        message=(
            f"Unsupported post request. Object with ID '{object_id}' does not exist, cannot be loaded due "
            "to missing permissions, or does not support this operation. Please read the Graph API "
            "documentation at https://developers.facebook.com/docs/graph-api"
        ),
    )


def status_error(code: int, details: str | None = None) -> dict[str, Any]:
    """An entry of ``statuses[].errors`` (asynchronous failure)."""
    title = TITLES.get(code, "Error")
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details or title},
        "href": HREF,
    }
