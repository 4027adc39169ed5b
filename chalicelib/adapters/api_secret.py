"""The API's own secret: the key that signs pagination cursors.

From ``CURSOR_SECRET`` when set (local runs and tests), else the ``cursor_key`` of the JSON secret in Secrets
Manager that the template generates (``ApiSecret``). Read on first use, never at import time, and cached for
``ttl_seconds`` like the WhatsApp secrets.
"""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any

from chalicelib.settings import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Callable

MIN_KEY_BYTES = 16


class CursorKeyProvider:
    """Reads the cursor key lazily and caches it for a while."""

    def __init__(
        self,
        from_env: str | None,
        secret_id: str | None,
        client_factory: Callable[[], Any],
        ttl_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._from_env = from_env
        self._secret_id = secret_id
        self._client_factory = client_factory
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: bytes | None = None
        self._fetched_at = 0.0

    def get(self) -> bytes:
        """The current key."""
        if self._from_env:
            return _checked(self._from_env.encode(), "CURSOR_SECRET")
        with self._lock:
            if self._cached is None or self._clock() - self._fetched_at > self._ttl:
                self._cached = self._load()
                self._fetched_at = self._clock()
            return self._cached

    def _load(self) -> bytes:
        if not self._secret_id:
            raise ConfigurationError("neither CURSOR_SECRET nor API_SECRET_ID is set")
        raw = self._client_factory().get_secret_value(SecretId=self._secret_id)["SecretString"]
        try:
            key = json.loads(raw)["cursor_key"]
        except (ValueError, KeyError, TypeError) as exc:
            # Name the expected key, never the content.
            raise ConfigurationError("the API secret must be a JSON object with a cursor_key") from exc
        if not isinstance(key, str):
            raise ConfigurationError("the API secret's cursor_key must be a string")
        return _checked(key.encode(), "cursor_key")


def _checked(key: bytes, name: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise ConfigurationError(f"{name} must be at least {MIN_KEY_BYTES} characters")
    return key
