"""The Flask app of the WhatsApp Cloud API simulator."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import flask

from devtools.simulator.control_routes import control
from devtools.simulator.errors import GraphError
from devtools.simulator.graph_routes import GraphVersionConverter, graph
from devtools.simulator.phone_routes import phone
from devtools.simulator.state import EXTENSION_KEY, SimulatorState

if TYPE_CHECKING:
    from collections.abc import Callable

    from devtools.simulator.config import SimulatorConfig


def _graph_error(error: GraphError) -> flask.Response:
    response = flask.jsonify(error.body())
    response.status_code = error.http_status
    return response


def create_app(config: SimulatorConfig, clock: Callable[[], float] = time.time) -> flask.Flask:
    """Build a simulator app; ``clock`` is injectable so tests can move time (window, media expiry)."""
    app = flask.Flask("devtools.simulator")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # listings show accents as typed
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep Meta's field order in answers
    app.url_map.converters["graph_version"] = GraphVersionConverter
    app.extensions[EXTENSION_KEY] = SimulatorState(config, clock)
    app.register_error_handler(GraphError, _graph_error)
    app.register_blueprint(graph)
    app.register_blueprint(phone)
    app.register_blueprint(control)
    return app
