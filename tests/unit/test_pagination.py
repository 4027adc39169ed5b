"""Cursors round-trip, and forged or foreign ones are refused."""

from __future__ import annotations

import pytest

from chalicelib.services.pagination import InvalidCursor, decode_cursor, encode_cursor

SECRET = b"k" * 32


def test_a_cursor_round_trips_within_its_scope() -> None:
    key = {"office": "AN", "created_at": 1764100000000, "case_id": "c-1"}
    cursor = encode_cursor(key, "cases:AN", SECRET)
    assert cursor is not None and "AN" not in cursor.split(".")[2]
    assert decode_cursor(cursor, "cases:AN", SECRET) == key
    assert encode_cursor(None, "cases:AN", SECRET) is None and decode_cursor(None, "cases:AN", SECRET) is None


@pytest.mark.parametrize("tamper", ["scope", "body", "garbage", "secret"])
def test_forged_or_foreign_cursors_are_refused(tamper: str) -> None:
    cursor = encode_cursor({"office": "AN"}, "cases:AN", SECRET) or ""
    version, _body, mac = cursor.split(".")
    cases = {
        "scope": (cursor, "cases:MC", SECRET),
        "body": (f"{version}.{encode_cursor({'office': 'MC'}, 'x', SECRET).split('.')[1]}.{mac}", "cases:AN", SECRET),  # type: ignore[union-attr]
        "garbage": ("not-a-cursor", "cases:AN", SECRET),
        "secret": (cursor, "cases:AN", b"other"),
    }
    with pytest.raises(InvalidCursor):
        decode_cursor(*cases[tamper])
