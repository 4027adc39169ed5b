"""moto's threaded server with one fix for the local system: DynamoDB requests are handled one at a time.

moto 5.2.5 rolls a failed ``TransactWriteItems`` back by restoring the tables it touched from a copy taken when the
transaction started, so a write another thread committed meanwhile is silently lost. Our version-checked case
saves rely on transactions (a concurrent save must get a conflict, never erase the other); two uploads confirmed at
once on the page lost one of them locally. Real DynamoDB has no such problem. Serialising DynamoDB requests in the
local server is cheap at one person's load and makes moto keep DynamoDB's guarantees; S3 and SQS stay concurrent.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


class SerialDynamo:
    """WSGI middleware: DynamoDB calls (``X-Amz-Target: DynamoDB_…``) one at a time, the rest as they come."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith("DynamoDB_"):
            return self._app(environ, start_response)
        with self._lock:
            return list(self._app(environ, start_response))  # the body is built inside the lock


class SerialDynamoMotoServer(ThreadedMotoServer):
    """``ThreadedMotoServer`` whose application is wrapped in :class:`SerialDynamo`."""

    def _server_entry(self) -> None:
        app = SerialDynamo(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()
