"""``chalice local`` answering like the deployed API Gateway where the app is never reached.

    python -m devtools.local_api local --host 127.0.0.1 --port 8000 --stage dev --no-autoreload

Chalice's local gateway answers a path no route has with 403 ``{"message": "Missing Authentication Token"}``;
in AWS the template's gateway responses (``infra/responses.py``) turn that into 404 ``not_found`` in the app's
error shape. This runs the chalice command line with the same answer, so ``make run`` behaves as deployed.

Meta delivers webhooks in bursts. Chalice's server already runs a thread per connection, but it listens with
``socketserver``'s backlog of 5: 50 POSTs arriving at once saw "connection reset by peer". :class:`BurstServer`
listens with a deep backlog instead. Handling requests in parallel is safe: chalice keeps ``current_request`` per
thread in local mode and builds a gateway and a route handler per request; the app's container builds its boto3
clients and reads its secrets under locks, builds each cached dependency once (Python 3.11's ``cached_property``
locks; a later Python could build an equal copy twice in a race), and what they keep between requests is guarded
(the secrets, the officers seen). PynamoDB's clients are the exception, built before the server listens
(:func:`warm_up`).
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from chalice import local
from chalice.cli import main as chalice_main

from chalicelib.domain.upload_links import without_tokens
from infra.responses import ANSWERS, HEADERS

_STATUS, _CODE, _MESSAGE = ANSWERS["MISSING_AUTHENTICATION_TOKEN"]
# Connections the kernel holds until the server's one accepting thread takes them (it then hands each to a thread of
# its own): above a burst's size (issue 16: >= 100 concurrent webhook POSTs, none reset). Linux caps it at
# net.core.somaxconn (4096 by default).
LISTEN_BACKLOG = 256


class NoSuchRoute(local.LocalGatewayException):
    """A path no route has (API Gateway's MISSING_AUTHENTICATION_TOKEN)."""

    CODE = _STATUS or 404


def no_such_route() -> NoSuchRoute:
    """The deployed gateway's answer to a path no route has."""
    body = json.dumps({"error": {"code": _CODE, "message": _MESSAGE}}).encode()
    return NoSuchRoute({**HEADERS, "Content-Type": "application/json"}, body)


class Gateway(local.LocalGateway):
    """Chalice's local gateway, with the deployed answer to an unknown path."""

    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            return super()._generate_lambda_event(method, path, headers, body)
        except ValueError:  # no route matches the path (chalice's RouteMatcher)
            raise no_such_route() from None


class BurstServer(local.ThreadedHTTPServer):
    """Chalice's thread-per-connection server, with a listen backlog that holds a burst of webhooks."""

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True  # a request still running never holds up Ctrl-C


def warm_up() -> None:
    """Build the app's container and its DynamoDB clients before the first request.

    PynamoDB builds a model's botocore client on first use, in whichever thread gets there, with no lock: a burst
    arriving at a cold server had every thread build its own (~0.1 s of CPU each, per model), and 150 webhooks took
    ~37 s to answer. Built once here, the burst finds them ready. No request is made (building a client is local).
    """
    from chalicelib.adapters.dynamo.models import ALL_MODELS
    from chalicelib.bootstrap import container
    from chalicelib.settings import ConfigurationError

    try:
        container()  # binds the models to their tables
    except ConfigurationError as exc:  # not configured (run outside `make run`): each request will say so
        logging.getLogger("devtools.local_api").warning("no warm-up: %s", exc)
        return
    for model in ALL_MODELS:
        model._get_connection().connection.client  # noqa: B018 - the property builds and keeps the client


class RequestHandler(local.ChaliceRequestHandler):
    """Chalice's request handler, whose access log never shows an upload link's token (``/u/<token>``)."""

    def log_message(self, format: str, *args: Any) -> None:
        super().log_message(format, *(without_tokens(a) if isinstance(a, str) else a for a in args))


class DevServer(local.LocalDevServer):
    """Chalice's local server on :class:`BurstServer`, warmed up before it listens."""

    def __init__(self, app_object: Any, config: Any, host: str, port: int) -> None:
        warm_up()
        super().__init__(app_object, config, host, port, handler_cls=RequestHandler, server_cls=BurstServer)


def main() -> int:
    """Run the chalice command line with :class:`Gateway` and :class:`DevServer` in place of chalice's own."""
    local.LocalGateway = Gateway  # type: ignore[misc]  # chalice's request handler builds one per request
    local.LocalDevServer = DevServer  # type: ignore[misc,assignment]  # chalice.local.create_local_server builds it
    sys.argv[0] = "chalice"
    return int(chalice_main() or 0)


if __name__ == "__main__":
    sys.exit(main())
