"""Meta-shaped webhook payloads (inbound messages and statuses), their serialisation and signature."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

from devtools.simulator.errors import status_error

if TYPE_CHECKING:
    from devtools.simulator.config import SimulatorConfig
    from devtools.simulator.state import OutboxEntry, User

SIGNATURE_HEADER = "X-Hub-Signature-256"


def envelope(config: SimulatorConfig, value: dict[str, Any]) -> dict[str, Any]:
    """Wrap a ``value`` in ``object``/``entry``/``changes`` as Meta does."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": config.waba_id, "changes": [{"value": value, "field": "messages"}]}],
    }


def _value(config: SimulatorConfig, phone_number_id: str | None = None) -> dict[str, Any]:
    number = phone_number_id or config.phone_number_id
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": config.display_number(number), "phone_number_id": number},
    }


def contact(user: User) -> dict[str, Any]:
    """A ``contacts[]`` entry; ``wa_id`` is omitted for username users without a known phone."""
    block: dict[str, Any] = {"profile": {"name": user.name}}
    if user.wa_id:
        block["wa_id"] = user.wa_id
    block["user_id"] = user.user_id
    return block


def inbound(
    config: SimulatorConfig, user: User, message: dict[str, Any], phone_number_id: str | None = None
) -> dict[str, Any]:
    """The webhook for one message a user sent to ``phone_number_id`` (None: the main number)."""
    value = _value(config, phone_number_id)
    value["contacts"] = [contact(user)]
    value["messages"] = [message]
    return envelope(config, value)


def _pricing(entry: OutboxEntry) -> dict[str, Any]:
    # Per-message pricing (PMP); a template is assumed to be a utility template (reminders).
    if entry.body.get("type") == "template":
        return {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "utility"}
    return {"billable": False, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"}


def status(
    config: SimulatorConfig,
    entry: OutboxEntry,
    user: User,
    name: str,
    timestamp: float,
    *,
    with_pricing: bool,
    failure: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The webhook for one status of a message the app sent."""
    item: dict[str, Any] = {"id": entry.wamid, "status": name, "timestamp": str(int(timestamp))}
    if user.wa_id:
        item["recipient_id"] = user.wa_id  # omitted when sent to a BSUID with no phone known
    sent_to_phone = entry.recipient is None
    if name != "failed" or not sent_to_phone:
        item["recipient_user_id"] = user.user_id  # Meta omits it on failed sends to a phone number
    callback = entry.body.get("biz_opaque_callback_data")
    if callback is not None:
        item["biz_opaque_callback_data"] = callback
    if with_pricing:
        item["pricing"] = _pricing(entry)
    if failure is not None:
        item["errors"] = [status_error(failure["code"], failure.get("details"))]
    value = _value(config, entry.phone_number_id)  # the number the message was sent from
    if name != "failed":
        value["contacts"] = [contact(user)]  # statuses carry contacts, except failed ones
    value["statuses"] = [item]
    return envelope(config, value)


def merge_batch(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge webhooks into one: a single entry whose ``changes`` holds one change per original webhook."""
    merged = copy.deepcopy(payloads[0])
    merged["entry"] = [{"id": payloads[0]["entry"][0]["id"], "changes": []}]
    for payload in payloads:
        for entry in payload["entry"]:
            merged["entry"][0]["changes"].extend(copy.deepcopy(entry["changes"]))
    return merged


def serialise(payload: dict[str, Any]) -> bytes:
    """Bytes as Meta sends them: compact, ASCII-only (``\\u00e9``) and with ``/`` escaped as ``\\/``.

    Replacing every "/" is safe: in JSON text a "/" can only occur inside a string.  The point is that an
    app which re-serialises the parsed body instead of hashing the raw bytes computes a wrong signature.
    """
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode("ascii")


def sign(app_secret: str, body: bytes) -> str:
    """``X-Hub-Signature-256`` value for ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def message_ids(payload: dict[str, Any]) -> list[str]:
    """wamids of the messages and statuses in a webhook (for logs)."""
    ids = []
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            value = change.get("value", {})
            ids += [m.get("id") for m in value.get("messages", [])]
            ids += [f"{s.get('id')}:{s.get('status')}" for s in value.get("statuses", [])]
    return [str(i) for i in ids]
