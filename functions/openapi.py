"""``GET /openapi.json``: the API's OpenAPI 3.1 description (``functions/openapi.json``, kept true by tests).

The file ships next to this module (``vendor/functions`` puts it at the zip root); it is read on the first
request and kept, never at import, so a cold start that never serves it never pays for it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from chalice.app import Blueprint, Response

DOCUMENT = Path(__file__).with_name("openapi.json")
MAX_AGE_S = 300  # public and the same for everyone; a deploy changes it, so not for long

bp = Blueprint(__name__)


@cache
def document() -> str:
    """The document's JSON text, as shipped."""
    return DOCUMENT.read_text(encoding="utf-8")


@bp.route("/openapi.json", methods=["GET"])
def openapi_document() -> Response:
    return Response(
        body=document(),
        status_code=200,
        headers={"Content-Type": "application/json", "Cache-Control": f"public, max-age={MAX_AGE_S}"},
    )
