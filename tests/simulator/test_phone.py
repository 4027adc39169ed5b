"""``devtools.phone`` against a real simulator served by ``start()``, with piped stdin."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devtools import phone
from devtools.simulator.config import SimulatorConfig
from devtools.simulator.server import RunningSimulator, start
from tests.simulator.conftest import (
    AUTH,
    MESSAGES,
    UPLOAD_TOKEN,
    Received,
    Receiver,
    buttons,
    documents_request,
    template,
    text,
)

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def running(config: SimulatorConfig) -> Iterator[RunningSimulator]:
    simulator = start(SimulatorConfig(**{**config.__dict__, "port": 0}))
    yield simulator
    simulator.state.wait_idle(5)
    simulator.stop()


def app_send(running: RunningSimulator, body: dict[str, Any]) -> str:
    response = requests.post(running.url + MESSAGES, json=body, headers=AUTH, timeout=5)
    assert response.status_code == 200, response.text
    return str(response.json()["messages"][0]["id"])


def office(running: RunningSimulator, receiver: Receiver) -> None:
    """Play the app: answer a text with buttons, and a button tap with a confirmation."""
    running.state.switches.statuses = []

    def reply(received: Received) -> None:
        for message in received.messages():
            if message["type"] == "text":
                app_send(running, buttons(["Sì", "No"], to=message["from"], body="Hai il passaporto?"))
            elif message["type"] == "interactive":
                title = message["interactive"]["button_reply"]["title"]
                app_send(running, text(to=message["from"], body=f"Scelto: {title}"))

    receiver.handler = reply


def run_phone(url: str, stdin: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "SIMULATOR_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "devtools.phone", "--from", "+39 333 1234567", "--wait", "0", *extra],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=30,
        check=False,
    )


def test_piped_chat_shows_history_buttons_and_picks_one(running: RunningSimulator, receiver: Receiver) -> None:
    office(running, receiver)
    app_send(running, template())  # history: a reminder sent before the chat starts
    result = run_phone(running.url, "ciao\n2\n/quit\nnot sent\n", "--name", "Mario")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    assert "office> [template promemoria_documenti/it] Mario" in out
    assert "you> ciao" in out
    assert "office> Hai il passaporto?" in out
    assert "[1] Sì" in out and "[2] No" in out
    assert "office> Scelto: No" in out
    assert out.index("[2] No") < out.index("you> 2") < out.index("Scelto: No")
    messages = [m for r in receiver.received for m in r.messages()]
    assert [m["type"] for m in messages] == ["text", "interactive"]
    tap = messages[1]
    assert tap["interactive"]["button_reply"] == {"id": "b1", "title": "No"}
    assert tap["context"]["id"] == running.state.users[tap["from_user_id"]].last_interactive_wamid
    assert receiver.received[0].payload["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] == "Mario"


def test_unreachable_simulator_is_reported_without_a_traceback() -> None:
    result = run_phone(f"http://127.0.0.1:{free_port()}", "hello\n")
    assert result.returncode == 0
    assert "simulator not reachable" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_file_raw_help_and_list_rows_in_process(running: RunningSimulator, receiver: Receiver, tmp_path: Path) -> None:
    running.state.switches.statuses = []
    document = tmp_path / "busta paga.pdf"
    document.write_bytes(b"%PDF-1.4 busta paga")
    requests.post(running.url + "/_simulator/inbound", json={"from": "+393331234567", "text": "hi"}, timeout=5)
    rows = [
        {"id": "rinnovo", "title": "Rinnovo", "description": "In scadenza"},
        {"id": "primo", "title": "Primo rilascio"},
    ]
    list_body = buttons(["x"]) | {
        "interactive": {
            "type": "list",
            "body": {"text": "Quale pratica?"},
            "action": {"button": "Pratiche", "sections": [{"title": "Permessi", "rows": rows}]},
        }
    }
    app_send(running, list_body)
    out = io.StringIO()
    location = '{"type": "location", "location": {"latitude": 45.1, "longitude": 9.2}}'
    lines = f'/help\n/file "{document}" la mia busta paga\n/raw {location}\n1\n9\n'
    code = phone.main(["--url", running.url, "--wait", "0"], stdin=io.StringIO(lines), out=out)
    assert code == 0
    shown = out.getvalue()
    assert "/file PATH [caption]" in shown
    assert "<Pratiche>" in shown
    assert "[1] Rinnovo - In scadenza" in shown and "[2] Primo rilascio" in shown
    messages = receiver.wait_for_messages(5)[1:]
    assert [m["type"] for m in messages] == ["document", "location", "interactive", "text"]
    assert messages[0]["document"]["filename"] == "busta paga.pdf"
    assert messages[0]["document"]["caption"] == "la mia busta paga"
    assert messages[1]["location"] == {"latitude": 45.1, "longitude": 9.2}
    assert messages[2]["interactive"]["list_reply"] == rows[0]
    assert messages[3]["text"]["body"] == "9"  # out of range: sent as text


def test_render_of_office_messages() -> None:
    lines, options = phone.render({"body": buttons(["Sì", "No"], body="Confermi?")})
    assert lines == ["Confermi?", "  [1] Sì", "  [2] No"]
    assert options == [{"button_reply": {"id": "b0", "title": "Sì"}}, {"button_reply": {"id": "b1", "title": "No"}}]
    assert phone.render({"body": template()}) == (["[template promemoria_documenti/it] Mario"], None)
    assert phone.render({"body": {"type": "image"}, "preview": "[image 12]"}) == (["[image 12]"], None)


def test_render_of_a_template_with_a_url_button() -> None:
    url = f"http://127.0.0.1:8000/u/{UPLOAD_TOKEN}"
    lines, options = phone.render({"body": documents_request(), "links": [url]})
    assert lines == ["[template sportello_documenti_richiesti/en] ABC123 Passport, Payslip", f"  \u2197 {url}"]
    assert options is None
    # an entry without resolved links (an older simulator) shows the bare parameter
    assert phone.render({"body": documents_request()})[0][1] == f"  \u2197 {UPLOAD_TOKEN}"


def test_phone_shows_the_whole_link_from_the_listing(running: RunningSimulator) -> None:
    running.state.switches.statuses = []
    app_send(running, documents_request())
    out = io.StringIO()
    assert phone.main(["--url", running.url, "--wait", "0"], stdin=io.StringIO("/quit\n"), out=out) == 0
    assert f"\n          \u2197 http://127.0.0.1:8000/u/{UPLOAD_TOKEN}\n" in out.getvalue()


def test_server_start_stop_and_module_entry_point(config: SimulatorConfig) -> None:
    running = start(SimulatorConfig(**{**config.__dict__, "port": 0}))
    assert requests.get(running.url + "/_simulator/status", timeout=5).json()["outbox"] == 0
    running.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(running.url + "/_simulator/status", timeout=2)
    port = free_port()
    env = {**os.environ, "SIMULATOR_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.simulator"], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip().endswith(f"http://127.0.0.1:{port}")
        assert requests.get(f"http://127.0.0.1:{port}/_simulator/config", timeout=5).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_phone_reports_webhook_problems(running: RunningSimulator, receiver: Receiver) -> None:
    receiver.status = 500
    out = io.StringIO()
    phone.main(["--url", running.url, "--wait", "0"], stdin=io.StringIO("uno\n"), out=out)
    assert "the app answered the webhook with HTTP 500" in out.getvalue()
    requests.post(running.url + "/_simulator/config", json={"hold": True}, timeout=5)
    out = io.StringIO()
    phone.main(["--url", running.url, "--wait", "0"], stdin=io.StringIO("due\n"), out=out)
    assert "held by the simulator" in out.getvalue()
    requests.post(
        running.url + "/_simulator/config", json={"hold": False, "webhook_url": "http://127.0.0.1:9/"}, timeout=5
    )
    out = io.StringIO()
    phone.main(["--url", running.url, "--wait", "0"], stdin=io.StringIO("tre\n"), out=out)
    assert "the app did not answer the webhook" in out.getvalue()


def test_phone_writes_to_another_offices_number(running: RunningSimulator, receiver: Receiver) -> None:
    assert (phone.business_number("MC"), phone.business_number("an"), phone.business_number(None)) == (
        "100000000000002",  # Macerata's own number (offices.json)
        None,  # Ancona has none of its own: the main number
        None,
    )
    assert phone.business_number("100000000000099") == "100000000000099"
    with pytest.raises(SystemExit):
        phone.business_number("XX")
    out = io.StringIO()
    assert phone.main(["--url", running.url, "--to", "MC", "--wait", "0"], stdin=io.StringIO("ciao\n"), out=out) == 0
    assert "to MC (100000000000002)" in out.getvalue()
    [received] = receiver.wait_for(1)
    assert received.values()[0]["metadata"]["phone_number_id"] == "100000000000002"
