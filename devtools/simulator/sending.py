"""The checks and bookkeeping behind ``POST /<version>/<phone_number_id>/messages``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from devtools.simulator import limits, schema
from devtools.simulator.errors import GraphError, auth_error, unknown_object
from devtools.simulator.identity import bsuid_for_phone, digits, looks_like_phone, new_wamid
from devtools.simulator.preview import links, preview
from devtools.simulator.state import OutboxEntry, SimulatorState, User


@dataclass
class SendResult:
    """What to answer, plus the statuses to deliver afterwards (accepted sends only)."""

    http_status: int
    body: dict[str, Any]
    entry: OutboxEntry
    user: User | None = None
    plan: tuple[str, ...] = ()
    failure: dict[str, Any] | None = None


def check_token(state: SimulatorState, authorization: str | None) -> None:
    """Raise 190 unless the header is ``Bearer <access_token>``."""
    if authorization != f"Bearer {state.config.access_token}":
        raise auth_error()


def _address(state: SimulatorState, entry: OutboxEntry) -> tuple[str, User]:
    """The addressed user (created on first use) and the ``input`` echoed in the response."""
    to, recipient = entry.body.get("to"), entry.body.get("recipient")
    if isinstance(to, str) and to:  # when both are given, `to` wins (Meta's BSUID doc)
        if not looks_like_phone(to):
            raise GraphError(100, f"Param to is not a valid phone number: {to!r}; use recipient for a BSUID")
        wa_id = digits(to)
        user = state.user_by_wa_id(wa_id) or User(user_id=bsuid_for_phone(wa_id), wa_id=wa_id)
        user = state.users.setdefault(user.user_id, user)
    else:
        to = entry.recipient = str(recipient)
        user = state.users.setdefault(to, User(user_id=to, wa_id=None))
    entry.user_id, entry.wa_id = user.user_id, user.wa_id
    return to, user


def _url_button_params(body: Any) -> None:
    """132000 unless each dynamic URL button has exactly one parameter (its ``{{1}}``), as Meta checks.

    The simulator knows no templates; it takes every URL button to be registered as ``<base>{{1}}``
    (``SimulatorConfig.url_button_base``).  Run before the schema, so that an empty or missing
    ``parameters`` answers Meta's code for a parameter count mismatch rather than the schema's 100.
    Malformed shapes are left to the schema.
    """
    template = body.get("template") if isinstance(body, dict) and body.get("type") == "template" else None
    components = template.get("components") if isinstance(template, dict) else None
    for component in components if isinstance(components, list) else []:
        if not (isinstance(component, dict) and component.get("type") == "button"):
            continue
        params = component.get("parameters", [])
        if component.get("sub_type") == "url" and isinstance(params, list) and len(params) != 1:
            details = (
                f"button: number of localizable_params ({len(params)}) does not match the expected number of params (1)"
            )
            raise GraphError(132000, details)


def _validate(body: Any) -> None:
    problems = limits.check(body)
    if problems:
        raise GraphError(131009, "; ".join(problems))
    _url_button_params(body)
    problems = schema.validate_message(body)
    if problems:
        raise GraphError(100, "; ".join(problems))
    if body["messaging_product"] != "whatsapp":
        raise GraphError(100, "Param messaging_product must be 'whatsapp'")
    if body["type"] == "text" and not body["text"].get("body"):
        raise GraphError(100, "The parameter text['body'] is required.")


def _enforce_policies(state: SimulatorState, body: dict[str, Any], user: User, now: float) -> None:
    switches = state.switches
    if body["type"] != "template":
        window = switches.window_hours * 3600
        if user.last_inbound_at is None or now - user.last_inbound_at >= window:
            raise GraphError(
                131047,
                "Message failed to send because more than 24 hours have passed since the customer last "
                "replied to this number.",
            )
    while state.send_times and state.send_times[0] <= now - 1:
        state.send_times.popleft()
    if switches.throughput_limit is not None and len(state.send_times) >= switches.throughput_limit:
        raise GraphError(130429, "Cloud API message throughput has been reached.")
    last = user.last_send_at
    if switches.pair_rate_limit and last is not None and now - last < switches.pair_rate_seconds:
        raise GraphError(
            131056,
            "Message failed to send because there were too many messages sent from this phone number "
            "to the same phone number in a short period of time.",
        )


def _accept(state: SimulatorState, entry: OutboxEntry, user: User, to: str) -> SendResult:
    now, switches = entry.ts, state.switches
    entry.wamid = new_wamid()
    state.send_times.append(now)
    user.last_send_at = now
    if entry.body["type"] == "interactive":
        user.last_interactive_wamid = entry.wamid
    # Sent to a BSUID the contact carries user_id; sent to a phone, wa_id.
    contact = {"input": to, "user_id": user.user_id} if entry.recipient else {"input": to, "wa_id": user.wa_id}
    entry.result = {"messaging_product": "whatsapp", "contacts": [contact], "messages": [{"id": entry.wamid}]}
    failure = switches.fail_next_sends
    if failure is not None:
        remaining = failure["count"] - 1
        switches.fail_next_sends = {**failure, "count": remaining} if remaining > 0 else None
        return SendResult(200, entry.result, entry, user, ("failed",), failure)
    return SendResult(200, entry.result, entry, user, tuple(switches.statuses))


def _mark_read(state: SimulatorState, entry: OutboxEntry) -> SendResult:
    problems = schema.validate_mark_read(entry.body)
    if problems:
        raise GraphError(100, "; ".join(problems))
    user_id = state.inbound.get(entry.body["message_id"])
    if user_id is None or state.inbound_numbers.get(entry.body["message_id"]) != entry.phone_number_id:
        raise GraphError(100, f"Invalid message_id: {entry.body['message_id']!r} is not a received message")
    entry.kind, entry.user_id = "mark_read", user_id
    entry.result = {"success": True}
    return SendResult(200, entry.result, entry)


def handle(state: SimulatorState, phone_number_id: str, authorization: str | None, raw: bytes) -> SendResult:
    """Check and record one send (or mark-as-read) request; never raises."""
    with state.lock:
        entry = OutboxEntry(len(state.outbox), state.now(), "message", None, 200, {})
        state.outbox.append(entry)
        try:
            check_token(state, authorization)
            if phone_number_id not in state.config.phone_number_ids:
                raise unknown_object(phone_number_id)
            entry.phone_number_id = phone_number_id
            try:
                entry.body = json.loads(raw or b"null")
            except ValueError:
                entry.body = raw.decode("utf-8", "replace")
                raise GraphError(100, "Request body is not valid JSON") from None
            url_base = state.config.url_button_base
            entry.preview, entry.links = preview(entry.body, url_base=url_base), links(entry.body, url_base=url_base)
            if isinstance(entry.body, dict) and entry.body.get("status") == "read":
                return _mark_read(state, entry)
            _validate(entry.body)
            to, user = _address(state, entry)
            _enforce_policies(state, entry.body, user, entry.ts)
            return _accept(state, entry, user, to)
        except GraphError as error:
            entry.http_status, entry.result = error.http_status, error.body()
            return SendResult(error.http_status, entry.result, entry)
