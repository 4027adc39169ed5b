"""The Graph API side: what the app calls (sends, mark-as-read, media retrieval and download)."""

from __future__ import annotations

import flask
from werkzeug.routing import BaseConverter

from devtools.simulator import delivery
from devtools.simulator.errors import GraphError, unknown_object
from devtools.simulator.identity import new_token
from devtools.simulator.sending import check_token, handle
from devtools.simulator.state import SimulatorState, current_state

MEDIA_URL_TTL_SECONDS = 300  # "Media URLs expire after 5 minutes."

graph = flask.Blueprint("graph", __name__)


class GraphVersionConverter(BaseConverter):
    """``v25.0``-like path segments, so Graph routes never swallow ``/_simulator/...`` paths."""

    regex = r"v\d+(?:\.\d+)?"


@graph.post("/<graph_version:version>/<phone_number_id>/messages")
def send_message(version: str, phone_number_id: str) -> flask.Response:
    """Send a message or mark one as read."""
    state = current_state()
    result = handle(state, phone_number_id, flask.request.headers.get("Authorization"), flask.request.data)
    if result.user is not None and result.plan:
        delivery.statuses_in_background(state, result.entry, result.user, list(result.plan), result.failure)
    response = flask.jsonify(result.body)
    response.status_code = result.http_status
    return response


def _inject_media_error(state: SimulatorState) -> None:
    """Honour the ``media_errors`` switch: the next N media requests fail as Meta's do under load."""
    with state.lock:
        if state.switches.media_errors > 0:
            state.switches.media_errors -= 1
            raise GraphError(131016, "Service temporarily unavailable. Please retry.", http_status=500)


@graph.get("/<graph_version:version>/<media_id>")
def media_info(version: str, media_id: str) -> flask.Response:
    """Step 1 of a media download: a short-lived URL plus type, hash and size."""
    state = current_state()
    check_token(state, flask.request.headers.get("Authorization"))
    _inject_media_error(state)
    owner = flask.request.args.get("phone_number_id")
    with state.lock:
        media = state.media.get(media_id)
        if media is None or (owner is not None and owner != (media.phone_number_id or state.config.phone_number_id)):
            raise unknown_object(media_id)
        token = new_token()
        state.media_urls[token] = (media_id, state.now())
    return flask.jsonify(
        {
            "messaging_product": "whatsapp",
            "url": f"{flask.request.host_url.rstrip('/')}/_media/{token}",
            "mime_type": media.mime_type,
            "sha256": media.sha256_hex,
            "file_size": len(media.data),
            "id": media.media_id,
        }
    )


@graph.get("/_media/<token>")
def media_download(token: str) -> flask.Response:
    """Step 2: the bytes, with the same Bearer token, within 5 minutes of step 1."""
    state = current_state()
    check_token(state, flask.request.headers.get("Authorization"))
    _inject_media_error(state)
    with state.lock:
        issued = state.media_urls.get(token)
        media = state.media.get(issued[0]) if issued else None
        if issued is None or media is None or state.now() - issued[1] > MEDIA_URL_TTL_SECONDS:
            raise GraphError(100, "Media URL not found or expired; request a new one", http_status=404)
    response = flask.Response(media.data, mimetype=media.mime_type)
    if media.filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{media.filename}"'
    return response
