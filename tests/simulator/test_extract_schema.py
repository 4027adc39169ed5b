"""The committed schema extract matches Meta's spec, and the spec quirks are handled."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from devtools.simulator import extract_schema, schema

SPEC = extract_schema.DEFAULT_SPEC
needs_spec = pytest.mark.skipif(
    not SPEC.is_file(), reason=f"Meta's OpenAPI spec is not at {SPEC} (../shared is absent on this machine)"
)
OUR_EXAMPLES = (
    "Send Test Message",
    "Send Text Message",
    "Send Reply to Text Message",
    "Send Reply Button",
    "Send List Message",
    "Send Document Message by ID",
    "Send Image Message by ID",
    "Send typing indicator and read receipt",
)


@needs_spec
def test_committed_extract_is_regenerated_identically() -> None:
    assert extract_schema.build(SPEC) == extract_schema.SCHEMA_PATH.read_text(encoding="utf-8"), (
        "run `python -m devtools.simulator.extract_schema` and commit the result"
    )
    assert extract_schema.LICENSE_PATH.read_bytes() == (SPEC.parent / "LICENSE").read_bytes()


def test_extract_names_its_source_and_licence() -> None:
    document = json.loads(extract_schema.SCHEMA_PATH.read_text(encoding="utf-8"))
    source = document["x-source"]
    assert source["file"] == "business-messaging-api_v23.0.yaml"
    assert source["version"] == "v23.0"
    assert source["licence"] == "MIT"
    assert "MIT License" in extract_schema.LICENSE_PATH.read_text(encoding="utf-8")
    assert {"Message", "MarkMessageRequestPayload", "BaseMessageProperties"} <= set(document["components"]["schemas"])


@needs_spec
@pytest.mark.parametrize("name", OUR_EXAMPLES)
def test_metas_own_examples_for_the_types_we_use_validate(name: str) -> None:
    spec = extract_schema.load_spec(SPEC)
    operation = spec["paths"]["/{Version}/{Phone-Number-ID}/messages"]["post"]
    example = operation["requestBody"]["content"]["application/json"]["examples"][name]["value"]
    validate = schema.validate_mark_read if example.get("status") == "read" else schema.validate_message
    assert validate(example) == []


def _naive_problems(body: dict[str, Any]) -> list[str]:
    document = json.loads(extract_schema.SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = Draft202012Validator({"$ref": "#/components/schemas/TextMessage", **document})
    return [error.message for error in validator.iter_errors(body)]


def test_the_spec_as_written_rejects_valid_messages_and_the_prepared_one_does_not() -> None:
    body = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+39",
        "type": "text",
        "text": {"body": "x"},
    }
    assert any("unexpected" in problem for problem in _naive_problems(body))  # the allOf pitfall
    assert schema.validate_message(body) == []


def test_documented_spec_omissions_and_corrections_are_applied() -> None:
    prepared = schema.prepare(
        json.loads(extract_schema.SCHEMA_PATH.read_text(encoding="utf-8"))["components"]["schemas"]
    )
    text = prepared["TextMessage"]
    assert {"biz_opaque_callback_data", "recipient"} <= set(text["properties"])
    assert "to" not in text["required"] and "recipient_type" not in text["required"]
    assert text["additionalProperties"] is False
    assert "typing_indicator" in prepared["MarkMessageRequestPayload"]["properties"]
    assert "policy" not in prepared["LanguageObject"]["required"]
    assert "oneOf" not in prepared["Message"]
    assert len(schema.SPEC_OMISSIONS) == 3
