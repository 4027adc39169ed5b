"""Meta's JSON for ``POST /{phone-number-id}/messages``, built from domain messages (pure, no I/O)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain.outbound import Buttons, ListMenu, Template, Text

if TYPE_CHECKING:
    from chalicelib.domain.applicants import ApplicantRef
    from chalicelib.domain.outbound import Content, OutboundMessage

JsonObject = dict[str, Any]


def to_graph_payload(message: OutboundMessage) -> JsonObject:
    """The send request body for one outbound message."""
    payload: JsonObject = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        **_recipient(message.recipient),
        # Echoed in status webhooks, so a status finds its outbound record without a lookup by wamid.
        "biz_opaque_callback_data": message.outbound_id,
    }
    if message.reply_to:
        payload["context"] = {"message_id": message.reply_to}
    kind, body = _content(message.content)
    payload["type"] = kind
    payload[kind] = body
    return payload


def mark_read_payload(wamid: str) -> JsonObject:
    """The request body that marks an inbound message as read."""
    return {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}


def _recipient(recipient: ApplicantRef) -> JsonObject:
    # With a phone number, "+" is required: without it Meta prepends our own country code. A user who only
    # shows a username is addressed by the business-scoped user id instead ("to" would win if both were sent).
    if recipient.phone_e164:
        return {"to": recipient.phone_e164}
    return {"recipient": recipient.user_id}


def _content(content: Content) -> tuple[str, JsonObject]:
    if isinstance(content, Text):
        return "text", {"preview_url": content.preview_url, "body": content.body}
    if isinstance(content, Buttons):
        buttons = [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in content.buttons]
        return "interactive", _interactive("button", content.body, content.header, content.footer, buttons=buttons)
    if isinstance(content, ListMenu):
        sections = [
            {
                "title": section.title,
                "rows": [_row(row.id, row.title, row.description) for row in section.rows],
            }
            for section in content.sections
        ]
        action = {"button": content.button, "sections": sections}
        return "interactive", _interactive("list", content.body, content.header, content.footer, **action)
    return "template", _template(content)


def _interactive(kind: str, body: str, header: str | None, footer: str | None, **action: Any) -> JsonObject:
    interactive: JsonObject = {"type": kind}
    if header is not None:
        interactive["header"] = {"type": "text", "text": header}
    interactive["body"] = {"text": body}
    if footer is not None:
        interactive["footer"] = {"text": footer}
    interactive["action"] = action
    return interactive


def _row(row_id: str, title: str, description: str | None) -> JsonObject:
    row: JsonObject = {"id": row_id, "title": title}
    if description is not None:
        row["description"] = description
    return row


def _template(template: Template) -> JsonObject:
    # "deterministic" is the only language policy; Meta's OpenAPI schema requires it and the API accepts it.
    body: JsonObject = {
        "name": template.name,
        "language": {"policy": "deterministic", "code": template.language},
    }
    components: list[JsonObject] = []
    if template.body_parameters:
        parameters = [{"type": "text", "text": value} for value in template.body_parameters]
        components.append({"type": "body", "parameters": parameters})
    if template.url_button_parameter is not None:
        components.append(
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": template.url_button_parameter}],
            }
        )
    if template.quick_reply_payload is not None:
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "payload", "payload": template.quick_reply_payload}],
            }
        )
    if components:
        body["components"] = components
    return body
