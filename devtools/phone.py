"""Terminal chat with the local system, playing an applicant through the WhatsApp simulator.

``python -m devtools.phone [--from +39...] [--to OFFICE|PHONE_NUMBER_ID] [--name NAME] [--url SIMULATOR_URL]``
(``make phone [TO=MC]``): ``--to`` writes to that office's WhatsApp number (``offices.json``) or to any number
of the business account by Meta's id (the main number by default).  Type a
line to send it; ``/file PATH [caption]`` sends a file; ``/raw JSON`` sends any message object; a number
picks that button or list row of the last interactive message; ``/help``; ``/quit``.  Works with piped
stdin too (each input line is echoed, and replies are awaited for ``--wait`` seconds at the end).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shlex
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

import requests

HELP = """\
  text          send a text message
  1..n          pick that button / list row of the last interactive message
  /file PATH [caption]   send a photo or document
  /raw JSON     send a raw message object, e.g. /raw {"type": "sticker", "sticker": {"id": "1"}}
  /help         this help
  /quit         leave"""
POLL_SECONDS = 0.5


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _interactive(interactive: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """Lines for a button or list message, and the choices its numbers stand for."""
    lines = [str(_d(interactive.get("header")).get("text", ""))] if interactive.get("header") else []
    lines.append(str(_d(interactive.get("body")).get("text", "")))
    if interactive.get("footer"):
        lines.append(f"({_d(interactive.get('footer')).get('text', '')})")
    action, options = _d(interactive.get("action")), []
    if interactive.get("type") == "button":
        for button in action.get("buttons") or []:
            reply = _d(_d(button).get("reply"))
            options.append({"button_reply": {"id": reply.get("id"), "title": reply.get("title")}})
            lines.append(f"  [{len(options)}] {reply.get('title')}")
    elif interactive.get("type") == "list":
        lines.append(f"  <{action.get('button')}>")
        for section in action.get("sections") or []:
            if _d(section).get("title"):
                lines.append(f"  {_d(section)['title']}:")
            for item in _d(section).get("rows") or []:
                row = _d(item)
                options.append({"list_reply": {k: row[k] for k in ("id", "title", "description") if k in row}})
                extra = f" - {row['description']}" if row.get("description") else ""
                lines.append(f"  [{len(options)}] {row.get('title')}{extra}")
    return lines, options


def _template(template: dict[str, Any], links: Any = None) -> list[str]:
    """The template's parameters on one line, then each URL button's link on its own line.

    A URL button carries only the end of its link; the simulator's listing resolves it (``links``, one per
    URL button, in order).  Without that, the bare parameter is shown.
    """
    params, suffixes = [], []
    for component in template.get("components") or []:
        values = []
        for param in _d(component).get("parameters") or []:
            kind = _d(param).get("type")
            value = _d(param).get(kind) if isinstance(kind, str) else None
            values.append(str(value) if isinstance(value, str) else f"<{kind}>")
        if _d(component).get("type") == "button" and _d(component).get("sub_type") == "url":
            suffixes.append(values[0] if values else "")
        else:
            params += values
    resolved = links if isinstance(links, list) and len(links) == len(suffixes) else suffixes
    language = _d(template.get("language")).get("code")
    line = f"[template {template.get('name')}/{language}] " + " ".join(params)
    return [line, *(f"  ↗ {url}" for url in resolved)]


def render(entry: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]] | None]:
    """Lines for one message from the office; choices when it is an interactive message."""
    body = _d(entry.get("body"))
    kind = body.get("type")
    if kind == "text":
        return [str(_d(body.get("text")).get("body", ""))], None
    if kind == "interactive":
        return _interactive(_d(body.get("interactive")))
    if kind == "template":
        return _template(_d(body.get("template")), entry.get("links")), None
    return [str(entry.get("preview") or f"[{kind}]")], None


class Phone:
    """One applicant's chat: sends through the simulator and prints what the office sends back."""

    def __init__(self, url: str, phone: str, name: str, out: TextIO, to: str | None = None) -> None:
        self.url, self.phone, self.name, self.out = url.rstrip("/"), phone, name, out
        self.to = to  # the business number written to (Meta's phone_number_id); None: the main one
        self.next_index = 0
        self.options: list[dict[str, Any]] = []
        self.reachable = True
        self.lock = threading.Lock()

    def say(self, line: str) -> None:
        """Print a line (from any thread)."""
        print(line, file=self.out, flush=True)

    def _unreachable(self, what: str) -> None:
        if self.reachable:
            self.say(f"! simulator not reachable at {self.url} ({what}); is `make run` running?")
        self.reachable = False

    def poll(self, *, show: bool = True) -> None:
        """Fetch and print the office's new messages to this phone."""
        with self.lock:
            try:
                response = requests.get(
                    f"{self.url}/_simulator/messages",
                    params={"to": self.phone, "since": str(self.next_index)},
                    timeout=5,
                )
                response.raise_for_status()
                entries = response.json()
            except (requests.RequestException, ValueError) as exc:
                self._unreachable(type(exc).__name__)
                return
            if not self.reachable:
                self.say("! simulator reachable again")
            self.reachable = True
            for entry in entries:
                self.next_index = int(entry["index"]) + 1
                lines, options = render(entry)
                if options is not None:
                    self.options = options
                if show:
                    self.say("office> " + "\n        ".join(lines))

    def send(self, content: dict[str, Any]) -> None:
        """Send one message as this applicant, then show any immediate reply."""
        payload = {"from": self.phone, "name": self.name, **content}
        if self.to:
            payload["phone_number_id"] = self.to
        try:
            response = requests.post(f"{self.url}/_simulator/inbound", json=payload, timeout=60)
        except requests.RequestException as exc:
            with self.lock:
                self.reachable = True  # say it again: this message was lost
                self._unreachable(f"message not sent: {type(exc).__name__}")
            return
        result = _d(response.json()) if response.headers.get("Content-Type") == "application/json" else {}
        if response.status_code != 200:
            self.say(f"! simulator refused the message: {result.get('error', response.text[:200])}")
        elif result.get("held"):
            self.say("! held by the simulator (POST /_simulator/flush delivers it)")
        elif result.get("webhook_status") is None:
            self.say("! the app did not answer the webhook: is it running? (GET /_simulator/webhooks)")
        elif result.get("webhook_status") != 200:
            self.say(f"! the app answered the webhook with HTTP {result['webhook_status']} (not retried)")
        self.poll()

    def handle(self, line: str) -> bool:
        """Act on one input line; False means quit."""
        line = line.strip()
        if not line:
            return True
        if line in ("/quit", "/exit"):
            return False
        if line == "/help":
            self.say(HELP)
        elif line.startswith("/file"):
            self._send_file(line.removeprefix("/file").strip())
        elif line.startswith("/raw"):
            try:
                self.send({"raw_message": json.loads(line.removeprefix("/raw"))})
            except ValueError as exc:
                self.say(f"! not JSON: {exc}")
        elif line.isdigit() and 1 <= int(line) <= len(self.options):
            self.send(self.options[int(line) - 1])
        else:
            self.send({"text": line})
        return True

    def _send_file(self, args: str) -> None:
        parts = shlex.split(args) if args else []
        if not parts:
            self.say("! usage: /file PATH [caption]")
            return
        path = Path(parts[0]).expanduser()
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.say(f"! cannot read {path}: {exc.strerror}")
            return
        spec = {"base64": base64.b64encode(data).decode(), "filename": path.name}
        if len(parts) > 1:
            spec["caption"] = " ".join(parts[1:])
        self.send({"file": spec})


def business_number(to: str | None) -> str | None:
    """``--to``: an office's code (its own number in ``offices.json``; None when it has none, i.e. the main number),
    or a phone number id as it is."""
    if not to or to.isdigit():
        return to or None
    from chalicelib.offices import offices

    known = offices()
    if to.upper() not in known:
        raise SystemExit(f"--to: no office {to!r} (offices: {', '.join(sorted(known))}); or give a phone number id")
    return known[to.upper()].phone_number_id


def _poller(phone: Phone, stop: threading.Event) -> None:
    while not stop.wait(POLL_SECONDS):
        phone.poll()


def main(argv: list[str] | None = None, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Run the chat until /quit or end of input."""
    parser = argparse.ArgumentParser(prog="python -m devtools.phone", description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="phone", default=os.environ.get("PHONE_FROM", "+393331234567"))
    parser.add_argument("--name", default=os.environ.get("PHONE_NAME", "Applicant"))
    parser.add_argument(
        "--to",
        default=os.environ.get("PHONE_TO") or None,
        help="the office (AN, MC…) or the business phone number id to write to (default: the main number)",
    )
    simulator = os.environ.get("SIMULATOR_URL") or f"http://127.0.0.1:{os.environ.get('SIMULATOR_PORT') or 8001}"
    parser.add_argument("--url", default=simulator, help="the simulator (default: SIMULATOR_URL, or SIMULATOR_PORT)")
    parser.add_argument("--no-history", action="store_true", help="do not show earlier messages")
    parser.add_argument("--wait", type=float, default=None, help="seconds to await replies after input ends")
    args = parser.parse_args(argv)
    stdin, out = stdin or sys.stdin, out or sys.stdout
    interactive = stdin.isatty()
    phone = Phone(args.url, args.phone, args.name, out, business_number(args.to))
    to = f" to {args.to}" + (f" ({phone.to})" if phone.to and phone.to != args.to else "") if args.to else ""
    phone.say(f"Chatting as {args.phone} ({args.name}){to} via {phone.url}. /help for commands.")
    phone.poll(show=not args.no_history)
    stop = threading.Event()
    threading.Thread(target=_poller, args=(phone, stop), daemon=True).start()
    try:
        for line in stdin:
            if not interactive:
                phone.say(f"you> {line.rstrip()}")  # a transcript of piped input reads like a chat
            if not phone.handle(line):
                break
        else:
            deadline = time.monotonic() + (args.wait if args.wait is not None else 0 if interactive else 1.0)
            while time.monotonic() < deadline:
                time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
                phone.poll()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
