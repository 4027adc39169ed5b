"""Small helpers shared by the HTTP blueprints: one JSON error shape, never a stack trace."""

from __future__ import annotations

from chalice.app import Response


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """``{"error": {"code", "message"}}`` with ``status``."""
    return Response(
        body={"error": {"code": code, "message": message}},
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
