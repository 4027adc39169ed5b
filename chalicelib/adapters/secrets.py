"""WhatsApp secrets: from the environment when set (local runs), else from AWS Secrets Manager, cached.

The secret in Secrets Manager is one JSON object ``{"app_secret", "verify_token", "access_token",
"phone_number_id"}`` so that one call fetches all of them; it is read on first use (never at import time) and
kept for ``ttl_seconds`` so that a rotated token reaches warm Lambdas within minutes.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.settings import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Callable

ENV_NAMES = {
    "app_secret": "WHATSAPP_APP_SECRET",
    "verify_token": "WHATSAPP_VERIFY_TOKEN",
    "access_token": "WHATSAPP_ACCESS_TOKEN",
    "phone_number_id": "WHATSAPP_PHONE_NUMBER_ID",
}


@dataclass(frozen=True, slots=True)
class WhatsAppSecrets:
    """The four values the app needs to talk to Meta."""

    app_secret: str
    verify_token: str
    access_token: str
    phone_number_id: str

    def __repr__(self) -> str:  # never print secrets, even in a debugger or a traceback
        return "WhatsAppSecrets(<redacted>)"


class SecretsProvider:
    """Reads the secrets lazily and caches them for a while."""

    def __init__(
        self,
        secret_id: str | None,
        client_factory: Callable[[], Any],
        ttl_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secret_id = secret_id
        self._client_factory = client_factory
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: WhatsAppSecrets | None = None
        self._fetched_at = 0.0

    def get(self) -> WhatsAppSecrets:
        """The current secrets."""
        with self._lock:
            if self._cached is None or self._clock() - self._fetched_at > self._ttl:
                self._cached = self._load()
                self._fetched_at = self._clock()
            return self._cached

    def _load(self) -> WhatsAppSecrets:
        from_env = {field: os.environ.get(env) for field, env in ENV_NAMES.items()}
        if all(from_env.values()):
            return WhatsAppSecrets(**{k: str(v) for k, v in from_env.items()})
        if not self._secret_id:
            missing = sorted(ENV_NAMES[k] for k, v in from_env.items() if not v)
            raise ConfigurationError(f"WHATSAPP_SECRET_ID is not set and neither are {', '.join(missing)}")
        raw = self._client_factory().get_secret_value(SecretId=self._secret_id)["SecretString"]
        try:
            values = json.loads(raw)
            return WhatsAppSecrets(**{field: str(values[field]) for field in ENV_NAMES})
        except (ValueError, KeyError, TypeError) as exc:
            # Name the expected keys, never the content.
            raise ConfigurationError(f"secret must be a JSON object with keys {sorted(ENV_NAMES)}") from exc
