"""Validation of send requests against the schemas extracted from Meta's OpenAPI spec.

Meta's spec is written for code generators, not for a JSON Schema validator, so the extract is adapted
here before use (never edited on disk, so that it stays a faithful, regenerable copy):

* Every message schema is ``allOf: [BaseMessageProperties, {additionalProperties: false, ...}]``.  In
  plain JSON Schema ``additionalProperties`` only sees the properties of its own subschema, so that
  form rejects every valid message (``to`` is "additional" for the second part).  ``allOf`` parts are
  therefore merged: union of ``properties`` and ``required``, with ``additionalProperties: false``
  applied to the merged set.
* ``Message`` is a ``oneOf`` with a ``discriminator`` on ``type`` (so are template components and
  parameters).  ``oneOf`` errors are unreadable and ambiguous, so the subschema is picked by the
  discriminator value instead (``if type == X then $ref X``) and unknown values fail an ``enum``.
* ``SPEC_OMISSIONS``: fields Meta documents and we use but the v23.0 spec lacks.
* ``SPEC_CORRECTIONS``: constraints in the spec contradicted by Meta's own examples in the same file.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "send_message.schema.json"
REF_PREFIX = "#/components/schemas/"

SPEC_OMISSIONS = (
    "biz_opaque_callback_data: optional string (at most 512 characters) on every send, echoed in statuses",
    "recipient: a business-scoped user ID (BSUID) used instead of `to`; one of `to`/`recipient` is required",
    "typing_indicator: {type: 'text'} on a mark-as-read request",
)
SPEC_CORRECTIONS = (
    "recipient_type is optional (defaults to individual): the spec's 'Send Test Message' example omits it",
    "template language.policy is optional: the spec's 'Send Test Message' example omits it",
    "template button index pattern '^[2-6, 11-14]$' rejects '0'; Meta documents indexes 0 to 9",
)
_BROKEN_INDEX_PATTERN = "^[2-6, 11-14]$"


def _expect(condition: bool, what: str) -> None:
    """Fail loudly when a regenerated extract no longer has a known spec problem (review the patch)."""
    if not condition:
        raise ValueError(f"known spec problem no longer present, review schema.py: {what}")


def _fix_patterns(node: Any) -> int:
    """Replace the broken template button index pattern everywhere; return how many were replaced."""
    count = 0
    if isinstance(node, dict):
        if node.get("pattern") == _BROKEN_INDEX_PATTERN:
            node["pattern"] = "^[0-9]$"
            count += 1
        for value in node.values():
            count += _fix_patterns(value)
    elif isinstance(node, list):
        for item in node:
            count += _fix_patterns(item)
    return count


def _patch(schemas: dict[str, Any]) -> None:
    """Apply SPEC_OMISSIONS and SPEC_CORRECTIONS in place (before merging, so they reach every message)."""
    base = schemas["BaseMessageProperties"]
    _expect("recipient_type" in base["required"] and "to" in base["required"], "BaseMessageProperties")
    base["required"] = [name for name in base["required"] if name not in ("recipient_type", "to")]
    base["properties"]["biz_opaque_callback_data"] = {"type": "string", "maxLength": 512}
    base["properties"]["recipient"] = {"type": "string", "minLength": 1}
    base["anyOf"] = [{"required": ["to"]}, {"required": ["recipient"]}]
    language = schemas["LanguageObject"]
    _expect("policy" in language["required"], "LanguageObject.policy")
    language["required"] = [name for name in language["required"] if name != "policy"]
    _expect(_fix_patterns(schemas) > 0, "template button index pattern")
    mark = schemas["MarkMessageRequestPayload"]
    _expect("typing_indicator" not in mark["properties"], "MarkMessageRequestPayload.typing_indicator")
    mark["properties"]["typing_indicator"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type"],
        "properties": {"type": {"type": "string", "enum": ["text"]}},
    }


def _merge_property(old: Any, new: Any) -> Any:
    return old if old == new else {"allOf": [old, new]}


def _merge_part(merged: dict[str, Any], part: dict[str, Any], *, inherited: bool) -> None:
    for key, value in part.items():
        if key == "properties":
            props = merged.setdefault("properties", {})
            for name, sub in value.items():
                props[name] = _merge_property(props[name], sub) if name in props else sub
        elif key == "required":
            merged.setdefault("required", [])
            merged["required"] += [name for name in value if name not in merged["required"]]
        elif key == "additionalProperties":
            merged[key] = merged.get(key, True) and value
        elif key == "anyOf" and key in merged:
            merged.setdefault("allOf", []).append({"anyOf": value})
        elif inherited and key in ("discriminator", "description", "example"):
            continue  # a base's discriminator would dispatch straight back to the subtype being built
        elif key in merged and merged[key] != value:
            raise ValueError(f"cannot merge conflicting {key!r} in allOf")
        else:
            merged[key] = copy.deepcopy(value)


def _merged(name: str, schemas: dict[str, Any], done: dict[str, Any]) -> dict[str, Any]:
    """The schema ``name`` with its ``allOf`` parts flattened into one object schema."""
    if name in done:
        return done[name]  # type: ignore[no-any-return]
    schema = schemas[name]
    if "allOf" not in schema:
        done[name] = copy.deepcopy(schema)
        return done[name]  # type: ignore[no-any-return]
    merged: dict[str, Any] = {}
    for part in schema["allOf"]:
        ref = part.get("$ref")
        if ref is not None:
            _merge_part(merged, _merged(ref.removeprefix(REF_PREFIX), schemas, done), inherited=True)
        else:
            _merge_part(merged, part, inherited=False)
    _merge_part(merged, {k: v for k, v in schema.items() if k != "allOf"}, inherited=False)
    done[name] = merged
    return merged


def _dispatch(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace a discriminator (and the ``oneOf`` it annotates) by explicit ``if``/``then`` selection."""
    discriminator = schema.pop("discriminator", None)
    if not discriminator or "mapping" not in discriminator:
        return schema
    prop, mapping = discriminator["propertyName"], discriminator["mapping"]
    schema.pop("oneOf", None)
    required = schema.setdefault("required", [])
    if prop not in required:
        required.append(prop)
    schema.setdefault("properties", {}).setdefault(prop, {"enum": sorted(mapping)})
    schema["allOf"] = [
        {"if": {"required": [prop], "properties": {prop: {"const": value}}}, "then": {"$ref": target}}
        for value, target in sorted(mapping.items())
    ]
    return schema


def prepare(components: dict[str, Any]) -> dict[str, Any]:
    """Turn the extracted ``components.schemas`` into plain JSON Schema (see the module docstring)."""
    schemas = copy.deepcopy(components)
    _patch(schemas)
    done: dict[str, Any] = {}
    merged = {name: _merged(name, schemas, done) for name in schemas}
    # Dispatch only once every merge is done: a merged subtype must not inherit its base's dispatch.
    return {name: _dispatch(copy.deepcopy(schema)) for name, schema in merged.items()}


@cache
def _validator(root: str) -> Draft202012Validator:
    extract = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": REF_PREFIX + root,
        "components": {"schemas": prepare(extract["components"]["schemas"])},
    }
    return Draft202012Validator(document)


_TO_OR_RECIPIENT = [{"required": ["to"]}, {"required": ["recipient"]}]


def _likely_branch_error(errors: list[ValidationError]) -> ValidationError:
    """Of the errors of all ``oneOf`` branches, one from the branch the request evidently meant.

    A branch whose own required properties are present (no ``required`` error at its top level) is the
    intended one, e.g. the ``buttons`` branch of an interactive action that has ``buttons``.
    """
    branches: dict[Any, list[ValidationError]] = {}
    for error in errors:
        branches.setdefault(error.relative_schema_path[0], []).append(error)
    for branch in branches.values():
        if not any(e.validator == "required" and not e.relative_path for e in branch):
            chosen: ValidationError = best_match(branch)
            return chosen
    fallback: ValidationError = best_match(errors)
    return fallback


def _describe(error: ValidationError) -> str:
    """One readable line per problem; long instances are not echoed back in full."""
    where = ".".join(str(part) for part in error.absolute_path) or "(request body)"
    if error.validator_value == _TO_OR_RECIPIENT:
        return "(request body): 'to' (or 'recipient') is a required property"
    if error.validator in ("oneOf", "anyOf"):
        if not error.context:
            return f"{where}: matches more than one of the alternatives (e.g. both 'id' and 'link')"
        return _describe(_likely_branch_error(error.context))
    if error.validator == "maxLength" and isinstance(error.instance, str):
        return f"{where}: must be at most {error.validator_value} characters (got {len(error.instance)})"
    if error.validator == "maxItems" and isinstance(error.instance, list):
        return f"{where}: must have at most {error.validator_value} items (got {len(error.instance)})"
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return f"{where}: {message}"


def _problems(root: str, body: Any) -> list[str]:
    errors = sorted(_validator(root).iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path])
    # dict.fromkeys: merged allOf parts can report the same problem more than once
    return list(dict.fromkeys(_describe(error) for error in errors))


def validate_message(body: Any) -> list[str]:
    """Problems of a send request (``Message``); empty when it is valid."""
    return _problems("Message", body)


def validate_mark_read(body: Any) -> list[str]:
    """Problems of a mark-as-read request (``MarkMessageRequestPayload``); empty when it is valid."""
    return _problems("MarkMessageRequestPayload", body)
