"""In-memory state of the simulator, shared by the Graph side, the phone side and delivery threads."""

from __future__ import annotations

import collections
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import flask

if TYPE_CHECKING:
    from collections.abc import Callable

    from devtools.simulator.config import SimulatorConfig

STATUS_NAMES = ("sent", "delivered", "read")
EXTENSION_KEY = "sportello_simulator"


@dataclass
class Switches:
    """Behaviour switches, changed at runtime through ``POST /_simulator/config``."""

    webhook_url: str
    duplicate: int = 1
    hold: bool = False
    window_hours: float = 24.0
    statuses: list[str] = field(default_factory=lambda: list(STATUS_NAMES))
    throughput_limit: int | None = None
    pair_rate_limit: bool = False
    pair_rate_seconds: float = 6.0
    fail_next_sends: dict[str, Any] | None = None
    media_errors: int = 0

    def to_json(self) -> dict[str, Any]:
        """The switches as JSON."""
        return asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update; ValueError names the first bad key (nothing is changed then)."""
        checks: dict[str, Callable[[Any], bool]] = {
            "webhook_url": lambda v: isinstance(v, str) and v.startswith("http"),
            "duplicate": lambda v: _is_int(v) and v >= 1,
            "hold": lambda v: isinstance(v, bool),
            "window_hours": lambda v: _is_number(v) and v >= 0,
            "statuses": lambda v: isinstance(v, list) and all(s in STATUS_NAMES for s in v),
            "throughput_limit": lambda v: v is None or (_is_int(v) and v >= 1),
            "pair_rate_limit": lambda v: isinstance(v, bool),
            "pair_rate_seconds": lambda v: _is_number(v) and v > 0,
            "fail_next_sends": _valid_failure,
            "media_errors": lambda v: _is_int(v) and v >= 0,
        }
        for key, value in changes.items():
            if key not in checks:
                raise ValueError(f"unknown switch {key!r}; known: {sorted(checks)}")
            if not checks[key](value):
                raise ValueError(f"invalid value for {key!r}: {value!r}")
        for key, value in changes.items():
            is_failure = key == "fail_next_sends" and value is not None
            setattr(self, key, {"count": 1, **value} if is_failure else value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _valid_failure(value: Any) -> bool:
    if value is None:
        return True
    return (
        isinstance(value, dict)
        and _is_int(value.get("code"))
        and _is_int(value.get("count", 1))
        and set(value) <= {"code", "count", "details"}
    )


@dataclass
class User:
    """A WhatsApp user as the simulator knows them (keyed by BSUID)."""

    user_id: str
    wa_id: str | None
    name: str = "Applicant"
    last_inbound_at: float | None = None
    last_send_at: float | None = None
    last_interactive_wamid: str | None = None


@dataclass
class Media:
    """Bytes a user sent, downloadable by the app through the two-step media API."""

    media_id: str
    data: bytes
    mime_type: str
    sha256_hex: str
    filename: str | None = None
    phone_number_id: str | None = None  # the number it was sent to: only that number may fetch it


@dataclass
class OutboxEntry:
    """One request the app made to ``/messages``, with what the simulator answered."""

    index: int
    ts: float
    kind: str  # "message" or "mark_read"
    body: Any
    http_status: int
    result: dict[str, Any]
    wamid: str | None = None
    user_id: str | None = None
    wa_id: str | None = None
    recipient: str | None = None
    preview: str = ""
    links: list[str] = field(default_factory=list)  # URLs a user could open (template URL buttons resolved)
    phone_number_id: str | None = None  # the number the app sent it from (the URL's)

    def to_json(self) -> dict[str, Any]:
        """The entry as listed by ``GET /_simulator/messages``."""
        data = asdict(self)
        data["time"] = iso(self.ts)
        data["type"] = self.body.get("type") if isinstance(self.body, dict) else None
        data["accepted"] = self.http_status == 200
        return data


def iso(ts: float) -> str:
    """ISO-8601 UTC rendering of a simulator timestamp."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


class SimulatorState:
    """Everything the simulator remembers; guard every access with ``lock``."""

    def __init__(self, config: SimulatorConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.idle = threading.Condition(self.lock)
        self.reset()

    def reset(self) -> None:
        """Forget users, messages, media, webhooks, held deliveries, switches and clock offset."""
        with self.lock:
            self.switches = Switches(webhook_url=self.config.webhook_url)
            self.offset = 0.0
            self.users: dict[str, User] = {}
            self.outbox: list[OutboxEntry] = []
            self.media: dict[str, Media] = {}
            self.media_urls: dict[str, tuple[str, float]] = {}
            self.inbound: dict[str, str] = {}  # inbound wamid -> user_id, for mark-as-read
            self.inbound_numbers: dict[str, str] = {}  # inbound wamid -> the number it was sent to
            self.webhooks: list[dict[str, Any]] = []
            self.held: list[dict[str, Any]] = []
            self.send_times: collections.deque[float] = collections.deque()
            self.pending = 0

    def now(self) -> float:
        """The simulator's clock: the injected clock plus ``POST /_simulator/clock`` advances."""
        with self.lock:
            return self.clock() + self.offset

    def user_by_wa_id(self, wa_id: str) -> User | None:
        """The known user with this phone, if any."""
        with self.lock:
            return next((u for u in self.users.values() if u.wa_id == wa_id), None)

    def record_webhook(self, record: dict[str, Any]) -> None:
        """Append a delivery record (``index`` added)."""
        with self.lock:
            record["index"] = len(self.webhooks)
            self.webhooks.append(record)

    def begin_delivery(self) -> None:
        """Count a background delivery as pending (for ``GET /_simulator/status``)."""
        with self.lock:
            self.pending += 1

    def end_delivery(self) -> None:
        """Mark a background delivery finished and wake waiters."""
        with self.lock:
            self.pending -= 1
            self.idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no background delivery is pending; False on timeout."""
        with self.lock:
            return self.idle.wait_for(lambda: self.pending == 0, timeout)


def state_of(app: flask.Flask) -> SimulatorState:
    """The state held by a simulator app."""
    state: SimulatorState = app.extensions[EXTENSION_KEY]
    return state


def current_state() -> SimulatorState:
    """The state of the app handling the current request."""
    return state_of(flask.current_app)
