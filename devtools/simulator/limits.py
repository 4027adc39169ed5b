"""Limits the Cloud API enforces on message content beyond (or regardless of) the OpenAPI schema.

Checked before the schema so that the documented limits always answer 131009 "Parameter value is not
valid" with a precise ``details``, as Meta does.  Malformed shapes are skipped here: the schema reports
them.
"""

from __future__ import annotations

from typing import Any

TEXT_BODY_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
LIST_BUTTON_MAX = 20
SECTIONS_MAX = 10
ROWS_TOTAL_MAX = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
SECTION_TITLE_MAX = 24


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _too_long(value: Any, limit: int, what: str) -> list[str]:
    if isinstance(value, str) and len(value) > limit:
        return [f"{what} is too long: {len(value)} characters, max {limit}"]
    return []


def _duplicates(values: list[Any], what: str) -> list[str]:
    seen = [v for v in values if isinstance(v, str)]
    return [f"Duplicate {what}. {what.capitalize()} must be unique."] if len(set(seen)) < len(seen) else []


def _buttons(action: dict[str, Any]) -> list[str]:
    buttons = _list(action.get("buttons"))
    problems = []
    if len(buttons) > BUTTONS_MAX:
        problems.append(f"Too many buttons: {len(buttons)}, max {BUTTONS_MAX}")
    replies = [_dict(_dict(b).get("reply")) for b in buttons]
    for number, reply in enumerate(replies, 1):
        title = reply.get("title")
        if isinstance(title, str) and not 1 <= len(title) <= BUTTON_TITLE_MAX:
            problems.append(
                f"Button title length invalid (button {number}). Min length: 1, Max length: {BUTTON_TITLE_MAX}"
            )
    problems += _duplicates([r.get("id") for r in replies], "button ids")
    problems += _duplicates([r.get("title") for r in replies], "button titles")
    return problems


def _list_action(action: dict[str, Any]) -> list[str]:
    sections = _list(action.get("sections"))
    problems = _too_long(action.get("button"), LIST_BUTTON_MAX, "List button label")
    if len(sections) > SECTIONS_MAX:
        problems.append(f"Too many sections: {len(sections)}, max {SECTIONS_MAX}")
    rows = [_dict(row) for section in sections for row in _list(_dict(section).get("rows"))]
    if len(rows) > ROWS_TOTAL_MAX:
        problems.append(f"Total row count exceed max allowed count: {ROWS_TOTAL_MAX} (got {len(rows)})")
    for number, section in enumerate(sections, 1):
        title = _dict(section).get("title")
        problems += _too_long(title, SECTION_TITLE_MAX, f"Section {number} title")
        if len(sections) > 1 and not title:
            problems.append(f"Section {number} needs a title when there is more than one section")
    for number, row in enumerate(rows, 1):
        problems += _too_long(row.get("title"), ROW_TITLE_MAX, f"Row {number} title")
        problems += _too_long(row.get("description"), ROW_DESCRIPTION_MAX, f"Row {number} description")
    problems += _duplicates([row.get("id") for row in rows], "row ids")
    return problems


def check(body: Any) -> list[str]:
    """Violated limits of a send request; empty when none."""
    if not isinstance(body, dict):
        return []
    if body.get("type") == "text":
        return _too_long(_dict(body.get("text")).get("body"), TEXT_BODY_MAX, "Text body")
    if body.get("type") != "interactive":
        return []
    interactive = _dict(body.get("interactive"))
    action = _dict(interactive.get("action"))
    problems = _too_long(_dict(interactive.get("body")).get("text"), INTERACTIVE_BODY_MAX, "Body text")
    if interactive.get("type") == "button":
        problems += _buttons(action)
    elif interactive.get("type") == "list":
        problems += _list_action(action)
    return problems
