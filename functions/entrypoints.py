"""Which Lambda function serves which HTTP path: the public entry points apart from the officers' API.

Chalice gives all routes of one app a single function; the packaging step (``infra/package.py``) adds a second function
with the same code and a narrower role, and points API Gateway's public paths at it. The app refuses, in that
function, any path that is not public (``functions/entry.py``), so a flaw in a public route cannot reach officer data
through a misrouted request either.
"""

from __future__ import annotations

PUBLIC_FUNCTION = "PublicHandler"
API_FUNCTION = "APIHandler"

# Exact paths and path prefixes of the public entry points: the webhook, the upload page and its script, the public
# information, the console's shell and assets (no data: the console reads the API with the officer's token), and the
# API's own contract.
PUBLIC_PATHS = frozenset({"/webhook", "/openapi.json", "/info", "/console"})
PUBLIC_PREFIXES = ("/u/", "/assets/", "/info/", "/console/")


def is_public(path: str) -> bool:
    """Whether ``path`` (a route pattern such as ``/u/{token}`` or a concrete path) is a public entry point."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def function_for_path(path: str) -> str:
    """The logical id of the Lambda function that serves ``path``."""
    return PUBLIC_FUNCTION if is_public(path) else API_FUNCTION
