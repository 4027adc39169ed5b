"""The HTTP surface each deployed function registers: the public one imports only the public blueprints.

``app.py`` asks here at import. In AWS the public function (``SPORTELLO_FUNCTION=PublicHandler``) then never imports
the officers' blueprints and their use cases: a smaller attack surface and a faster cold start for the webhook,
whose first answer Meta times. The event functions (stream, schedules, queue) register none: they serve no HTTP.
Where no function is named (``chalice package``, ``make run``, tests) and in the API function, every blueprint is
registered, and ``functions/entry.py`` refuses the paths that belong to the other function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from functions.entrypoints import API_FUNCTION, PUBLIC_FUNCTION

if TYPE_CHECKING:
    from chalice.app import Blueprint


def blueprints(function: str) -> list[Blueprint]:
    """The blueprints ``function`` (a template logical id, or "" for all) serves."""
    if function not in ("", PUBLIC_FUNCTION, API_FUNCTION):
        return []
    from functions import console, openapi, public, uploads, webhook

    served = [webhook.bp, public.bp, uploads.bp, console.bp, openapi.bp]
    if function == PUBLIC_FUNCTION:
        return served
    from functions import audit_log, calendar, erasure, officers, reminders, upload_links, workspace

    return [*served, officers.bp, audit_log.bp, reminders.bp, upload_links.bp, workspace.bp, calendar.bp, erasure.bp]
