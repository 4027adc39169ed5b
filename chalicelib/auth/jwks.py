"""Where the issuer's public keys (a JWKS document) come from: Cognito's URL in AWS, inline JSON locally.

A source is a callable returning the current document. :class:`~chalicelib.auth.verifier.TokenVerifier` calls it
on first use and again when a token names a key it does not know (rate limited), and caches what it gets.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from chalicelib.auth.errors import JwksUnavailable
from chalicelib.settings import ConfigurationError

JwksSource = Callable[[], Mapping[str, Any]]
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class UrlJwks:
    """Fetches the JWKS from ``url`` on each call (nothing at construction: no network at import or cold start)."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        # Keys fetched over plain HTTP could be swapped in transit; only a loopback issuer may use it.
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
            raise ConfigurationError("the JWKS URL must use https")
        self.url = url
        self._timeout = timeout

    def __call__(self) -> Mapping[str, Any]:
        import requests  # lazily: the webhook's cold start never needs it

        try:
            response = requests.get(self.url, timeout=self._timeout, headers={"Accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise JwksUnavailable(f"could not fetch the issuer's keys ({type(exc).__name__})") from exc
        if not isinstance(document, dict):
            raise JwksUnavailable("the issuer's keys are not a JWKS document")
        return document


def jwks_from_url(url: str, timeout: float = 3.0) -> UrlJwks:
    """The JWKS at ``url`` (in AWS: ``<issuer>/.well-known/jwks.json``)."""
    return UrlJwks(url, timeout)


def jwks_from_json(text: str) -> JwksSource:
    """A fixed JWKS given as JSON text (``AUTH_JWKS_JSON`` in local runs); checked now, not at the first token."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ConfigurationError("AUTH_JWKS_JSON is not valid JSON") from exc
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ConfigurationError('AUTH_JWKS_JSON must be a JWKS document: {"keys": [...]}')
    return lambda: document
