"""Serving the simulator from a background thread (used by the local launcher and by tests)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from werkzeug.serving import BaseWSGIServer, make_server

from devtools.simulator.app import create_app
from devtools.simulator.state import SimulatorState, state_of

if TYPE_CHECKING:
    from collections.abc import Callable

    import flask

    from devtools.simulator.config import SimulatorConfig


@dataclass
class RunningSimulator:
    """A simulator serving HTTP on ``url`` until ``stop()``."""

    url: str
    app: flask.Flask
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def state(self) -> SimulatorState:
        """The live state, for in-process inspection."""
        return state_of(self.app)

    def stop(self) -> None:
        """Stop serving and wait for the server thread."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start(config: SimulatorConfig, clock: Callable[[], float] = time.time) -> RunningSimulator:
    """Serve a new simulator app in a daemon thread; ``config.port`` 0 picks a free port."""
    app = create_app(config, clock)
    server = make_server(config.host, config.port, app, threaded=True)
    # A short poll interval makes stop() quick (shutdown waits for the next poll).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="whatsapp-simulator", daemon=True
    )
    thread.start()
    return RunningSimulator(f"http://{config.host}:{server.server_port}", app, server, thread)
