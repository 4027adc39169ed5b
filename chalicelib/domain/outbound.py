"""What Sportello sends to an applicant on WhatsApp, independent of the Graph API's JSON.

The limits below are Meta's (interactive reply buttons and list messages); checking them here means a message
that Meta would refuse is never built, let alone sent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from chalicelib.domain.actors import SERVICE, Actor
from chalicelib.domain.errors import InvalidOutboundMessage
from chalicelib.domain.upload_links import HIDDEN_TOKEN, LinkPurpose, without_tokens

if TYPE_CHECKING:
    from chalicelib.domain.applicants import ApplicantRef

TEXT_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
HEADER_MAX = 60
FOOTER_MAX = 60
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
LIST_ROWS_MAX = 10
LIST_SECTIONS_MAX = 10
LIST_BUTTON_MAX = 20
ROW_TITLE_MAX = 24
ROW_ID_MAX = 200
ROW_DESCRIPTION_MAX = 72
SECTION_TITLE_MAX = 24


def _check_length(what: str, value: str, maximum: int, minimum: int = 1) -> None:
    if not minimum <= len(value) <= maximum:
        raise InvalidOutboundMessage(f"{what} must be {minimum}-{maximum} characters, got {len(value)}")


@dataclass(frozen=True, slots=True)
class Text:
    """A free-form text message (only inside the 24-hour customer-service window)."""

    body: str
    preview_url: bool = False

    def __post_init__(self) -> None:
        _check_length("text body", self.body, TEXT_MAX)


@dataclass(frozen=True, slots=True)
class ReplyButton:
    """One of at most three quick-reply buttons."""

    id: str
    title: str

    def __post_init__(self) -> None:
        _check_length("button id", self.id, BUTTON_ID_MAX)
        _check_length("button title", self.title, BUTTON_TITLE_MAX)


@dataclass(frozen=True, slots=True)
class Buttons:
    """An interactive message with reply buttons."""

    body: str
    buttons: tuple[ReplyButton, ...]
    header: str | None = None
    footer: str | None = None

    def __post_init__(self) -> None:
        _check_length("interactive body", self.body, INTERACTIVE_BODY_MAX)
        if not 1 <= len(self.buttons) <= BUTTONS_MAX:
            raise InvalidOutboundMessage(f"1-{BUTTONS_MAX} reply buttons allowed, got {len(self.buttons)}")
        if len({b.id for b in self.buttons}) != len(self.buttons):
            raise InvalidOutboundMessage("reply button ids must be unique")
        if len({b.title for b in self.buttons}) != len(self.buttons):
            raise InvalidOutboundMessage("reply button titles must be unique")
        _check_optional(self.header, "header", HEADER_MAX)
        _check_optional(self.footer, "footer", FOOTER_MAX)


@dataclass(frozen=True, slots=True)
class ListRow:
    """One selectable row of a list message."""

    id: str
    title: str
    description: str | None = None

    def __post_init__(self) -> None:
        _check_length("row id", self.id, ROW_ID_MAX)
        _check_length("row title", self.title, ROW_TITLE_MAX)
        _check_optional(self.description, "row description", ROW_DESCRIPTION_MAX)


@dataclass(frozen=True, slots=True)
class ListSection:
    """A titled group of rows."""

    title: str
    rows: tuple[ListRow, ...]

    def __post_init__(self) -> None:
        _check_length("section title", self.title, SECTION_TITLE_MAX)
        if not self.rows:
            raise InvalidOutboundMessage("a list section needs at least one row")


@dataclass(frozen=True, slots=True)
class ListMenu:
    """An interactive list message: a button that opens up to ten rows."""

    body: str
    button: str
    sections: tuple[ListSection, ...]
    header: str | None = None
    footer: str | None = None

    def __post_init__(self) -> None:
        _check_length("interactive body", self.body, INTERACTIVE_BODY_MAX)
        _check_length("list button", self.button, LIST_BUTTON_MAX)
        if not 1 <= len(self.sections) <= LIST_SECTIONS_MAX:
            raise InvalidOutboundMessage(f"1-{LIST_SECTIONS_MAX} list sections allowed")
        rows = [row for section in self.sections for row in section.rows]
        if len(rows) > LIST_ROWS_MAX:
            raise InvalidOutboundMessage(f"at most {LIST_ROWS_MAX} rows across all sections, got {len(rows)}")
        if len({row.id for row in rows}) != len(rows):
            raise InvalidOutboundMessage("list row ids must be unique")
        _check_optional(self.header, "header", HEADER_MAX)
        _check_optional(self.footer, "footer", FOOTER_MAX)


@dataclass(frozen=True, slots=True)
class Template:
    """An approved message template: the only kind of message allowed outside the 24-hour window."""

    name: str
    language: str
    body_parameters: tuple[str, ...] = ()
    # The dynamic part of the template's URL button (appended by WhatsApp to the URL registered with the template).
    url_button_parameter: str | None = None
    # What the template's quick-reply button sends back when tapped (our id: it comes back as the reply's payload).
    quick_reply_payload: str | None = None

    def __post_init__(self) -> None:
        _check_length("template name", self.name, 512)
        _check_optional(self.url_button_parameter, "URL button parameter", 2000)
        _check_optional(self.quick_reply_payload, "quick-reply payload", 256)
        if not all(c.islower() or c.isdigit() or c == "_" for c in self.name):
            raise InvalidOutboundMessage("template names are lowercase letters, digits and underscores")


Content = Text | Buttons | ListMenu | Template


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A message to one applicant, with the idempotency key that makes its send happen at most once.

    ``outbound_id`` is ours, deterministic for the effect it stands for (e.g. "the acknowledgement of inbound
    message X"), carries no personal data, and travels to Meta as ``biz_opaque_callback_data`` so that status
    webhooks find the record in one write. ``case_id`` files the message in that case's thread, under ``author``
    (the service itself, or the officer whose action it tells). ``office`` chooses the number it is sent from.
    """

    outbound_id: str
    recipient: ApplicantRef
    content: Content
    reply_to: str | None = None
    purpose: str = field(default="reply")
    case_id: str | None = None
    author: Actor = SERVICE
    # The office it is sent for: it leaves from that office's WhatsApp number (None: the configured number).
    office: str | None = None
    # Why the upload link it carries was issued, if it carries one: sent again from its record (which keeps no
    # token), the message gets a fresh link for the same purpose.
    link: LinkPurpose | None = None

    @property
    def is_template(self) -> bool:
        """True when the content may be sent outside the customer-service window."""
        return isinstance(self.content, Template)

    def recorded_content(self) -> dict[str, Any]:
        """What may be kept of the content: all of it but upload-link tokens, which are sent, never stored (a
        template's URL button parameter is one; a text may carry one in its link)."""
        content = asdict(self.content)
        if content.get("url_button_parameter") is not None:
            content["url_button_parameter"] = HIDDEN_TOKEN
        if isinstance(content.get("body"), str):
            content["body"] = without_tokens(content["body"])
        return {"kind": type(self.content).__name__, **content}


def content_from_recorded(data: dict[str, Any]) -> Content:
    """The content :meth:`OutboundMessage.recorded_content` kept (with any upload-link token still hidden)."""
    fields = {k: v for k, v in data.items() if k != "kind"}
    kind = data.get("kind")
    if kind == "Text":
        return Text(**fields)
    if kind == "Buttons":
        return Buttons(**{**fields, "buttons": tuple(ReplyButton(**b) for b in fields["buttons"])})
    if kind == "ListMenu":
        sections = tuple(
            ListSection(s["title"], tuple(ListRow(**row) for row in s["rows"])) for s in fields["sections"]
        )
        return ListMenu(**{**fields, "sections": sections})
    if kind == "Template":
        return Template(**{**fields, "body_parameters": tuple(fields.get("body_parameters") or ())})
    raise InvalidOutboundMessage(f"unknown recorded content kind {kind!r}")


def with_token(content: Content, token: str) -> Content:
    """``content`` with a hidden upload-link token (see :meth:`OutboundMessage.recorded_content`) replaced by
    ``token``: a fresh link's, when a message is sent again from its record."""
    if isinstance(content, Template) and content.url_button_parameter == HIDDEN_TOKEN:
        return replace(content, url_button_parameter=token)
    if isinstance(content, Text):
        return replace(content, body=content.body.replace(f"/u/{HIDDEN_TOKEN}", f"/u/{token}"))
    return content


def has_hidden_token(content: Content) -> bool:
    """Whether ``content`` came from a record that hid an upload-link token (it cannot be sent as it is)."""
    if isinstance(content, Template):
        return content.url_button_parameter == HIDDEN_TOKEN
    return isinstance(content, Text) and f"/u/{HIDDEN_TOKEN}" in content.body


def _check_optional(value: str | None, what: str, maximum: int) -> None:
    if value is not None:
        _check_length(what, value, maximum)
