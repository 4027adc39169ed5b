"""The README's walk-throughs, run as written by bash against the local system on non-default ports.

Each walk-through is a shell block after a ``<!-- walkthrough: NAME -->`` comment. They run in README order in one
shell (the later ones use the officers' variables, as the README says), with only the ports the banner exports.
"""

from __future__ import annotations

import re
import subprocess
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests

from devtools.local_env import Urls, banner, local_secrets, walkthrough_exports
from tests.e2e.conftest import ROOT, child_environment

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import LocalSystem

README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- walkthrough: (\w+) -->\n```sh\n(.*?)\n```", re.DOTALL)
WALKTHROUGHS = ("officers", "counter", "upload", "reminders")
DEFAULT_PORTS = {"API_PORT": 8000, "SIMULATOR_PORT": 8001, "MOTO_PORT": 5000}
UPLOAD_PHONE = "393337654322"  # the upload walk-through's applicant, reminded in the reminders' one
# The test runs in the installed virtualenv: make's install stamp may be older than a requirements file, and a
# walk-through must not reinstall (`make -o` takes the stamp as up to date). Any failing command stops the script.
PREAMBLE = """set -euo pipefail
trap 'echo "FAILED ($?): $BASH_COMMAND" >&2' ERR
make() { command make -o .venv/.installed "$@"; }
"""


def walkthroughs() -> dict[str, str]:
    """The marked shell blocks of the README, by name, in README order."""
    return dict(BLOCK.findall(README.read_text(encoding="utf-8")))


def _ports(system: LocalSystem) -> dict[str, int]:
    urls = {"API_PORT": system.api, "SIMULATOR_PORT": system.simulator, "MOTO_PORT": system.aws}
    return {name: int(urlsplit(url).port or 0) for name, url in urls.items()}


def test_the_readme_marks_each_walkthrough_once_in_order() -> None:
    assert tuple(walkthroughs()) == WALKTHROUGHS
    text = README.read_text(encoding="utf-8")
    assert all(text.count(f"<!-- walkthrough: {name} -->") == 1 for name in WALKTHROUGHS)


def test_the_banner_exports_the_ports_the_readme_reads() -> None:
    """The banner's export line names every port variable the walk-throughs read, with the running ports."""
    urls = Urls(api="http://127.0.0.1:18000", simulator="http://127.0.0.1:18001", aws="http://127.0.0.1:15000")
    exports = walkthrough_exports(urls, started_moto=True)
    assert exports == "export API_PORT=18000 SIMULATOR_PORT=18001 MOTO_PORT=15000"
    printed = banner(urls, local_secrets({}), "eu-south-1", started_moto=True).splitlines()
    assert f"  {exports}" in printed and "Chat as an applicant: make phone" in printed
    assert "MOTO_PORT" not in walkthrough_exports(urls, started_moto=False)  # an endpoint of one's own: no moto
    read = set(re.findall(r"\$\{(\w+_PORT):-(\d+)\}", "\n".join(walkthroughs().values())))
    assert read == {("API_PORT", "8000"), ("SIMULATOR_PORT", "8001")}  # MOTO_PORT: make remind reads it
    assert set(re.findall(r"(\w+_PORT)=", exports)) >= {name for name, _ in read} | {"MOTO_PORT"}
    text = README.read_text(encoding="utf-8")
    assert "export API_PORT=… SIMULATOR_PORT=… MOTO_PORT=…" in text
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "MOTO_PORT" in makefile.split("\nremind:", 1)[1].split("\n\n", 1)[0]


def _section(output: str, name: str) -> str:
    start = output.index(f"=== walkthrough: {name} ===")
    following = [output.find(f"=== walkthrough: {other} ===", start + 1) for other in WALKTHROUGHS]
    return output[start : min([at for at in following if at > start] or [len(output)])]


def _reminded(system: LocalSystem, timeout: float = 30.0) -> list[str]:
    """The template names sent to the upload walk-through's applicant, once a reminder is among them."""
    deadline = time.monotonic() + timeout
    while True:
        sent = requests.get(f"{system.simulator}/_simulator/messages", params={"to": UPLOAD_PHONE}, timeout=10).json()
        names = [m["body"]["template"]["name"] for m in sent if m.get("body", {}).get("type") == "template"]
        if any("promemoria" in name for name in names) or time.monotonic() > deadline:
            return names
        time.sleep(0.5)


def test_every_walkthrough_runs_as_written_on_other_ports(local_system: LocalSystem, tmp_path: Path) -> None:
    """Each command exits 0 (the script stops at the first that fails) and the key answers are there: the booking
    is refused, then booked after the checklist is done; the link opens, then is gone; the sweep queues once."""
    ports = _ports(local_system)
    assert all(ports[name] != port for name, port in DEFAULT_PORTS.items()), ports
    blocks = walkthroughs()
    script = PREAMBLE + "".join(f'echo "=== walkthrough: {name} ==="\n{blocks[name]}\n' for name in WALKTHROUGHS)
    env = {**child_environment(tmp_path), **{name: str(port) for name, port in ports.items()}}
    done = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=110, check=False
    )
    output = done.stdout
    assert done.returncode == 0, f"{done.stderr[-3000:]}\n{output[-3000:]}"

    officers = _section(output, "officers")
    refused = officers.index('"code":"checklist_incomplete"')
    assert '"status":"appointment_booked"' in officers[refused:]  # the booking after the checklist is done: 200
    assert '"code":"slot_unavailable"' not in officers and '"code":"not_found"' in officers  # MC sees nothing
    assert '"entries":' in officers  # the supervisor's audit log

    counter = _section(output, "counter")
    assert '"attended":true' in counter and '"status":"at_counter"' in counter

    upload = _section(output, "upload")
    assert re.findall(r"(\d{3})$", upload, re.MULTILINE) == ["200", "410"]

    reminders = _section(output, "reminders")
    first, again = (int(count) for count in re.findall(r'"queued": (\d+)', reminders))
    assert first >= 1 and again == 0  # the upload walk-through's case (and any visit reminder due by then)
    assert any("promemoria" in name for name in _reminded(local_system))
