"""Meta's webhook signature: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>``.

The HMAC is over the exact bytes Meta sent: re-serialising the parsed JSON changes escapes (Meta sends
``\\u00e4``, ``\\/``…) and breaks the check, so callers pass the raw body.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(app_secret: str, raw_body: bytes) -> str:
    """The header value Meta would send for ``raw_body``."""
    return PREFIX + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()


def is_valid_signature(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    """True when ``header`` is Meta's signature of ``raw_body``, compared in constant time."""
    if not header or not header.startswith(PREFIX) or not app_secret:
        return False
    return hmac.compare_digest(sign(app_secret, raw_body), header.strip())


def subscription_challenge(mode: str | None, token: str | None, challenge: str | None, expected: str) -> str | None:
    """The challenge to echo when Meta's ``GET /webhook`` handshake carries our verify token, else None."""
    if mode != "subscribe" or not token or not challenge or not expected:
        return None
    return challenge if hmac.compare_digest(token.encode(), expected.encode()) else None
