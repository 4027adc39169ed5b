"""Structured JSON logs without personal data.

Log messages are constant event names; context goes in ``extra`` fields. Never pass a phone number, a name, a
token or document content: the keys below are the only ones the formatter writes, so anything else is dropped
rather than leaked.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

SAFE_FIELDS = frozenset(
    {
        "wamid",
        "outbound_id",
        "status",
        "reason",
        "code",
        "count",
        "stored",
        "statuses",
        "duplicates",
        "quarantined",
        "attempt",
        "delay_s",
        "kind",
        "message_type",
        "http_status",
        "fbtrace_id",
        "handler",
        "records",
        "error_type",
        "quarantine_id",
        "route",
        "elapsed_ms",
        "operation",
        "role",  # an officer's role and office code: never their subject, username or token
        "office",
    }
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with only whitelisted context fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key in SAFE_FIELDS:
            if key in record.__dict__:
                entry[key] = record.__dict__[key]
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type only: messages can echo payload content.
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str)


def configure_logging() -> None:
    """Send every ``sportello`` logger to stdout as JSON (idempotent; called from the composition root)."""
    root = logging.getLogger("sportello")
    if getattr(root, "_sportello_configured", False):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
    root.propagate = False
    root._sportello_configured = True  # type: ignore[attr-defined]


def get_logger(name: str) -> logging.Logger:
    """A child of the ``sportello`` logger."""
    return logging.getLogger(f"sportello.{name}")
