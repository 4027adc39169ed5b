"""Structured JSON logs without personal data.

Log messages are constant event names; context goes in ``extra`` fields. Never pass a phone number, a name, a
token or document content: the keys below are the only ones the formatter writes, so anything else is dropped
rather than leaked.

Business metrics are log lines too: :class:`EmfMetrics` writes CloudWatch's embedded metric format, which
CloudWatch Logs turns into metrics without an API call.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TextIO

    from chalicelib.services.metrics import MetricName

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


# Hand-written EMF rather than Powertools for AWS Lambda's Metrics: importing ``aws_lambda_powertools.metrics``
# (3.37) after the app measured 17-25 ms (its package import also loads its logger, tracer, jmespath and
# typing_extensions), over the ~20 ms that the cold-start target (the app's import within 1.2x ``import boto3``)
# leaves; a count in EMF is one JSON line, written here with what this module already imports, and no dependency.
METRICS_NAMESPACE = "Sportello"
METRICS_SERVICE = "sportello"
# The only dimension besides ``service``: Meta's numeric error code (or "unknown"), never anything personal.
_DIMENSION_VALUES = {"code": re.compile(r"[0-9]{1,10}|unknown")}


class UnsafeDimension(ValueError):
    """A metric dimension that is not whitelisted, or whose value could carry more than an error code."""


class EmfMetrics:
    """Counts as CloudWatch embedded-metric-format documents, one complete JSON document per stdout line.

    Each line carries two dimension sets when dimensions are given: ``[service]`` (the total, for alarms) and
    ``[service, code]`` (for the dashboard); CloudWatch records a data point for each.
    """

    def __init__(
        self, stream: Callable[[], TextIO] = lambda: sys.stdout, clock_ms: Callable[[], int] | None = None
    ) -> None:
        self._stream = stream  # resolved on each write: Lambda's (and pytest's) stdout may be swapped
        self._clock_ms = clock_ms or (lambda: int(time.time() * 1000))
        self._lock = threading.Lock()  # ingestion counts from worker threads: lines must not interleave

    def count(self, name: MetricName, value: int = 1, **dimensions: str) -> None:
        """Write one EMF line adding ``value`` to ``name``."""
        for key, given in dimensions.items():
            pattern = _DIMENSION_VALUES.get(key)
            if pattern is None or not isinstance(given, str) or not pattern.fullmatch(given):
                raise UnsafeDimension(f"metric dimension {key!r} is not allowed with that value")
        dimension_sets = [["service"]]
        if dimensions:
            dimension_sets.append(["service", *sorted(dimensions)])
        document = {
            "_aws": {
                "Timestamp": self._clock_ms(),
                "CloudWatchMetrics": [
                    {
                        "Namespace": METRICS_NAMESPACE,
                        "Dimensions": dimension_sets,
                        "Metrics": [{"Name": str(name), "Unit": "Count"}],
                    }
                ],
            },
            "service": METRICS_SERVICE,
            **dimensions,
            str(name): value,
        }
        line = json.dumps(document, separators=(",", ":")) + "\n"
        with self._lock:
            stream = self._stream()
            stream.write(line)
            stream.flush()
