"""The JSON sent to Meta for every content kind and both kinds of recipient."""

from __future__ import annotations

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
        ListSection("Permessi", (ListRow("renew", "Rinnovo", "Rinnovo del permesso"), ListRow("first", "Primo"))),
        ListSection("Altro", (ListRow("info", "Informazioni"),)),
    ),
)
TEMPLATE = Template(name="promemoria_documenti", language="it", body_parameters=("Ana", "C-2026-000123"))


def message(content: Content, recipient: ApplicantRef = PHONE, reply_to: str | None = None) -> OutboundMessage:
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
# Every payload we build must pass the same check as the simulator's: Meta's ``Message`` schema, extracted
# from the OpenAPI spec into devtools/simulator/schemas (see devtools.simulator.schema for the spec's quirks).


@pytest.mark.parametrize(
    "content",
    [Text("Ciao!"), BUTTONS, Buttons("Ok?", (ReplyButton("ok", "Ok"),)), LIST, TEMPLATE],
    ids=["text", "buttons", "one-button", "list", "template"],
)
def test_every_payload_we_build_passes_metas_schema(content: Content) -> None:
    from devtools.simulator.schema import validate_message

    assert validate_message(to_graph_payload(message(content, reply_to="wamid.IN1"))) == []


def test_mark_read_passes_metas_schema() -> None:
    from devtools.simulator.schema import validate_mark_read

    assert validate_mark_read(mark_read_payload("wamid.IN1")) == []


def test_the_schema_check_does_reject_a_bad_payload() -> None:
    from devtools.simulator.schema import validate_message

    payload = to_graph_payload(message(BUTTONS))
    del payload["interactive"]["action"]["buttons"][0]["reply"]
    assert validate_message(payload) != []
