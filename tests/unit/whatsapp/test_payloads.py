"""The JSON sent to Meta for every content kind and both kinds of recipient."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.outbound import (
    Buttons,
    Content,
    ListMenu,
    ListRow,
    ListSection,
    OutboundMessage,
    ReplyButton,
    Template,
    Text,
)
from chalicelib.whatsapp.payloads import mark_read_payload, to_graph_payload

PHONE = ApplicantRef(wa_id="393331234567", user_id="IT.4471882201930034")
BSUID_ONLY = ApplicantRef(user_id="IT.4471882201930034")

BUTTONS = Buttons(
    body="Confermi l'appuntamento?",
    buttons=(ReplyButton("yes", "Sì"), ReplyButton("no", "No")),
    header="Questura",
    footer="Ufficio Immigrazione",
)
LIST = ListMenu(
    body="Che cosa ti serve?",
    button="Scegli",
    sections=(
        ListSection(
            "Permessi", (ListRow("renew", "Rinnovo", "Rinnovo del permesso"), ListRow("first", "Primo"))
        ),
        ListSection("Altro", (ListRow("info", "Informazioni"),)),
    ),
)
TEMPLATE = Template(name="promemoria_documenti", language="it", body_parameters=("Ana", "C-2026-000123"))


def message(
    content: Content, recipient: ApplicantRef = PHONE, reply_to: str | None = None
) -> OutboundMessage:
    return OutboundMessage(outbound_id="out#1", recipient=recipient, content=content, reply_to=reply_to)


def test_text_to_a_phone_number() -> None:
    assert to_graph_payload(message(Text("Ciao!"))) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+393331234567",
        "biz_opaque_callback_data": "out#1",
        "type": "text",
        "text": {"preview_url": False, "body": "Ciao!"},
    }


def test_a_user_without_phone_number_is_addressed_by_bsuid() -> None:
    payload = to_graph_payload(message(Text("Ciao!"), recipient=BSUID_ONLY))
    assert payload["recipient"] == "IT.4471882201930034"
    assert "to" not in payload


def test_phone_number_wins_over_bsuid_when_both_are_known() -> None:
    payload = to_graph_payload(message(Text("Ciao!")))
    assert payload["to"] == "+393331234567"
    assert "recipient" not in payload


def test_reply_to_becomes_context() -> None:
    payload = to_graph_payload(message(Text("Ciao!", preview_url=True), reply_to="wamid.IN1"))
    assert payload["context"] == {"message_id": "wamid.IN1"}
    assert payload["text"]["preview_url"] is True
    assert "context" not in to_graph_payload(message(Text("Ciao!")))


def test_reply_buttons() -> None:
    payload = to_graph_payload(message(BUTTONS))
    assert payload["type"] == "interactive"
    assert payload["interactive"] == {
        "type": "button",
        "header": {"type": "text", "text": "Questura"},
        "body": {"text": "Confermi l'appuntamento?"},
        "footer": {"text": "Ufficio Immigrazione"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "yes", "title": "Sì"}},
                {"type": "reply", "reply": {"id": "no", "title": "No"}},
            ]
        },
    }


def test_buttons_without_header_and_footer_omit_them() -> None:
    interactive = to_graph_payload(message(Buttons("Ok?", (ReplyButton("ok", "Ok"),))))["interactive"]
    assert set(interactive) == {"type", "body", "action"}


def test_list() -> None:
    payload = to_graph_payload(message(LIST, recipient=BSUID_ONLY))
    assert payload["type"] == "interactive"
    assert payload["interactive"] == {
        "type": "list",
        "body": {"text": "Che cosa ti serve?"},
        "action": {
            "button": "Scegli",
            "sections": [
                {
                    "title": "Permessi",
                    "rows": [
                        {"id": "renew", "title": "Rinnovo", "description": "Rinnovo del permesso"},
                        {"id": "first", "title": "Primo"},
                    ],
                },
                {"title": "Altro", "rows": [{"id": "info", "title": "Informazioni"}]},
            ],
        },
    }


def test_template_with_body_parameters() -> None:
    payload = to_graph_payload(message(TEMPLATE))
    assert payload["type"] == "template"
    assert payload["template"] == {
        "name": "promemoria_documenti",
        "language": {"policy": "deterministic", "code": "it"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "C-2026-000123"}],
            }
        ],
    }


def test_template_without_parameters_has_no_components() -> None:
    template = to_graph_payload(message(Template(name="benvenuto", language="it")))["template"]
    assert template == {"name": "benvenuto", "language": {"policy": "deterministic", "code": "it"}}


def test_mark_read() -> None:
    assert mark_read_payload("wamid.IN1") == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.IN1",
    }


# --- Meta's OpenAPI schema ------------------------------------------------------------------------
# Meta's ``Message`` schema cannot validate a whole payload: each message type is an ``allOf`` whose second
# part has ``additionalProperties: false``, which rejects the envelope fields of the first part, and
# ``biz_opaque_callback_data`` / ``recipient`` are not in it at all. So the envelope is checked against
# ``BaseMessageProperties`` and each content object against its own schema.

SPEC_CANDIDATES = (
    Path(__file__).resolve().parents[3] / "devtools" / "simulator" / "business-messaging-api_v23.0.yaml",
    Path("/work/shared/specs/whatsapp/business-messaging-api_v23.0.yaml"),
)


@pytest.fixture(scope="module")
def schema() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    yaml = pytest.importorskip("yaml")
    spec_path = next((path for path in SPEC_CANDIDATES if path.is_file()), None)
    if spec_path is None:
        pytest.skip("Meta's OpenAPI spec is not available")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    components = yaml.load(spec_path.read_text(encoding="utf-8"), Loader=loader)["components"]

    def validate(instance: Any, name: str) -> None:
        root = {"$ref": f"#/components/schemas/{name}", "components": components}
        jsonschema.Draft202012Validator(root).validate(instance)

    return validate


@pytest.mark.parametrize(
    ("content", "part", "schema_name"),
    [
        (BUTTONS, "interactive", "InteractiveObject"),
        (Buttons("Ok?", (ReplyButton("ok", "Ok"),)), "interactive", "InteractiveObject"),
        (LIST, "interactive", "InteractiveObject"),
        (TEMPLATE, "template", "TemplateObject"),
    ],
)
def test_content_objects_match_meta_schema(
    content: Content, part: str, schema_name: str, schema: Any
) -> None:
    payload = to_graph_payload(message(content, reply_to="wamid.IN1"))
    schema(payload, "BaseMessageProperties")
    schema(payload[part], schema_name)


def test_text_and_mark_read_match_meta_schema(schema: Any) -> None:
    payload = to_graph_payload(message(Text("Ciao!")))
    schema(payload, "BaseMessageProperties")
    schema(payload["text"], "TextMessage/allOf/1/properties/text")
    schema(mark_read_payload("wamid.IN1"), "MarkMessageRequestPayload")


def test_the_schema_check_does_reject_a_bad_payload(schema: Any) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    no_reply = {"type": "button", "body": {"text": "x"}, "action": {"buttons": [{"type": "reply"}]}}
    with pytest.raises(jsonschema.ValidationError):
        schema(no_reply, "InteractiveObject")


def test_template_body_parameters_match_meta_schema(schema: Any) -> None:
    for parameter in to_graph_payload(message(TEMPLATE))["template"]["components"][0]["parameters"]:
        schema(parameter, "TextParameter")
