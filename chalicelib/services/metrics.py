"""Business metrics: the port the use cases count through (the adapter, in :mod:`chalicelib.observability`, writes
CloudWatch embedded-metric log lines; the use cases know nothing of AWS).

The names are the ones the template's alarms and dashboard use. Each count adds to the metric's total (dimension
``service`` only); a ``code`` dimension, where given, adds a second series by Meta's error code. Dimensions carry no
personal data: only Meta's numeric code, or ``unknown``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class MetricName(StrEnum):
    """What the service counts (CloudWatch metric names, unit Count)."""

    MESSAGES_RECEIVED = "MessagesReceived"  # inbound messages stored for the first time (redeliveries not counted)
    REPLIES_SENT = "RepliesSent"  # outbound messages Meta accepted: chat replies, notices, reminders
    DOCUMENTS_RECEIVED = "DocumentsReceived"  # files kept under a case, from the chat or the upload page
    TEMPLATE_FAILURES = "TemplateFailures"  # template sends Meta refused, or reported as failed later
    REMINDER_SEND_FAILURES = "ReminderSendFailures"  # reminders the worker could not send


UNKNOWN_CODE = "unknown"


def error_code(code: int | None) -> str:
    """The ``code`` dimension's value: Meta's numeric error code, or ``unknown`` (never an error's text)."""
    return str(code) if code is not None else UNKNOWN_CODE


class Metrics(Protocol):
    """Counts business events."""

    def count(self, name: MetricName, value: int = 1, **dimensions: str) -> None:
        """Add ``value`` to ``name``'s total and, when ``dimensions`` are given, to its series by them as well."""
        ...


class NoMetrics:
    """Counts nothing: where no metrics are wanted (outside Lambda, unit tests that do not look)."""

    def count(self, name: MetricName, value: int = 1, **dimensions: str) -> None:
        """Do nothing."""


NO_METRICS = NoMetrics()
