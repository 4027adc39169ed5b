"""Calling a handler in-process the way the tests do, one call at a time, with a one-line log per call."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("devtools.events")


@dataclass(frozen=True, slots=True)
class Invocation:
    """The outcome of one handler call."""

    handler: str
    ok: bool
    payload: Any = None
    error: str | None = None  # the exception type only: messages can echo payload content


class Invoker:
    """Invokes handlers through ``chalice.test.Client`` (the same code path as the tests).

    Calls are serialised: the client swaps ``os.environ`` for the duration of a call, so two overlapping calls
    from different threads could leave the process with the wrong environment.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __call__(self, handler: str, event: dict[str, Any], what: str, note: str = "") -> Invocation:
        """Invoke ``handler`` with ``event``; ``what`` ("3 records") and ``note`` only go to the log."""
        started = time.monotonic()
        with self._lock:
            try:
                payload = self._client.lambda_.invoke(handler, event).payload
            except Exception as exc:
                elapsed = (time.monotonic() - started) * 1000
                log.warning("%s %s -> %s (%.0f ms)%s", handler, what, type(exc).__name__, elapsed, note)
                # The traceback only on request (debug level): exception messages may quote content.
                log.debug("%s traceback", handler, exc_info=True)
                return Invocation(handler, ok=False, error=type(exc).__name__)
        log.info("%s %s -> ok (%.0f ms)%s", handler, what, (time.monotonic() - started) * 1000, note)
        return Invocation(handler, ok=True, payload=payload)
