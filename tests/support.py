"""Helpers shared by tests: recorded webhook payloads, encoded and signed the way Meta does it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.whatsapp.signature import sign

EVENTS = Path(__file__).parent / "events"
APP_SECRET = "test-app-secret"


def load_event(name: str) -> dict[str, Any]:
    """A recorded webhook payload from ``tests/events``."""
    loaded: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return loaded


def event_names(prefix: str = "") -> list[str]:
    """Names of the recorded payloads starting with ``prefix``."""
    return sorted(p.stem for p in EVENTS.glob(f"{prefix}*.json"))


def meta_encode(payload: Any) -> bytes:
    """Serialise like Meta: ASCII only (non-ASCII as ``\\uXXXX``) and ``/`` escaped, so raw-body HMAC matters."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()


def signed(payload: Any, secret: str = APP_SECRET) -> tuple[bytes, dict[str, str]]:
    """Body and headers of a webhook POST signed with ``secret``."""
    body = payload if isinstance(payload, bytes) else meta_encode(payload)
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(secret, body)}


def stream_event(new_images: list[dict[str, Any]], event_name: str = "INSERT") -> dict[str, Any]:
    """A Lambda event from a DynamoDB stream, as AWS shapes it (Chalice needs every one of these fields)."""
    records = [
        {
            "eventID": f"event-{i}",
            "eventName": event_name,
            "eventSource": "aws:dynamodb",
            "awsRegion": "eu-south-1",
            "eventSourceARN": "arn:aws:dynamodb:eu-south-1:123456789012:table/inbound/stream/2026-11-26T00:00:00",
            "dynamodb": {
                "ApproximateCreationDateTime": 1764115200,
                "Keys": {k: image[k] for k in ("applicant_key", "wamid") if k in image},
                "NewImage": image,
                "SequenceNumber": str(1000 + i),
                "SizeBytes": 100,
                "StreamViewType": "NEW_IMAGE",
            },
        }
        for i, image in enumerate(new_images)
    ]
    return {"Records": records}


def counter_day(days_ahead: int) -> Any:
    """A weekday at least ``days_ahead`` days from today (Rome) that is no public holiday in Ancona."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    import holidays

    day = datetime.now(ZoneInfo("Europe/Rome")).date() + timedelta(days=days_ahead)
    closed = holidays.country_holidays("IT", subdiv="AN", years=[day.year, day.year + 1])
    while day.weekday() >= 5 or day in closed:
        day += timedelta(days=1)
    return day


def open_counter(container: Any, office: str = "AN", places: int = 5) -> Any:
    """Give ``office`` a counter calendar (weekdays 08:00-18:00, 30-minute slots), as a supervisor would."""
    from datetime import time

    from chalicelib.domain.calendar import CounterHours, OfficeCalendar

    hours = tuple(CounterHours(day, time(8), time(18)) for day in range(5))
    calendar = OfficeCalendar(office, "Europe/Rome", hours, slot_minutes=30, places=places, horizon_days=120)
    return container.calendar_deps.store.save(calendar)
