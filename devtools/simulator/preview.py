"""One-line text renderings of what the app sent, for listings and logs."""

from __future__ import annotations

from typing import Any


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _template(template: dict[str, Any]) -> str:
    params = []
    for component in template.get("components") or []:
        for item in _d(component).get("parameters") or []:
            param = _d(item)
            kind = param.get("type")
            value = param.get(kind) if isinstance(kind, str) else None
            params.append(value if isinstance(value, str) else f"<{kind}>")
    language = _d(template.get("language")).get("code")
    return f"[template {template.get('name')}/{language}] " + " | ".join(params)


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


def preview(body: Any) -> str:
    """A short human rendering of a send request body."""
    body = _d(body)
    kind = body.get("type")
    if body.get("status") == "read":
        return f"[read {body.get('message_id')}]"
    if kind == "text":
        return str(_d(body.get("text")).get("body", ""))
    if kind == "template":
        return _template(_d(body.get("template")))
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
