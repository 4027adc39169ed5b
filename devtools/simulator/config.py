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
    display_phone_number: str = "390712288000"
    waba_id: str = "200000000000002"
    webhook_url: str = DEFAULT_WEBHOOK_URL
    # The registered base URL of every template's dynamic URL button (``https://<host>/u/{{1}}`` in
    # WhatsApp Manager): a tap opens this base with the button's parameter appended.
    url_button_base: str = DEFAULT_URL_BUTTON_BASE

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
            display_phone_number=env.get("WHATSAPP_DISPLAY_PHONE_NUMBER", cls.display_phone_number),
            waba_id=env.get("WHATSAPP_WABA_ID", cls.waba_id),
            webhook_url=env.get("WEBHOOK_URL", cls.webhook_url),
            url_button_base=env.get("UPLOAD_PAGE_URL", cls.url_button_base),
        )
