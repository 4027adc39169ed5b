"""What the merge template says of a handler's event source: table or queue, retries, filters, failures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from chalice.utils import to_cfn_resource_name

# Lambda's default is -1 (retry until the record expires); locally a few keep a bad batch from blocking.
DEFAULT_MAX_RETRIES = 3


@dataclass(frozen=True, slots=True)
class SourceOverride:
    """The template's Events override of one function's event source (everything optional)."""

    source_logical_id: str | None = None
    max_retries: int = DEFAULT_MAX_RETRIES
    patterns: list[dict[str, Any]] = field(default_factory=list)
    on_failure_logical_id: str | None = None


def logical_id(value: Any) -> str | None:
    """The logical id behind ``{"Ref": Id}`` or ``{"Fn::GetAtt": [Id, Attr]}``, else None."""
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            return str(value["Ref"])
        get_att = value.get("Fn::GetAtt")
        if isinstance(get_att, list) and get_att and isinstance(get_att[0], str):
            return get_att[0]
    return None


def source_override(template: dict[str, Any], handler_name: str, source_key: str) -> SourceOverride:
    """The override for ``handler_name``'s event whose Properties set ``source_key`` ("Stream" or "Queue").

    Chalice names a function's resource after the CamelCase of the handler (``process_inbound_messages`` ->
    ``ProcessInboundMessages``), which is the key a merge template uses to reach into it.
    """
    resource = template.get("Resources", {}).get(to_cfn_resource_name(handler_name), {})
    events = resource.get("Properties", {}).get("Events", {})
    for event in events.values():
        props = event.get("Properties", {})
        if source_key not in props:
            continue
        destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        filters = props.get("FilterCriteria", {}).get("Filters", [])
        return SourceOverride(
            source_logical_id=logical_id(props[source_key]),
            max_retries=int(props.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES)),
            patterns=[json.loads(f["Pattern"]) for f in filters if "Pattern" in f],
            on_failure_logical_id=logical_id(destination),
        )
    return SourceOverride()


def matches(pattern: dict[str, Any], record: dict[str, Any]) -> bool:
    """Lambda event filtering, the subset the project uses: nested objects and lists of exact values."""
    for key, expected in pattern.items():
        value = record.get(key)
        if isinstance(expected, dict):
            if not isinstance(value, dict) or not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if value not in expected:
                return False
        else:
            raise ValueError(f"unsupported filter pattern for {key!r}: expected an object or a list")
    return True


def accepted(patterns: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    """True when there are no filters or any of them matches (Lambda ORs the filters of a mapping)."""
    return not patterns or any(matches(p, record) for p in patterns)
