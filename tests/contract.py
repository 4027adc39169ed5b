"""The API's contract, ``functions/openapi.json``, as a test helper: does this answer match what is documented?

:func:`check_response` finds the documented operation for a concrete method and path, and asserts that the status
is documented for it, that the ``Content-Type`` is one the document lists for that status, and that the body (and
any documented header that is present) validates against the JSON Schema there (draft 2020-12, with formats).
The functional ``client`` fixture runs it on every answer; the e2e journey on every answer of the real system.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import ROOT

DOCUMENT_PATH = ROOT / "functions" / "openapi.json"
BASE_URI = "urn:sportello:openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@cache
def openapi_document() -> dict[str, Any]:
    """``functions/openapi.json``."""
    document: dict[str, Any] = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    return document


@cache
def _registry() -> Registry:
    resource = Resource.from_contents(openapi_document(), default_specification=DRAFT202012)
    return Registry().with_resource(BASE_URI, resource)


@cache
def _validator(pointer: str) -> Draft202012Validator:
    """A validator for the schema at ``pointer`` in the document (its ``$ref`` resolve inside the document)."""
    return Draft202012Validator(
        {"$ref": f"{BASE_URI}#{pointer}"},
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _resolve(pointer: str) -> tuple[str, Any]:
    """Follow OpenAPI ``$ref`` (local ones) from ``pointer``: the final pointer and the object there."""
    node: Any = openapi_document()
    for token in pointer.lstrip("/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    if isinstance(node, dict) and set(node) == {"$ref"}:
        return _resolve(node["$ref"].removeprefix("#"))
    return pointer, node


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in openapi_document()["paths"]:
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        patterns.append((re.compile(f"^{regex}$"), template))
    # Literal paths before templated ones of the same shape.
    return sorted(patterns, key=lambda p: p[1].count("{"))


def path_template(path: str) -> str:
    """The documented path template that a concrete path (query string allowed) falls under."""
    bare = path.split("?", 1)[0]
    for regex, template in _templates():
        if regex.match(bare):
            return template
    raise AssertionError(f"{bare} is not a documented path")


def response_pointer(method: str, template: str, status: int) -> str:
    """Where the documented response of ``method template`` for ``status`` is (after ``$ref``)."""
    operation = f"/paths/{_escape(template)}/{method.lower()}"
    _, node = _resolve(operation)
    documented = sorted(node["responses"])
    assert str(status) in node["responses"], f"{method.upper()} {template}: {status} is not documented ({documented})"
    pointer, _ = _resolve(f"{operation}/responses/{status}")
    return pointer


def _header(headers: dict[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value if isinstance(value, str) else ", ".join(value)
    return None


def check_response(method: str, path: str, status: int, headers: dict[str, Any], body: bytes) -> None:
    """Assert that this answer is one the document describes for ``method path``."""
    template = path_template(path)
    where = f"{method.upper()} {template} → {status}"
    pointer = response_pointer(method, template, status)
    _, response = _resolve(pointer)
    content: dict[str, Any] = response.get("content", {})
    if content:
        media_type = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
        assert media_type in content, f"{where}: Content-Type {media_type!r} is not documented ({sorted(content)})"
        text = body.decode("utf-8")
        instance = json.loads(text) if media_type == "application/json" else text
        schema_pointer = f"{pointer}/content/{_escape(media_type)}/schema"
        errors = sorted(_validator(schema_pointer).iter_errors(instance), key=lambda e: list(e.absolute_path))
        assert not errors, f"{where}: the body does not match the document:\n" + "\n".join(
            f"  at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}" for e in errors[:10]
        )
    else:
        assert not body, f"{where}: a body is not documented"
    for name in response.get("headers", {}):
        value = _header(headers, name)
        if value is not None:
            header_pointer = f"{pointer}/headers/{_escape(name)}"
            header_pointer, _ = _resolve(header_pointer)
            errors = list(_validator(f"{header_pointer}/schema").iter_errors(value))
            assert not errors, f"{where}: header {name}: {errors[0].message}"
