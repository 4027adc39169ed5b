"""A fake Meta behind the Graph API client's own HTTP session: it delivers, keeps what each phone received, fails on
purpose, and sends status webhooks back the way Meta does (with the send's ``biz_opaque_callback_data``).

It sits at the ``requests`` adapter, below :class:`~chalicelib.whatsapp.graph.GraphApiClient`, so the client's
real retries, error classification and "may have reached Meta" rule are what the faults meet.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

if TYPE_CHECKING:
    from collections.abc import Callable

GRAPH_BASE = "https://graph.example.test"


class WorkerKilled(BaseException):
    """The worker died here (a timeout, an out-of-memory kill): no ``except Exception`` in the app catches it, so
    what it wrote so far stays as a real crash leaves it."""


@dataclass(frozen=True, slots=True)
class Delivered:
    """One message a phone received."""

    to: str
    callback: str  # the send's biz_opaque_callback_data: our outbound id
    payload: dict[str, Any]


@dataclass
class FaultPlan:
    """How often each fault happens (probabilities per call); all zero is a clean run."""

    graph_rate: float = 0.0  # share of Graph calls that fail one way or another
    kill_rate: float = 0.0  # share of sends during which the worker dies (half before Meta, half after)
    # Share of sends answered normally whose status webhook comes back. Meta posts a ``sent`` status for every
    # message it accepted: it is what settles a send whose worker died (or whose record write failed) after
    # Meta had it. A status lost too would let that one message go out twice after the reconcile time: the
    # documented limit of a send API without idempotency keys, not modelled here.
    status_rate: float = 1.0
    seed: int = 1

    @property
    def clean(self) -> bool:
        return self.graph_rate == 0 and self.kill_rate == 0


@dataclass
class FakeMeta(BaseAdapter):
    """The Graph API and the phones; ``plan`` says which calls fail and how."""

    plan: FaultPlan = field(default_factory=FaultPlan)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    delivered: list[Delivered] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)  # status webhooks not yet posted
    injected: Counter[str] = field(default_factory=Counter)
    history: dict[str, list[str]] = field(default_factory=dict)  # callback -> what each send attempt met
    enabled: bool = False  # faults only while the scenario runs (never during setup or the final checks)
    kill_hook: Callable[[str], bool] | None = None  # a test's own choice of which send to kill (by callback)

    def __post_init__(self) -> None:
        super().__init__()
        self._random = random.Random(self.plan.seed)
        self._wamids = 0
        self._last: list[str] = []

    # --- requests' adapter interface -------------------------------------------------------------------------------

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        segments = [s for s in parts.path.split("/") if s]
        if request.method == "POST" and segments[-1:] == ["messages"]:
            body = json.loads(request.body or b"{}")
            if body.get("status") == "read":
                return self._idempotent(request, lambda: _json(request, 200, {"success": True}))
            return self._send(request, body)
        if request.method == "GET" and segments[:1] == ["media"]:
            return self._idempotent(request, lambda: self._download(request, segments[-1]))
        if request.method == "GET":
            return self._idempotent(request, lambda: self._media_info(request, segments[-1]))
        return _json(request, 400, {"error": {"message": "unsupported", "code": 100}})

    def close(self) -> None:
        return None

    # --- the calls -------------------------------------------------------------------------------------------------

    def _fault(self) -> str | None:
        if not self.enabled or self._random.random() >= self.plan.graph_rate:
            return None
        return self._random.choice(("graph_5xx", "graph_429", "connect_timeout", "read_timeout"))

    def _failure(self, request: requests.PreparedRequest, fault: str) -> requests.Response:
        self.injected[fault] += 1
        if fault == "graph_5xx":
            error = {"message": "Service temporarily unavailable", "code": 131000, "is_transient": True}
            return _json(request, 500, {"error": error})
        if fault == "graph_429":
            error = {"message": "Throughput limit", "code": 130429, "is_transient": True}
            return _json(request, 429, {"error": error})
        raise requests.ConnectTimeout("connect timeout (injected)")

    def _idempotent(
        self, request: requests.PreparedRequest, answer: Callable[[], requests.Response]
    ) -> requests.Response:
        fault = self._fault()
        if fault == "read_timeout":  # a read that timed out changes nothing at Meta
            self.injected[fault] += 1
            raise requests.ReadTimeout("read timeout (injected)")
        return self._failure(request, fault) if fault else answer()

    def _send(self, request: requests.PreparedRequest, body: dict[str, Any]) -> requests.Response:
        callback = str(body.get("biz_opaque_callback_data", ""))
        delivered = len(self.delivered)
        self._last = []
        try:
            return self._send_faulty(request, body, callback)
        finally:  # what this attempt met, for the report's examples
            outcome = "+".join(self._last) or "ok"
            self.history.setdefault(callback, []).append(
                outcome + (" (delivered)" if len(self.delivered) > delivered else "")
            )

    def _send_faulty(self, request: requests.PreparedRequest, body: dict[str, Any], callback: str) -> requests.Response:
        kill = self._kill(callback)
        if kill == "kill_before_send":
            self._count(kill)
            raise WorkerKilled(kill)
        fault = None if kill else self._fault()
        if fault and fault != "read_timeout":
            self._last.append(fault)
            return self._failure(request, fault)
        if fault == "read_timeout":
            # The request reached Meta; the answer was lost. Mostly Meta went on and delivered it (and its status
            # webhook will say so); sometimes it got no further.
            self._count(fault)
            if self._random.random() < 0.7:
                self._deliver(body, callback, status=True)
            else:
                self._count("read_timeout_not_delivered")
            raise requests.ReadTimeout("read timeout (injected)")
        # Meta accepted it: the phone gets it whatever happens next, and after a crash Meta's status still comes.
        wamid = self._deliver(body, callback, status=kill is not None)
        if kill == "kill_after_send":
            self._count(kill)
            raise WorkerKilled(kill)
        return _json(request, 200, {"messaging_product": "whatsapp", "messages": [{"id": wamid}]})

    def _count(self, fault: str) -> None:
        self.injected[fault] += 1
        self._last.append(fault)

    def _kill(self, callback: str) -> str | None:
        if not self.enabled:
            return None
        if self.kill_hook is not None:
            return "kill_before_send" if self.kill_hook(callback) else None
        if self._random.random() >= self.plan.kill_rate:
            return None
        return self._random.choice(("kill_before_send", "kill_after_send"))

    def _deliver(self, body: dict[str, Any], callback: str, *, status: bool = False) -> str:
        """The phone gets it; the status webhook comes back when ``status`` (else with ``plan.status_rate``)."""
        self._wamids += 1
        wamid = f"wamid.META{self._wamids:08d}"
        to = str(body.get("to") or body.get("recipient") or "")
        self.delivered.append(Delivered(to, callback, body))
        if status or self._random.random() < self.plan.status_rate:
            update = {"id": wamid, "status": "sent", "timestamp": "1765098000", "recipient_id": to}
            self.statuses.append({**update, "biz_opaque_callback_data": callback})
        return wamid

    def _media_info(self, request: requests.PreparedRequest, media_id: str) -> requests.Response:
        if media_id not in self.media:
            return _json(request, 404, {"error": {"message": "not found", "code": 100}})
        content, mime = self.media[media_id]
        info = {
            "id": media_id,
            "url": f"{GRAPH_BASE}/media/{media_id}",
            "mime_type": mime,
            "sha256": hashlib.sha256(content).hexdigest(),
            "file_size": len(content),
        }
        return _json(request, 200, info)

    def _download(self, request: requests.PreparedRequest, media_id: str) -> requests.Response:
        content, mime = self.media[media_id]
        return _response(request, 200, content, mime)

    def take_statuses(self) -> list[dict[str, Any]]:
        """The status webhooks waiting to be posted (they leave Meta's queue)."""
        taken, self.statuses = self.statuses, []
        return taken


def _json(request: requests.PreparedRequest, status: int, body: dict[str, Any]) -> requests.Response:
    return _response(request, status, json.dumps(body).encode(), "application/json")


def _response(request: requests.PreparedRequest, status: int, content: bytes, mime: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict({"Content-Type": mime, "Content-Length": str(len(content))})
    response.raw = io.BytesIO(content)
    response.request = request
    response.url = request.url or ""
    return response


def session_for(meta: FakeMeta) -> requests.Session:
    """A ``requests`` session whose every Graph call goes to ``meta``."""
    session = requests.Session()
    session.mount(GRAPH_BASE, meta)
    return session
