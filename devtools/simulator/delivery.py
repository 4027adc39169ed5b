"""Posting signed webhooks to the app: inbound messages (synchronously) and statuses (in a thread).

An HTTP answer is never retried, whatever its status: it is recorded and logged, and tests decide what to
re-deliver.  Only a failure with no HTTP answer at all (connection refused or reset) is tried again, twice,
within ~0.15 s: a local dev server's small listen backlog resets some of many concurrent connections, which
says nothing about the app.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import requests

from devtools.simulator import webhooks
from devtools.simulator.state import OutboxEntry, SimulatorState, User, iso

LOG = logging.getLogger("devtools.simulator")
TIMEOUT_SECONDS = 30.0
CONNECT_ATTEMPTS = 3


def _request(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str | None, int]:
    """(status, response text, error, attempts) of one delivery."""
    error = None
    for attempt in range(1, CONNECT_ATTEMPTS + 1):
        try:
            response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
            return response.status_code, response.text[:2000], None, attempt
        except requests.ConnectionError as exc:  # no HTTP answer: refused, reset, aborted
            error = f"{type(exc).__name__}: {exc}"
            if attempt < CONNECT_ATTEMPTS:
                time.sleep(0.05 * attempt)
        except requests.RequestException as exc:  # e.g. a read timeout: the app may be working on it
            return None, "", f"{type(exc).__name__}: {exc}", attempt
    return None, "", error, CONNECT_ATTEMPTS


def _post_once(state: SimulatorState, url: str, body: bytes, payload: dict[str, Any], kind: str) -> int | None:
    headers = {
        "Content-Type": "application/json",
        webhooks.SIGNATURE_HEADER: webhooks.sign(state.config.app_secret, body),
        "User-Agent": "facebookexternalua",
    }
    status, response_text, error, attempts = _request(url, body, headers)
    if status != 200:
        LOG.warning("%s webhook to %s answered %s %s", kind, url, status, error or response_text[:200])
    state.record_webhook(
        {
            "kind": kind,
            "time": iso(state.now()),
            "url": url,
            "ids": webhooks.message_ids(payload),
            "status": status,
            "response": response_text,
            "error": error,
            "attempts": attempts,
            "payload": payload,
            "raw": body.decode("ascii"),
        }
    )
    return status


def post(state: SimulatorState, payload: dict[str, Any], kind: str) -> list[int | None]:
    """Deliver one webhook ``duplicate`` times (concurrently when more than once); the app's statuses."""
    with state.lock:
        url, copies = state.switches.webhook_url, state.switches.duplicate
    body = webhooks.serialise(payload)
    if copies == 1:
        return [_post_once(state, url, body, payload, kind)]
    results: list[int | None] = [None] * copies

    def deliver(slot: int) -> None:
        results[slot] = _post_once(state, url, body, payload, kind)

    threads = [threading.Thread(target=deliver, args=(slot,), daemon=True) for slot in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def statuses_in_background(
    state: SimulatorState, entry: OutboxEntry, user: User, plan: list[str], failure: dict[str, Any] | None
) -> None:
    """Post one webhook per status in ``plan`` (in order) from a daemon thread."""
    if not plan:
        return
    state.begin_delivery()

    def run() -> None:
        try:
            priced = False
            for name in plan:
                # Pricing rides on "sent" and on the first of delivered/read, never on failed.
                with_pricing = name != "failed" and (name == "sent" or not priced)
                priced = priced or (with_pricing and name != "sent")
                payload = webhooks.status(
                    state.config, entry, user, name, state.now(), with_pricing=with_pricing, failure=failure
                )
                post(state, payload, f"status:{name}")
        except Exception:  # a delivery thread must never die silently
            LOG.exception("status delivery for %s failed", entry.wamid)
        finally:
            state.end_delivery()

    threading.Thread(target=run, name=f"statuses-{entry.wamid}", daemon=True).start()
