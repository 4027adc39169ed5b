"""``python -m devtools.simulator``: run the simulator in the foreground."""

from __future__ import annotations

import logging
import threading

from devtools.simulator.config import SimulatorConfig
from devtools.simulator.server import start


def main() -> None:
    """Start, print where it listens and where it delivers, then wait for Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = SimulatorConfig.from_env()
    running = start(config)
    print(f"WhatsApp Cloud API simulator on {running.url}", flush=True)
    print(f"  Graph API:  {running.url}/v25.0/{config.phone_number_id}/messages", flush=True)
    print(f"  webhooks -> {config.webhook_url}", flush=True)
    print(f"  template URL buttons -> {config.url_button_base}{{{{1}}}}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


if __name__ == "__main__":
    main()
