"""The phone side: a person or a test plays the applicant and the simulator delivers to the app."""

from __future__ import annotations

from typing import Any

import flask

from devtools.simulator import delivery, webhooks
from devtools.simulator.inbound import InboundError, build_message
from devtools.simulator.state import current_state

phone = flask.Blueprint("phone", __name__, url_prefix="/_simulator")
FLUSH_MODES = ("batch", "reverse", "in_order")


def _json_object() -> dict[str, Any]:
    data = flask.request.get_json(silent=True)
    if not isinstance(data, dict):
        flask.abort(flask.make_response(flask.jsonify({"error": "expected a JSON object"}), 400))
    return data


def _bad_request(message: str) -> flask.Response:
    response = flask.jsonify({"error": message})
    response.status_code = 400
    return response


@phone.post("/inbound")
def inbound() -> flask.Response:
    """A user sends a message: build, sign and post the webhook (or hold it)."""
    state = current_state()
    request = _json_object()
    try:
        user, shown, message = build_message(state, request)
    except InboundError as exc:
        return _bad_request(str(exc))
    number = state.inbound_numbers[str(message["id"])]
    payload = webhooks.inbound(state.config, shown, message, number)
    with state.lock:
        hold = state.switches.hold
        if hold:
            state.held.append(payload)
    statuses = [] if hold else delivery.post(state, payload, "inbound")
    return flask.jsonify(
        {
            "wamid": message["id"],
            "user_id": user.user_id,
            "wa_id": shown.wa_id,
            "phone_number_id": number,
            "media_id": (message.get("image") or message.get("document") or {}).get("id"),
            "held": hold,
            "webhook_status": statuses[0] if statuses else None,
            "webhook_statuses": statuses,
            "deliveries": len(statuses),
        }
    )


@phone.post("/flush")
def flush() -> flask.Response:
    """Deliver held inbound webhooks: merged into one (``batch``), ``reverse`` or ``in_order``.

    ``batch`` sends one webhook with a single entry whose ``changes`` has one change per held webhook.
    """
    state = current_state()
    mode = (flask.request.get_json(silent=True) or {}).get("mode", "in_order")
    if mode not in FLUSH_MODES:
        return _bad_request(f"mode must be one of {FLUSH_MODES}")
    with state.lock:
        held, state.held = state.held, []
    if not held:
        payloads = []
    elif mode == "batch":
        payloads = [webhooks.merge_batch(held)]
    else:
        payloads = list(reversed(held)) if mode == "reverse" else held
    results = [
        {"ids": webhooks.message_ids(payload), "statuses": delivery.post(state, payload, "inbound")}
        for payload in payloads
    ]
    return flask.jsonify({"mode": mode, "flushed": len(held), "webhooks": results})
