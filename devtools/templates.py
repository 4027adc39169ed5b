"""``make templates``: the WhatsApp message templates to submit in WhatsApp Manager, one file per name and language.

Each file is the body of Meta's "create message template" call (``POST /<WABA id>/message_templates``): the name,
Meta's language code, the utility category, the approved wording from the ``messages`` catalogues with an example
for every parameter, and the buttons (the secure page's "visit website" button, registered as the upload page's
address followed by ``{{1}}``; the quick reply that opens the choice of a counter slot). Submit them once per
WhatsApp Business Account (README, "Deploying to AWS"); the app sends them by name and language.

    python -m devtools.templates --upload-page-url https://sportello.example.it/u/ build/templates
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from chalicelib.domain.templates import TEMPLATES, TemplateSpec
from chalicelib.i18n import translate
from chalicelib.i18n.languages import languages
from chalicelib.services.messages.rendering import QUICK_REPLIES

# One realistic example per parameter name: Meta reviews templates with their examples.
EXAMPLES = {
    "case_ref": "AN-2026-000123",
    "documents": "passaporto, 4 foto formato tessera",
    "document": "passaporto",
    "reason": "illeggibile",
    "date": "15/01/2027",
    "time": "09:30",
    "old_date": "12/01/2027",
    "old_time": "10:15",
    "place": "Questura di Ancona, via Gervasoni 19",
    "originals": "passaporto, permesso di soggiorno",
}
EXAMPLE_TOKEN = "example-token"
PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")


class TemplateWordingInvalid(ValueError):
    """A catalogue's wording does not match the template's parameters."""


def submission(spec: TemplateSpec, language: str, upload_page_url: str) -> dict[str, Any]:
    """The message_templates request body for ``spec`` in ``language``."""
    body = translate(f"template.{spec.name}.body", language)
    numbers = sorted({int(n) for n in PLACEHOLDER.findall(body)})
    if numbers != list(range(1, len(spec.parameters) + 1)):
        raise TemplateWordingInvalid(f"{spec.name} ({language}): placeholders {numbers} for {spec.parameters}")
    components: list[dict[str, Any]] = [
        {"type": "BODY", "text": body, "example": {"body_text": [[EXAMPLES[p] for p in spec.parameters]]}}
    ]
    buttons: list[dict[str, Any]] = []
    if spec.url_button:
        buttons.append(
            {
                "type": "URL",
                "text": translate("template.button.secure_page", language),
                "url": f"{upload_page_url}{{{{1}}}}",
                "example": [f"{upload_page_url}{EXAMPLE_TOKEN}"],
            }
        )
    if spec.quick_reply:
        buttons.append({"type": "QUICK_REPLY", "text": translate(QUICK_REPLIES[spec.name], language)})
    if buttons:
        components.append({"type": "BUTTONS", "buttons": buttons})
    return {
        "name": spec.name,
        "language": spec.language_code(language),
        "category": "UTILITY",
        "components": components,
    }


def every_submission(upload_page_url: str) -> list[dict[str, Any]]:
    """Every template in every chat language."""
    return [submission(spec, language.code, upload_page_url) for spec in TEMPLATES.values() for language in languages()]


def main() -> None:
    """Write one JSON file per template and language into the output folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--upload-page-url", required=True, help="the UploadPageUrl parameter, ending in /u/")
    parser.add_argument("out", type=Path)
    arguments = parser.parse_args()
    if not re.fullmatch(r"https://[^/]+/(.*/)?u/", arguments.upload_page_url):
        parser.error("--upload-page-url must be an https address ending in /u/ (the stack's UploadPageUrl)")
    arguments.out.mkdir(parents=True, exist_ok=True)
    written = every_submission(arguments.upload_page_url)
    for body in written:
        path = arguments.out / f"{body['name']}.{body['language']}.json"
        path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{len(written)} templates in {arguments.out} ({len(TEMPLATES)} names x {len(languages())} languages)")


if __name__ == "__main__":
    main()
