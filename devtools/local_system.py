"""``make run``: the whole local system on loopback, stopped by one Ctrl-C.

moto in server mode stands in for DynamoDB (and its streams), S3, SQS and Secrets Manager (unless
``AWS_ENDPOINT_URL`` already names an endpoint); the WhatsApp simulator runs in this process; the API runs as
``chalice local`` in a child process; the event runner feeds the stream and the schedules to the app in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from devtools.local_auth import local_auth_environment, officer_commands
from devtools.local_env import (
    Urls,
    aws_environment,
    banner,
    free_port,
    local_secrets,
    office_numbers_environment,
    port_in_use,
    scrub_aws,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 60.0
log = logging.getLogger("devtools.local_system")


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m devtools.local_system", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--api-port", type=int, default=int(env.get("API_PORT", "8000")), help="0: a free port")
    parser.add_argument("--simulator-port", type=int, default=int(env.get("SIMULATOR_PORT", "8001")))
    parser.add_argument("--moto-port", type=int, default=int(env.get("MOTO_PORT", "5000")))
    parser.add_argument(
        "--signin-port", type=int, default=int(env.get("SIGNIN_PORT", "8002")), help="the console's local sign-in"
    )
    parser.add_argument("--no-banner", action="store_true", help="do not print the banner when ready")
    parser.add_argument("--no-demo", action="store_true", help="do not add the demo cases behind the waiting times")
    parser.add_argument("--ready-file", type=Path, help="write the URLs there as JSON once everything answers")
    return parser.parse_args(argv)


def _start_aws(stack: contextlib.ExitStack, moto_port: int) -> str:
    """The endpoint to use: ``AWS_ENDPOINT_URL`` when set, else a moto server started here."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        return os.environ["AWS_ENDPOINT_URL"]
    from devtools.moto_server import SerialDynamoMotoServer

    server = SerialDynamoMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    server.start()
    stack.callback(server.stop)
    host, port = server.get_host_and_port()
    return f"http://{host}:{port}"


def _create_resources(region: str) -> None:
    import boto3

    from devtools.local_aws import create_resources, load_template, resolve

    template = load_template()
    resources = resolve(template)
    created = create_resources(template, resources, boto3.session.Session(region_name=region), region)
    log.info("resources ready (%d created)", len(created))
    os.environ.update({k: v for k, v in resources.environment.items() if k != "WHATSAPP_SECRET_ID"})


def _start_api(stack: contextlib.ExitStack, port: int) -> subprocess.Popen[bytes]:
    # `chalice local` with the deployed gateway's answer to unknown paths (devtools/local_api.py). No autoreload
    # (which re-executes sys.argv): one process to stop.
    serve = [sys.executable, "-m", "devtools.local_api", "local"]
    command = [*serve, "--host", "127.0.0.1", "--port", str(port), "--stage", "dev", "--no-autoreload"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # its own process group
    stack.callback(_stop_process_group, process)
    return process


def _start_signin(stack: contextlib.ExitStack, api: str, port: int) -> str:
    """The console's local sign-in (Cognito's hosted UI locally); the API learns its address and the console's."""
    from devtools.local_auth import AUDIENCE, issuer_for
    from devtools.local_signin import start

    console_url = f"{api}/console/"
    signin = start(issuer_for(api), AUDIENCE, console_url, port)
    stack.callback(signin.stop)
    os.environ.update({"CONSOLE_AUTH_URL": signin.url, "CONSOLE_URL": console_url})
    return signin.url


def _stop_process_group(process: subprocess.Popen[bytes]) -> None:
    # The whole group: with the autoreloader chalice is two processes, and the parent does not forward SIGTERM.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def _wait_for_api(api: str, process: subprocess.Popen[bytes], verify_token: str, stop: threading.Event) -> bool:
    """True once Meta's verification handshake answers; False if the child died, we were stopped or timed out."""
    params = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": "ping"}
    deadline = time.monotonic() + READY_TIMEOUT
    while not stop.is_set() and process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            response = requests.get(f"{api}/webhook", params=params, timeout=2)
            if response.status_code == 200 and response.text == "ping":
                return True
        stop.wait(0.1)
    return False


def seed_in_process(seed: Any) -> int:
    """Run the demo seeding with this process's environment (the same tables as the API)."""
    from chalicelib.bootstrap import Container
    from chalicelib.settings import Settings, get_settings

    get_settings.cache_clear()
    added: int = seed(Container(Settings.from_env()))
    return added


def _write_ready_file(path: Path, urls: Urls, extra: dict[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({**urls.as_json(), **extra}))
    temporary.replace(path)  # atomic: a reader never sees half a file


def _busy_ports(args: argparse.Namespace, own_moto: bool) -> list[str]:
    # Checked up front: moto's server thread would hang on a busy port instead of failing.
    wanted = {"--api-port": args.api_port, "--simulator-port": args.simulator_port, "--signin-port": args.signin_port}
    if own_moto:
        wanted["--moto-port"] = args.moto_port
    return [f"{flag} {port}" for flag, port in wanted.items() if port_in_use(port)]


def run(args: argparse.Namespace, stop: threading.Event) -> int:
    """Start everything, wait for ``stop`` (or the API dying), stop everything; the exit status."""
    started = time.monotonic()
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "eu-south-1"
    own_moto = not os.environ.get("AWS_ENDPOINT_URL")
    busy = _busy_ports(args, own_moto)
    if busy:
        log.error("ports already in use: %s (choose others with these flags or 0 for free ones)", ", ".join(busy))
        return 2
    with contextlib.ExitStack() as stack:
        scrub_aws(os.environ, own_endpoint=own_moto)
        endpoint = _start_aws(stack, args.moto_port)
        os.environ.update(aws_environment(endpoint, region))
        _create_resources(region)

        api_port = args.api_port or free_port()
        api = f"http://127.0.0.1:{api_port}"
        secrets = local_secrets(os.environ)
        os.environ.update(secrets)
        os.environ.update(local_auth_environment(api, os.environ))  # the local issuer stands in for Cognito
        signin = _start_signin(stack, api, args.signin_port)
        os.environ["SIMULATOR_PORT"] = str(args.simulator_port)
        # The upload page's address (the simulator shows template links with it too) and the public pages' base
        # (the chat's link to the privacy notice).
        for name, url in (("WEBHOOK_URL", "/webhook"), ("UPLOAD_PAGE_URL", "/u/"), ("PUBLIC_BASE_URL", "/")):
            os.environ.setdefault(name, f"{api}{url}")
        from devtools.simulator.config import SimulatorConfig
        from devtools.simulator.server import start

        os.environ.update(office_numbers_environment())  # the simulator plays every office's number
        simulator = start(SimulatorConfig.from_env())
        stack.callback(simulator.stop)
        os.environ.setdefault("GRAPH_API_BASE_URL", simulator.url)

        process = _start_api(stack, api_port)
        if not _wait_for_api(api, process, secrets["WHATSAPP_VERIFY_TOKEN"], stop):
            if stop.is_set():
                return 0
            log.error("the API did not answer the webhook handshake (exit status %s)", process.poll())
            return 1

        sys.path.insert(0, str(ROOT))
        from app import app
        from devtools.event_runner import EventRunner

        runner = EventRunner(app)
        runner.start()
        stack.callback(runner.stop)
        if not args.no_demo:
            from devtools.demo import seed

            log.info("demo cases added: %d", seed_in_process(seed))

        urls = Urls(api=api, simulator=simulator.url, aws=endpoint, signin=signin)
        if args.ready_file:
            _write_ready_file(args.ready_file, urls, {"pid": os.getpid(), "api_pid": process.pid})
        log.info("ready in %.1f s", time.monotonic() - started)
        if not args.no_banner:
            officers = officer_commands(api_port)
            print(banner(urls, secrets, region, started_moto=own_moto, officers=officers), flush=True)
        while not stop.wait(0.5):
            if process.poll() is not None:
                log.error("the API exited (status %s); stopping", process.returncode)
                return 1
        log.info("stopping")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m devtools.local_system``."""
    args = _parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # Quiet moto's and the simulator's access logs (query strings can hold phone numbers) and boto chatter.
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return run(args, stop)


if __name__ == "__main__":
    sys.exit(main())
