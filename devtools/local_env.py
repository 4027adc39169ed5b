"""Settings of the local system: ports, the AWS environment that points at moto, local secrets, the banner."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from devtools.simulator.config import SimulatorConfig

if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping, Sequence

DEFAULT_REGION = "eu-south-1"
DEFAULT_VERIFY_TOKEN = "local-verify-token"
SECRET_NAMES = ("WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID")
EXAMPLE_PHONE = "+393330000000"  # an example for the banner, no one's number


def free_port() -> int:
    """A TCP port that is free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    """True when loopback ``port`` cannot be bound (0, "any free port", never is)."""
    if port == 0:
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is no conflict
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def local_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    """The WhatsApp secrets: the environment's when set, else the simulator's defaults (so both sides agree)."""
    defaults = SimulatorConfig()
    fallback = {
        "WHATSAPP_APP_SECRET": defaults.app_secret,
        "WHATSAPP_VERIFY_TOKEN": DEFAULT_VERIFY_TOKEN,  # only the app and Meta's handshake know this one
        "WHATSAPP_ACCESS_TOKEN": defaults.access_token,
        "WHATSAPP_PHONE_NUMBER_ID": defaults.phone_number_id,
    }
    return {name: environ.get(name) or fallback[name] for name in SECRET_NAMES}


def office_numbers_environment() -> dict[str, str]:
    """The offices' own WhatsApp numbers (``offices.json``): the simulator plays them as the account's others."""
    from chalicelib.offices import offices

    numbers = [entry.phone_number_id for entry in offices().values() if entry.phone_number_id]
    return {"WHATSAPP_OTHER_PHONE_NUMBER_IDS": ",".join(numbers)}


def aws_environment(endpoint: str, region: str) -> dict[str, str]:
    """What every botocore client (PynamoDB included) needs to talk to the local endpoint and nothing else."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,  # Settings reads AWS_REGION first: keep the two in step
        # botocore otherwise sends DynamoDB Streams calls to an account-based host that moto does not route.
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }


def scrub_aws(environ: MutableMapping[str, str], own_endpoint: bool) -> None:
    """Drop what could send calls elsewhere: a profile, a session token, per-service endpoints, a secret id."""
    # Locally the secrets come from the environment, never from Secrets Manager.
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "WHATSAPP_SECRET_ID"):
        environ.pop(key, None)
    if own_endpoint:
        for key in [k for k in environ if k.startswith("AWS_ENDPOINT_URL_")]:
            environ.pop(key)


@dataclass(frozen=True, slots=True)
class Urls:
    """Where the parts of the local system listen."""

    api: str
    simulator: str
    aws: str
    signin: str = ""

    def as_json(self) -> dict[str, str]:
        """The ready file's content."""
        return {
            "api": self.api,
            "webhook": f"{self.api}/webhook",
            "console": f"{self.api}/console/",
            "simulator": self.simulator,
            "aws": self.aws,
            "signin": self.signin,
        }


def _port(url: str) -> str:
    return url.rsplit(":", 1)[-1].split("/", 1)[0]


def walkthrough_exports(urls: Urls, started_moto: bool) -> str:
    """The banner's ``export`` line: the ports the README's walk-throughs and ``make token|phone|remind`` read."""
    ports = [("API_PORT", urls.api), ("SIMULATOR_PORT", urls.simulator)]
    if started_moto:
        ports.append(("MOTO_PORT", urls.aws))
    return "export " + " ".join(f"{name}={_port(url)}" for name, url in ports)


def banner(
    urls: Urls, secrets: Mapping[str, str], region: str, started_moto: bool, officers: Sequence[str] = ()
) -> str:
    """What the person who typed ``make run`` needs to know."""
    aws_label = "AWS (moto)" if started_moto else "AWS endpoint"
    exports = walkthrough_exports(urls, started_moto)
    digits = EXAMPLE_PHONE.lstrip("+")
    lines = [
        "",
        "Sportello is running on loopback:",
        f"  Console      {urls.api}/console/   (officers: sign in locally as any sample officer)",
        f"  API          {urls.api}   (Meta's webhook: {urls.api}/webhook)",
        f"  Simulator    {urls.simulator}   (WhatsApp Cloud API + /_simulator)",
        f"  {aws_label:<12} {urls.aws}   (region {region})",
        "Local secrets (throwaway values, shared by the app and the simulator):",
        *(f"  {name}={secrets[name]}" for name in SECRET_NAMES),
        "In another terminal (the README's walk-throughs, make token, make phone and make remind read these):",
        f"  {exports}",
        "Chat as an applicant: make phone",
        "Or send one message and read the replies:",
        f"  curl -s -X POST {urls.simulator}/_simulator/inbound -H 'Content-Type: application/json' \\",
        f'       -d \'{{"from": "{EXAMPLE_PHONE}", "text": "Ciao"}}\'',
        f"  curl -s '{urls.simulator}/_simulator/messages?to={digits}'",
        *officers,
        "Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines)
