"""Configuration of the WhatsApp Cloud API simulator."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_WEBHOOK_URL = "http://127.0.0.1:8000/webhook"
DEFAULT_URL_BUTTON_BASE = "http://127.0.0.1:8000/u/"


@dataclass(frozen=True)
class SimulatorConfig:
    """Where the simulator listens, the secrets it shares with the app and where it posts webhooks."""

    host: str = "127.0.0.1"
    port: int = 8001
    app_secret: str = "local-app-secret"
    access_token: str = "local-access-token"
    phone_number_id: str = "100000000000001"
    # The account's other numbers (each office's own, under ``make run``): the app may send from them too.
    other_phone_number_ids: tuple[str, ...] = ()
    display_phone_number: str = "390712288000"
    waba_id: str = "200000000000002"
    webhook_url: str = DEFAULT_WEBHOOK_URL
    # The registered base URL of every template's dynamic URL button (``https://<host>/u/{{1}}`` in
    # WhatsApp Manager): a tap opens this base with the button's parameter appended.
    url_button_base: str = DEFAULT_URL_BUTTON_BASE

    @property
    def phone_number_ids(self) -> tuple[str, ...]:
        """Every number of the business account the app may send from, the main one first."""
        return (self.phone_number_id, *(n for n in self.other_phone_number_ids if n != self.phone_number_id))

    def display_number(self, phone_number_id: str) -> str:
        """The phone number shown for ``phone_number_id`` (made up for the other numbers)."""
        if phone_number_id == self.phone_number_id:
            return self.display_phone_number
        return f"39{phone_number_id[-10:]}"

    @classmethod
    def from_env(cls) -> SimulatorConfig:
        """Read the same variables the app reads, so both sides agree on secrets without extra setup."""
        env = os.environ
        return cls(
            host=env.get("SIMULATOR_HOST", cls.host),
            port=int(env.get("SIMULATOR_PORT", str(cls.port))),
            app_secret=env.get("WHATSAPP_APP_SECRET", cls.app_secret),
            access_token=env.get("WHATSAPP_ACCESS_TOKEN", cls.access_token),
            phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID", cls.phone_number_id),
            other_phone_number_ids=tuple(
                n.strip() for n in env.get("WHATSAPP_OTHER_PHONE_NUMBER_IDS", "").split(",") if n.strip()
            ),
            display_phone_number=env.get("WHATSAPP_DISPLAY_PHONE_NUMBER", cls.display_phone_number),
            waba_id=env.get("WHATSAPP_WABA_ID", cls.waba_id),
            webhook_url=env.get("WEBHOOK_URL", cls.webhook_url),
            url_button_base=env.get("UPLOAD_PAGE_URL", cls.url_button_base),
        )
