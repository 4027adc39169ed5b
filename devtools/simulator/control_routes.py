"""Control and inspection endpoints under ``/_simulator`` (switches, clock, reset, listings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import flask

from devtools.simulator.identity import bsuid_for_phone, digits, looks_like_phone
from devtools.simulator.state import OutboxEntry, SimulatorState, current_state, iso

control = flask.Blueprint("control", __name__, url_prefix="/_simulator")


def _error(message: str, status: int = 400) -> flask.Response:
    response = flask.jsonify({"error": message})
    response.status_code = status
    return response


@control.get("/config")
def get_config() -> flask.Response:
    """Current switches."""
    state = current_state()
    with state.lock:
        return flask.jsonify(state.switches.to_json())


@control.post("/config")
def set_config() -> flask.Response:
    """Change some switches (partial update); answers all switches."""
    state = current_state()
    changes = flask.request.get_json(silent=True)
    if not isinstance(changes, dict):
        return _error("expected a JSON object of switches")
    with state.lock:
        try:
            state.switches.update(changes)
        except ValueError as exc:
            return _error(str(exc))
        return flask.jsonify(state.switches.to_json())


@control.post("/reset")
def reset() -> flask.Response:
    """Forget everything (users, outbox, media, webhooks, held, switches, clock offset)."""
    current_state().reset()
    return flask.jsonify({"reset": True})


@control.route("/clock", methods=["GET", "POST"])
def clock() -> flask.Response:
    """Read the simulator clock, or move it forward with ``{"advance_seconds": N}``."""
    state = current_state()
    if flask.request.method == "POST":
        advance = (flask.request.get_json(silent=True) or {}).get("advance_seconds")
        if not isinstance(advance, int | float) or isinstance(advance, bool) or advance < 0:
            return _error("'advance_seconds' must be a number >= 0")
        with state.lock:
            state.offset += advance
    with state.lock:
        now = state.now()
        return flask.jsonify({"now": iso(now), "timestamp": now, "offset_seconds": state.offset})


def _matcher(state: SimulatorState, who: str) -> tuple[str | None, str]:
    """(wa_id, user_id) identifying the user a ``to=`` filter means."""
    if looks_like_phone(who):
        wa_id = digits(who)
        user = state.user_by_wa_id(wa_id)
        return wa_id, user.user_id if user else bsuid_for_phone(wa_id)
    return None, who


def _since_filter(since: str) -> tuple[str, float]:
    if since.isdigit():
        return "index", float(since)
    return "ts", datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp()


@control.get("/messages")
def messages() -> flask.Response:
    """What the app sent, oldest first; ``to``, ``since`` (index or ISO time) and ``include=all`` filters.

    By default only accepted sends are listed; ``include=all`` adds rejected ones and mark-as-read calls.
    """
    state = current_state()
    args = flask.request.args
    try:
        since = _since_filter(args["since"]) if args.get("since") else None
    except ValueError:
        return _error("'since' must be an outbox index or an ISO-8601 time")
    with state.lock:
        wa_id, user_id = _matcher(state, args["to"]) if args.get("to") else (None, None)

        def wanted(entry: OutboxEntry) -> bool:
            if args.get("include") != "all" and (entry.kind != "message" or entry.http_status != 200):
                return False
            if user_id is not None and entry.user_id != user_id and (wa_id is None or entry.wa_id != wa_id):
                return False
            return since is None or getattr(entry, since[0]) >= since[1]

        return flask.jsonify([entry.to_json() for entry in state.outbox if wanted(entry)])


@control.get("/webhooks")
def webhook_log() -> flask.Response:
    """Every webhook delivery attempt with the app's answer; ``kind`` (prefix) and ``since`` (index)."""
    state = current_state()
    kind, since = flask.request.args.get("kind", ""), flask.request.args.get("since", "0")
    if not since.isdigit():
        return _error("'since' must be an index")
    with state.lock:
        records: list[dict[str, Any]] = [
            record for record in state.webhooks[int(since) :] if str(record["kind"]).startswith(kind)
        ]
        return flask.jsonify(records)


@control.get("/status")
def status() -> flask.Response:
    """Counters; ``wait_idle=SECONDS`` first waits for background status deliveries to finish."""
    state = current_state()
    wait = flask.request.args.get("wait_idle", "")
    try:
        idle = state.wait_idle(min(float(wait), 60.0)) if wait else None
    except ValueError:
        return _error("'wait_idle' must be a number of seconds")
    with state.lock:
        return flask.jsonify(
            {
                "now": iso(state.now()),
                "pending_deliveries": state.pending,
                "idle": idle if idle is not None else state.pending == 0,
                "held": len(state.held),
                "outbox": len(state.outbox),
                "webhooks": len(state.webhooks),
                "users": len(state.users),
                "media": len(state.media),
            }
        )
