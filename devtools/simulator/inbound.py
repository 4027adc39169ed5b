"""Turning a ``POST /_simulator/inbound`` request into the message object of a Meta webhook."""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import mimetypes
from pathlib import Path
from typing import Any

from devtools.simulator.identity import bsuid_for_phone, digits, new_media_id, new_wamid
from devtools.simulator.state import Media, SimulatorState, User

CONTENT_KEYS = ("text", "file", "button_reply", "list_reply", "raw_message")


class InboundError(ValueError):
    """The inbound request is malformed (answered with HTTP 400)."""


def _sender(state: SimulatorState, request: dict[str, Any]) -> tuple[User, User]:
    """The stored user record, and the identity this message shows (no phone for username users)."""
    phone, user_id = request.get("from"), request.get("user_id")
    if phone is None and not user_id:
        raise InboundError("give 'from' (a phone number) or 'user_id' (a BSUID)")
    wa_id = digits(str(phone)) if phone is not None else None
    if phone is not None and not wa_id:
        raise InboundError(f"'from' has no digits: {phone!r}")
    if not user_id:
        known = state.user_by_wa_id(str(wa_id))
        user_id = known.user_id if known else bsuid_for_phone(str(wa_id))
    user = state.users.setdefault(str(user_id), User(user_id=str(user_id), wa_id=wa_id))
    user.wa_id = wa_id or user.wa_id
    user.name = str(request.get("name") or user.name)
    return user, User(user_id=user.user_id, wa_id=wa_id, name=user.name)


def _read_file(spec: Any) -> tuple[bytes, str | None, str | None]:
    """Bytes, filename and explicit mime type of a ``file`` request."""
    if not isinstance(spec, dict):
        raise InboundError("'file' must be an object with 'path' or 'base64'")
    if "path" in spec:
        path = Path(str(spec["path"]))
        try:
            return path.read_bytes(), str(spec.get("filename") or path.name), spec.get("mime_type")
        except OSError as exc:
            raise InboundError(f"cannot read {path}: {exc}") from None
    try:
        data = base64.b64decode(str(spec.get("base64", "")), validate=True)
    except (binascii.Error, ValueError):
        raise InboundError("'file.base64' is not valid base64") from None
    return data, spec.get("filename"), spec.get("mime_type")


def business_number(state: SimulatorState, request: dict[str, Any]) -> str:
    """The number the user writes to: ``phone_number_id`` (any number of the account, even one the app does not
    know), else the main one."""
    number = request.get("phone_number_id")
    if number is None:
        return state.config.phone_number_id
    if not isinstance(number, str) or not number.isdigit():
        raise InboundError("'phone_number_id' must be a string of digits (Meta's id of a business number)")
    return number


def _media_message(state: SimulatorState, spec: Any, number: str) -> tuple[str, dict[str, Any]]:
    data, filename, mime_type = _read_file(spec)
    mime_type = mime_type or (mimetypes.guess_type(filename)[0] if filename else None)
    mime_type = mime_type or "application/octet-stream"
    digest = hashlib.sha256(data)
    media = Media(new_media_id(), data, mime_type, digest.hexdigest(), filename, number)
    state.media[media.media_id] = media
    kind = "image" if mime_type.startswith("image/") else "document"
    body: dict[str, Any] = {}
    if spec.get("caption"):
        body["caption"] = str(spec["caption"])
    if kind == "document":
        body["filename"] = filename or "document" + (mimetypes.guess_extension(mime_type) or "")
    # Webhooks carry the digest in base64 (the media API answers hex).
    body.update(mime_type=mime_type, sha256=base64.b64encode(digest.digest()).decode(), id=media.media_id)
    return kind, {kind: body}


def _reply(request: dict[str, Any], key: str) -> dict[str, Any]:
    reply = request[key]
    if not isinstance(reply, dict) or not {"id", "title"} <= set(reply):
        raise InboundError(f"'{key}' needs 'id' and 'title'")
    fields = ("id", "title", "description") if key == "list_reply" else ("id", "title")
    return {"type": key, key: {name: str(reply[name]) for name in fields if name in reply}}


def build_message(state: SimulatorState, request: dict[str, Any]) -> tuple[User, User, dict[str, Any]]:
    """Register the inbound message (window, media, read receipts) and return its webhook message."""
    present = [key for key in CONTENT_KEYS if key in request]
    if len(present) != 1:
        raise InboundError(f"give exactly one of {', '.join(CONTENT_KEYS)}")
    key = present[0]
    number = business_number(state, request)
    with state.lock:
        user, shown = _sender(state, request)
        now = state.now()
        message: dict[str, Any] = {}
        context_id = request.get("context_id")
        if key in ("button_reply", "list_reply"):
            context_id = context_id or user.last_interactive_wamid  # the prompt the tap answers
        if context_id:
            message["context"] = {"from": state.config.display_number(number), "id": str(context_id)}
        if shown.wa_id:
            message["from"] = shown.wa_id
        message.update(from_user_id=user.user_id, id=new_wamid(), timestamp=str(int(now)))
        if key == "text":
            message.update(type="text", text={"body": str(request["text"])})
        elif key == "file":
            kind, content = _media_message(state, request["file"], number)
            message.update(type=kind, **content)
        elif key == "raw_message":
            raw = request["raw_message"]
            if not isinstance(raw, dict) or "type" not in raw:
                raise InboundError("'raw_message' must be a message object with a 'type'")
            message = {**message, **copy.deepcopy(raw)}  # given fields win, missing ones are filled
        else:
            message.update(type="interactive", interactive=_reply(request, key))
        user.last_inbound_at = now
        state.inbound[str(message["id"])] = user.user_id
        state.inbound_numbers[str(message["id"])] = number
        return user, shown, message
