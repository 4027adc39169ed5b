"""What the applicant read: a message rendered as text when it is sent, so the thread shows it as they saw it.

Templates are rendered from their approved wording in the applicant's language with the parameters filled in;
interactive messages keep their header, body and footer, and the titles of the buttons or rows they offered.
Upload-link tokens never reach the rendering (they are sent, never stored).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.outbound import Buttons, Content, ListMenu, Template, Text
from chalicelib.domain.upload_links import without_tokens
from chalicelib.i18n import translate
from chalicelib.i18n.languages import from_meta_code

# The catalogue key of each template's quick-reply button text (registered with the template in WhatsApp Manager).
QUICK_REPLIES = {"sportello_scegli_appuntamento": "template.button.choose_visit"}


@dataclass(frozen=True, slots=True)
class Rendered:
    """The text the applicant read and the choices the message offered them."""

    text: str
    options: tuple[str, ...] = ()


def _parts(*parts: str | None) -> str:
    return "\n\n".join(part for part in parts if part)


def render(content: Content) -> Rendered:
    """``content`` as the applicant read it, without upload-link tokens."""
    rendered = _render(content)
    return Rendered(without_tokens(rendered.text), rendered.options)


def _render(content: Content) -> Rendered:
    if isinstance(content, Text):
        return Rendered(content.body)
    if isinstance(content, Buttons):
        return Rendered(_parts(content.header, content.body, content.footer), tuple(b.title for b in content.buttons))
    if isinstance(content, ListMenu):
        rows = tuple(row.title for section in content.sections for row in section.rows)
        return Rendered(_parts(content.header, content.body, content.footer), rows)
    return _template(content)


def _template(template: Template) -> Rendered:
    language = from_meta_code(template.language)
    text = translate(f"template.{template.name}.body", language)
    for number, value in enumerate(template.body_parameters, start=1):
        text = text.replace(f"{{{{{number}}}}}", value)
    buttons: tuple[str, ...] = (
        (translate("template.button.secure_page", language),) if template.url_button_parameter else ()
    )
    if template.quick_reply_payload:
        buttons += (translate(QUICK_REPLIES.get(template.name, "template.button.choose_visit"), language),)
    return Rendered(text, buttons)
