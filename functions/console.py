"""The officers' console at ``/console``: one HTML shell and its static assets, built on the JSON API only.

The shell carries the sign-in settings (the OAuth 2 endpoints: Cognito's hosted UI in AWS, the local sign-in under
``make run``) and the console's texts from the gettext catalogues; the scripts are ES modules served from a fixed
list of files (never a path from the request). Strict Content-Security-Policy: scripts and styles from the app
only, documents from the bucket's short-lived links, no third party, no inline script.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container
from functions import console_html

bp = Blueprint(__name__)


@bp.route("/console", methods=["GET"])
def console() -> Response:
    request = bp.current_request
    deps = container()
    prefix = console_html.path_prefix(request.context.get("path", "/console"))
    redirect_uri = deps.settings.console_url or console_html.own_url(request.headers, prefix)
    shell = console_html.Shell(
        prefix=prefix,
        auth_url=deps.settings.console_auth_url,
        client_id=deps.settings.auth_audience,
        redirect_uri=redirect_uri,
        document_origin=deps.s3_documents.document_origin,
    )
    return Response(body=console_html.page(shell), status_code=200, headers=console_html.page_headers(shell))


@bp.route("/console/assets/{name}", methods=["GET"])
def asset(name: str) -> Response:
    found = console_html.asset(name)
    if found is None:
        return Response(body="", status_code=404, headers={"Content-Type": "text/plain", "Cache-Control": "no-store"})
    etag = f'"{found.digest}"'
    headers: dict[str, str | list[str]] = {
        "Content-Type": found.content_type,
        "Cache-Control": "no-cache",  # revalidated on each load (a 304 when unchanged): a new release shows at once
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
    }
    if bp.current_request.headers.get("if-none-match") == etag:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=found.body, status_code=200, headers=headers)
