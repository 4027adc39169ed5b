"""The real local system (``python -m devtools.local_system``) as a subprocess on free ports, once per session.

The root conftest rewrites this process's AWS and WhatsApp environment for in-process tests, so the child gets
an explicit environment of its own instead of a copy of ours.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from devtools.local_env import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
SECRETS = {
    "WHATSAPP_APP_SECRET": "e2e-app-secret",
    "WHATSAPP_VERIFY_TOKEN": "e2e-verify-token",
    "WHATSAPP_ACCESS_TOKEN": "e2e-access-token",
    "WHATSAPP_PHONE_NUMBER_ID": "100000000000009",
}
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONDONTWRITEBYTECODE")


@dataclass
class LocalSystem:
    """A started local system: its process, its log and the URLs from its ready file."""

    process: subprocess.Popen[bytes]
    log_path: Path
    ready: dict[str, Any]

    @property
    def api(self) -> str:
        return str(self.ready["api"])

    @property
    def simulator(self) -> str:
        return str(self.ready["simulator"])

    @property
    def aws(self) -> str:
        return str(self.ready["aws"])

    def output_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def child_environment(workdir: Path) -> dict[str, str]:
    """Only what the child needs: no AWS endpoint, profile or credentials leak in from this process."""
    env = {key: os.environ[key] for key in _INHERITED if key in os.environ}
    missing = str(workdir / "no-such-aws-file")  # hermetic: ignore ~/.aws/config and credentials
    env.update(SECRETS, AWS_CONFIG_FILE=missing, AWS_SHARED_CREDENTIALS_FILE=missing, PYTHONUNBUFFERED="1")
    env["REMINDER_RETRY_BASE_SECONDS"] = "1"  # the reminder worker's back-off, short enough to watch in a test
    return env


def start_local_system(workdir: Path) -> LocalSystem:
    """Start the system on free ports and wait for its ready file (fails with the child's output tail)."""
    ready_file, log_path = workdir / "ready.json", workdir / "output.log"
    command = [sys.executable, "-m", "devtools.local_system", "--no-banner", "--ready-file", str(ready_file)]
    command += ["--api-port", str(free_port()), "--simulator-port", "0", "--moto-port", "0", "--signin-port", "0"]
    with log_path.open("wb") as output:
        # Its own process group, so that stopping it is a killpg, as a terminal's Ctrl-C reaches the whole group.
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=child_environment(workdir),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    system = LocalSystem(process, log_path, {})
    deadline = time.monotonic() + START_TIMEOUT
    while not ready_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_local_system(system)
            pytest.fail(f"local system did not start (exit {process.poll()}):\n{system.output_tail()}")
        time.sleep(0.1)
    system.ready = json.loads(ready_file.read_text())
    return system


def stop_local_system(system: LocalSystem, timeout: float = 15.0) -> int | None:
    """SIGTERM the launcher's process group, as Ctrl-C would; SIGKILL whatever is left. The exit status."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(system.process.pid, signal.SIGTERM)
    try:
        status: int | None = system.process.wait(timeout)
    except subprocess.TimeoutExpired:
        status = None
    # Safety net: the API runs in a process group of its own, which only the launcher stops.
    for pid in (system.process.pid, system.ready.get("api_pid")):
        if isinstance(pid, int):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
    system.process.wait(5)
    return status


def inbound_states(system: LocalSystem, wamid: str) -> list[str]:
    """The state of each inbound row the local system's moto holds for ``wamid`` (a Scan: a test, not app code)."""
    import boto3

    from devtools.local_aws import load_template, resolve

    dynamodb = boto3.session.Session().client(
        "dynamodb",
        endpoint_url=system.aws,
        region_name="eu-south-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        aws_session_token=None,
    )
    table = resolve(load_template()).environment["INBOUND_TABLE"]
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=table, FilterExpression="wamid = :w", ExpressionAttributeValues={":w": {"S": wamid}}
    )
    return [item["state"]["S"] for page in pages for item in page["Items"]]


def wait_until_processed(system: LocalSystem, wamid: str, timeout: float = 20.0) -> None:
    """Until the message is stored once and marked processed: every reply of its turn has then been sent.

    The durable record that a turn is over, where a pause would only guess that no further reply is coming.
    """
    deadline = time.monotonic() + timeout
    while (states := inbound_states(system, wamid)) != ["processed"]:
        assert time.monotonic() < deadline, f"{wamid}: {states} after {timeout} s\n{system.output_tail()}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (never a downloaded browser); skipped or failed like the public page test."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_public_page_browser import _chromium

    executable = _chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def local_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    """The whole local system, shared by the e2e tests of the session."""
    system = start_local_system(tmp_path_factory.mktemp("local-system"))
    try:
        yield system
    finally:
        stop_local_system(system)
