"""One-line text renderings of what the app sent, and the links in it, for listings and logs.

A template's dynamic URL button (``sub_type: url``) carries only the end of its link: WhatsApp opens the
URL registered with the template (``https://<host>/u/{{1}}``) with the parameter in place of ``{{1}}``.
The simulator knows no templates, so the registered base is one for all (``url_base``, from
``SimulatorConfig.url_button_base``).
"""

from __future__ import annotations

import re
from typing import Any

# Good enough for links the app writes itself; trailing punctuation is the sentence's, not the link's.
_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}'\""


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _value(item: Any) -> str:
    param = _d(item)
    kind = param.get("type")
    value = param.get(kind) if isinstance(kind, str) else None
    return value if isinstance(value, str) else f"<{kind}>"


def _url_suffix(component: dict[str, Any]) -> str:
    """What a dynamic URL button appends to the registered base: its (only) parameter."""
    params = _l(component.get("parameters"))
    return _value(params[0]) if params else ""


def _url_buttons(template: dict[str, Any]) -> list[dict[str, Any]]:
    components = [_d(c) for c in _l(template.get("components"))]
    return [c for c in components if c.get("type") == "button" and c.get("sub_type") == "url"]


def _template(template: dict[str, Any], url_base: str) -> str:
    params, buttons = [], []
    for item in _l(template.get("components")):
        component = _d(item)
        values = [_value(param) for param in _l(component.get("parameters"))]
        if component.get("type") != "button":
            params += values
        elif component.get("sub_type") == "url":
            buttons.append(f"[link] {url_base}{_url_suffix(component)}")
        else:
            buttons.append(" ".join(["[button", *values]) + "]")
    language = _d(template.get("language")).get("code")
    parts = [f"[template {template.get('name')}/{language}]", " | ".join(params), *buttons]
    return " ".join(part for part in parts if part)


def _interactive(interactive: dict[str, Any]) -> str:
    text = str(_d(interactive.get("body")).get("text", ""))
    action = _d(interactive.get("action"))
    if interactive.get("type") == "button":
        titles = [str(_d(_d(b).get("reply")).get("title")) for b in action.get("buttons") or []]
        return f"{text} [" + " | ".join(titles) + "]"
    if interactive.get("type") == "list":
        rows = [
            str(_d(row).get("title"))
            for section in action.get("sections") or []
            for row in _d(section).get("rows") or []
        ]
        return f"{text} [{action.get('button')}: " + " | ".join(rows) + "]"
    return f"[interactive {interactive.get('type')}] {text}"


def preview(body: Any, *, url_base: str = "") -> str:
    """A short human rendering of a send request body; ``url_base`` completes dynamic URL buttons."""
    body = _d(body)
    kind = body.get("type")
    if body.get("status") == "read":
        return f"[read {body.get('message_id')}]"
    if kind == "text":
        return str(_d(body.get("text")).get("body", ""))
    if kind == "template":
        return _template(_d(body.get("template")), url_base)
    if kind == "interactive":
        return _interactive(_d(body.get("interactive")))
    if kind in ("image", "document", "audio", "video", "sticker"):
        media = _d(body.get(kind))
        label = media.get("filename") or media.get("id") or media.get("link")
        caption = f" {media['caption']}" if media.get("caption") else ""
        return f"[{kind} {label}]{caption}"
    if kind == "reaction":
        return f"[reaction {_d(body.get('reaction')).get('emoji')}]"
    return f"[{kind}]"


def links(body: Any, *, url_base: str = "") -> list[str]:
    """The URLs a user could open: a template's URL buttons (``url_base`` + parameter), a text's links."""
    body = _d(body)
    if body.get("type") == "template":
        return [url_base + _url_suffix(button) for button in _url_buttons(_d(body.get("template")))]
    if body.get("type") == "text":
        text = _d(body.get("text")).get("body")
        found = _URL.findall(text) if isinstance(text, str) else []
        return [url.rstrip(_TRAILING) for url in found]
    return []
