"""``chalice local`` answering like the deployed API Gateway where the app is never reached.

    python -m devtools.local_api local --host 127.0.0.1 --port 8000 --stage dev --no-autoreload

Chalice's local gateway answers a path no route has with 403 ``{"message": "Missing Authentication Token"}``;
in AWS the template's gateway responses (``infra/responses.py``) turn that into 404 ``not_found`` in the app's
error shape. This runs the chalice command line with the same answer, so ``make run`` behaves as deployed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from chalice import local
from chalice.cli import main as chalice_main

from infra.responses import ANSWERS, HEADERS

_STATUS, _CODE, _MESSAGE = ANSWERS["MISSING_AUTHENTICATION_TOKEN"]


class NoSuchRoute(local.LocalGatewayException):
    """A path no route has (API Gateway's MISSING_AUTHENTICATION_TOKEN)."""

    CODE = _STATUS or 404


def no_such_route() -> NoSuchRoute:
    """The deployed gateway's answer to a path no route has."""
    body = json.dumps({"error": {"code": _CODE, "message": _MESSAGE}}).encode()
    return NoSuchRoute({**HEADERS, "Content-Type": "application/json"}, body)


class Gateway(local.LocalGateway):
    """Chalice's local gateway, with the deployed answer to an unknown path."""

    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            return super()._generate_lambda_event(method, path, headers, body)
        except ValueError:  # no route matches the path (chalice's RouteMatcher)
            raise no_such_route() from None


def main() -> int:
    """Run the chalice command line with :class:`Gateway` in place of chalice's own."""
    local.LocalGateway = Gateway  # type: ignore[misc]  # chalice's request handler builds one per request
    sys.argv[0] = "chalice"
    return int(chalice_main() or 0)


if __name__ == "__main__":
    sys.exit(main())
