"""Configuration read from the environment once, lazily (never at import time: cold starts stay cheap).

Resource names come from the environment that ``infra/resources.json`` sets on every function (and that the
local system derives from the same file). Secrets never live in the environment in AWS: ``secrets.py`` reads them
from Secrets Manager on first use; locally the ``WHATSAPP_*`` variables stand in for them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed."""


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer") from exc


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app reads from its environment."""

    region: str
    inbound_table: str
    outbound_table: str
    applicants_table: str
    quarantine_table: str
    media_bucket: str
    whatsapp_secret_id: str | None
    graph_api_base_url: str
    graph_api_version: str
    inbound_retention_days: int
    outbound_retention_days: int
    quarantine_retention_days: int
    redrive_after_seconds: int

    @classmethod
    def from_env(cls) -> Settings:
        """Read and check the environment."""
        return cls(
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-south-1",
            inbound_table=_required("INBOUND_TABLE"),
            outbound_table=_required("OUTBOUND_TABLE"),
            applicants_table=_required("APPLICANTS_TABLE"),
            quarantine_table=_required("QUARANTINE_TABLE"),
            media_bucket=_required("MEDIA_BUCKET"),
            whatsapp_secret_id=os.environ.get("WHATSAPP_SECRET_ID") or None,
            graph_api_base_url=os.environ.get("GRAPH_API_BASE_URL", "https://graph.facebook.com").rstrip("/"),
            graph_api_version=os.environ.get("GRAPH_API_VERSION", "v25.0"),
            inbound_retention_days=_int("INBOUND_RETENTION_DAYS", 90),
            outbound_retention_days=_int("OUTBOUND_RETENTION_DAYS", 90),
            quarantine_retention_days=_int("QUARANTINE_RETENTION_DAYS", 30),
            redrive_after_seconds=_int("REDRIVE_AFTER_SECONDS", 300),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings.from_env()
