"""Typed reads of untrusted JSON values: each failed read notes a problem and returns None, so reading goes on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class Reader:
    """Reads values and collects the problems found."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fields(
        self, where: str, value: object, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, object] | None:
        if not isinstance(value, Mapping):
            self.problems.append(f"{where}: expected an object")
            return None
        self.problems.extend(f"{where}: unknown field {k!r}" for k in value if k not in required + optional)
        missing = [k for k in required if k not in value]
        self.problems.extend(f"{where}: missing field {k!r}" for k in missing)
        return None if missing else dict(value)

    def items(self, where: str, value: object) -> list[object]:
        if isinstance(value, list):
            return value
        self.problems.append(f"{where}: expected a list")
        return []

    def text(self, where: str, value: object, prefix: str = "") -> str | None:
        if isinstance(value, str) and value.startswith(prefix) and len(value) > len(prefix):
            return value
        self.problems.append(f"{where}: expected a string starting with {prefix!r}, got {value!r}")
        return None

    def flag(self, where: str, value: object) -> bool | None:
        if isinstance(value, bool):
            return value
        self.problems.append(f"{where}: expected true or false, got {value!r}")
        return None

    def cents(self, where: str, value: object) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        self.problems.append(f"{where}: expected a whole number of cents, got {value!r}")
        return None

    def enum(self, where: str, value: object, kind: type[E]) -> E | None:
        members = {member.value: member for member in kind}
        if isinstance(value, str) and value in members:
            return members[value]
        self.problems.append(f"{where}: unknown {kind.__name__} {value!r}; valid: {', '.join(members)}")
        return None

    def codes(self, where: str, entries: list[object]) -> None:
        """Report codes defined more than once in a list of ``{"code": …}`` objects."""
        counts = Counter(e.get("code") for e in entries if isinstance(e, Mapping) and isinstance(e.get("code"), str))
        self.problems.extend(f"{where}: duplicate code {code!r}" for code, n in counts.items() if n > 1)
