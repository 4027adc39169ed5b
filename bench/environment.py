"""A moto server on loopback with the app's resources, for benchmarks (what ``make run`` uses, without the rest)."""

from __future__ import annotations

import os
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class LocalAws:
    """Where the benchmark's AWS lives."""

    endpoint: str
    region: str
    session: Any
    root: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def local_aws() -> Iterator[LocalAws]:
    """Start moto's server, point every client at it, create the resources of ``infra/resources.json``."""
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    region = "eu-south-1"
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "WHATSAPP_APP_SECRET": "bench-app-secret",
            "WHATSAPP_VERIFY_TOKEN": "bench-verify-token",
            "WHATSAPP_ACCESS_TOKEN": "bench-access-token",
            "WHATSAPP_PHONE_NUMBER_ID": "100000000000001",
            "LOG_LEVEL": "WARNING",
        }
    )
    import boto3

    from devtools.local_aws import create_resources, load_template, resolve

    template = load_template()
    resources = resolve(template)
    os.environ.update({k: v for k, v in resources.environment.items() if k != "WHATSAPP_SECRET_ID"})
    session = boto3.session.Session()
    create_resources(template, resources, session, region)
    try:
        yield LocalAws(endpoint, region, session, ROOT)
    finally:
        server.stop()
