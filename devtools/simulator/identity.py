"""Identifiers the simulator invents: wamids, media ids, BSUIDs, trace ids; phone number helpers."""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import secrets
import uuid

_counter = itertools.count(1)

# Rough country calling code -> ISO country, enough for plausible BSUID prefixes; unknown codes give IT.
_CALLING_CODES = {
    "1": "US", "7": "RU", "20": "EG", "33": "FR", "34": "ES", "39": "IT", "40": "RO", "44": "GB",
    "49": "DE", "51": "PE", "52": "MX", "54": "AR", "55": "BR", "57": "CO", "63": "PH", "86": "CN",
    "91": "IN", "92": "PK", "94": "LK", "212": "MA", "213": "DZ", "216": "TN", "221": "SN", "233": "GH",
    "234": "NG", "355": "AL", "380": "UA", "593": "EC", "880": "BD",
}  # fmt: skip
_PHONE_RE = re.compile(r"^\+?[\d\s().\-]{6,}$")


def digits(phone: str) -> str:
    """The digits of a phone number in any formatting: that is a ``wa_id``."""
    return "".join(ch for ch in phone if ch.isdigit())


def looks_like_phone(value: str) -> bool:
    """True for "+39 333 1234567"-like strings, false for BSUIDs such as "IT.1234"."""
    return bool(_PHONE_RE.match(value.strip()))


def country_of(wa_id: str) -> str:
    """ISO country for a phone's calling code (longest prefix wins)."""
    for length in (3, 2, 1):
        country = _CALLING_CODES.get(wa_id[:length])
        if country:
            return country
    return "IT"


def bsuid_for_phone(wa_id: str) -> str:
    """Deterministic business-scoped user ID for a phone, so repeated runs give the same user."""
    number = int(hashlib.sha256(wa_id.encode()).hexdigest(), 16)
    return f"{country_of(wa_id)}.{str(number)[:18]}"


def new_wamid() -> str:
    """A unique message id shaped like Meta's (``wamid.`` + base64 of opaque bytes)."""
    raw = b"\x15\x02\x00\x11\x18\x12" + next(_counter).to_bytes(4, "big") + uuid.uuid4().bytes
    return "wamid." + base64.urlsafe_b64encode(raw).decode()


def new_media_id() -> str:
    """Media ids are long decimal strings at Meta."""
    return str(10**15 + secrets.randbelow(9 * 10**15))


def new_token() -> str:
    """Opaque part of a media download URL."""
    return secrets.token_urlsafe(24)


def fbtrace_id() -> str:
    """Meta puts a trace id in every error body."""
    return "A" + secrets.token_urlsafe(16)[:22]
