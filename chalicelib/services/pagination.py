"""Opaque pagination cursors: a DynamoDB ``LastEvaluatedKey`` that clients pass back unchanged.

The cursor is signed so that a client cannot forge a start key (for instance one in another office's
partition), and versioned so that its format can change without breaking old links.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from chalicelib.domain.errors import DomainError

VERSION = "1"


class InvalidCursor(DomainError):
    """The cursor is malformed, tampered with, or was issued for another listing."""


def encode_cursor(last_key: dict[str, Any] | None, scope: str, secret: bytes) -> str | None:
    """The cursor for ``last_key`` (None when there is no next page); ``scope`` binds it to one listing."""
    if not last_key:
        return None
    body = base64.urlsafe_b64encode(json.dumps(last_key, sort_keys=True, separators=(",", ":")).encode())
    mac = hmac.new(secret, VERSION.encode() + b"|" + scope.encode() + b"|" + body, hashlib.sha256).digest()[:16]
    return f"{VERSION}.{body.decode().rstrip('=')}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def decode_cursor(cursor: str | None, scope: str, secret: bytes) -> dict[str, Any] | None:
    """The start key inside ``cursor``; raises :class:`InvalidCursor` unless it is one we issued for ``scope``."""
    if not cursor:
        return None
    try:
        version, body, mac = cursor.split(".")
        padded_body = (body + "=" * (-len(body) % 4)).encode()
        given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
        expected = hmac.new(
            secret, version.encode() + b"|" + scope.encode() + b"|" + padded_body, hashlib.sha256
        ).digest()[:16]
        if version != VERSION or not hmac.compare_digest(given, expected):
            raise InvalidCursor("cursor is not valid for this listing")
        key = json.loads(base64.urlsafe_b64decode(padded_body))
    except (ValueError, TypeError) as exc:
        raise InvalidCursor("cursor is malformed") from exc
    if not isinstance(key, dict):
        raise InvalidCursor("cursor is malformed")
    return key
