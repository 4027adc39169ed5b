"""Each deployed function answers only its own paths: the public one never serves the officers' API.

In AWS, API Gateway sends public paths to ``PublicHandler`` and ``/api/*`` to ``APIHandler`` (see
``functions/entrypoints.py``); both run this same app. ``SPORTELLO_FUNCTION`` (set by the template) names which one this
is, and a path routed to the wrong one is answered 404, as if the route did not exist, before any view or any AWS
call. Unset (``make run``, tests), one process serves everything.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from functions.entrypoints import API_FUNCTION, PUBLIC_FUNCTION, function_for_path
from functions.http import error_response

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalice.app import Request, Response

FUNCTION_VARIABLE = "SPORTELLO_FUNCTION"
KNOWN = frozenset({PUBLIC_FUNCTION, API_FUNCTION})


def only_own_paths(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: 404 for a path this function does not serve."""
    this = os.environ.get(FUNCTION_VARIABLE, "")
    if this in KNOWN and function_for_path(request.path) != this:
        return error_response(404, "not_found", "No such resource.")
    return get_response(request)
