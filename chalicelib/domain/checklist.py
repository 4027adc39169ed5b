"""A case's document checklist: one item per catalogue document, and whether the case is complete.

An item is ``missing → received → accepted | rejected``; a rejected item waits for a new upload. An item can be
set to "bring to the counter" (originals such as the passport and the photos always are): it then no longer
holds up completeness, because the officer will see it at the visit. Documents of a ``one_of`` group count as
one: any member satisfies the group. Conditional documents are not needed until an officer asks for them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain.catalogue import Requirement
from chalicelib.domain.errors import DomainError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from chalicelib.domain.catalogue import ProcedureSpec


class ItemState(StrEnum):
    """Where a checklist item stands."""

    MISSING = "missing"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class RejectionReason(StrEnum):
    """Why an officer refused a document (the applicant is told, in their language)."""

    ILLEGIBLE = "illegible"
    EXPIRED = "expired"
    INCOMPLETE = "incomplete"
    WRONG_DOCUMENT = "wrong_document"
    TRANSLATION_MISSING = "translation_missing"
    LEGALISATION_MISSING = "legalisation_missing"
    OTHER = "other"


class UnknownChecklistItem(DomainError):
    """A document code that is not on this case's checklist."""

    def __init__(self, code: str) -> None:
        super().__init__(f"no checklist item {code!r} on this case")
        self.code = code


class InvalidReview(DomainError):
    """A review that cannot apply: nothing received to review, or a rejection without a reason."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """An officer's refusal of a document."""

    reason: RejectionReason
    note: str = ""


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One document the case may need, and its state."""

    code: str
    requirement: Requirement
    group: str | None
    needed: bool
    precheck_in_chat: bool
    original_at_counter: bool
    state: ItemState = ItemState.MISSING
    at_counter: bool = False
    rejection: Rejection | None = None
    document_id: str | None = None
    requested_at_ms: int | None = None
    rejected_at_ms: int | None = None  # when the last rejection happened (reminders count from it)
    received_at_ms: int | None = None  # when the document waiting for review arrived (the inbox counts from it)
    # What the officer wrote with the latest request of this item: the upload page shows it (a template outside the
    # 24-hour window cannot carry it), read from the case itself, so the public function never reads the timeline.
    request_note: str | None = None

    @property
    def satisfied(self) -> bool:
        """Accepted, or to be shown at the counter."""
        return self.state is ItemState.ACCEPTED or self.at_counter

    @property
    def outstanding(self) -> bool:
        """Needed and neither arrived nor left for the counter: what the applicant still has to send."""
        return self.needed and not self.at_counter and self.state in (ItemState.MISSING, ItemState.REJECTED)


@dataclass(frozen=True, slots=True)
class MissingItem:
    """One thing the applicant still has to send: a document, or a ``one_of`` group (any of its ``codes`` will do)."""

    codes: tuple[str, ...]
    group: str | None = None  # the one_of group, when the item is one
    requested_at_ms: int | None = None  # the latest request of any of its documents (None: never asked for)
    rejected: bool = False  # every alternative was sent and refused: it waits for a new one

    @property
    def one_of(self) -> bool:
        """Alternatives: any one of the codes is enough."""
        return len(self.codes) > 1


@dataclass(frozen=True, slots=True)
class Checklist:
    """The items of one case, in catalogue order."""

    items: tuple[ChecklistItem, ...]

    @classmethod
    def for_procedure(cls, spec: ProcedureSpec, variant: str | None = None) -> Checklist:
        """A fresh checklist from the catalogue: originals go to the counter, conditional items wait.

        With the applicant's ``variant`` only its documents are listed; without it, the documents of a variant
        wait like conditional ones, until an officer asks for them.
        """
        documents = spec.documents_for(variant) if variant else spec.documents
        return cls(
            tuple(
                ChecklistItem(
                    code=doc.code,
                    requirement=doc.requirement,
                    group=doc.group,
                    needed=doc.requirement is not Requirement.CONDITIONAL and (variant is not None or not doc.variants),
                    precheck_in_chat=doc.precheck_in_chat,
                    original_at_counter=doc.original_at_counter,
                    at_counter=doc.original_at_counter,
                )
                for doc in documents
            )
        )

    def item(self, code: str) -> ChecklistItem:
        """The item for ``code``."""
        for item in self.items:
            if item.code == code:
                return item
        raise UnknownChecklistItem(code)

    def _units(self) -> list[tuple[ChecklistItem, ...]]:
        """What completeness counts: each needed item alone, each one_of group as one unit."""
        units: list[tuple[ChecklistItem, ...]] = []
        groups: dict[str, list[ChecklistItem]] = {}
        for item in self.items:
            if item.group and item.requirement is Requirement.ONE_OF:
                groups.setdefault(item.group, []).append(item)
            elif item.needed:
                units.append((item,))
        units.extend(tuple(members) for members in groups.values())
        return units

    @property
    def complete(self) -> bool:
        """Every needed document (or one of each group) accepted or left for the counter."""
        return all(any(member.satisfied for member in unit) for unit in self._units())

    @property
    def all_arrived(self) -> bool:
        """Nothing left for the applicant to send: every unsatisfied unit has a document waiting for review."""
        return all(any(m.satisfied or m.state is ItemState.RECEIVED for m in unit) for unit in self._units())

    def missing_codes(self) -> tuple[str, ...]:
        """Codes the applicant still has to send (a group counts by its members while none is satisfied)."""
        missing: list[str] = []
        for unit in self._units():
            if any(m.satisfied or m.state is ItemState.RECEIVED for m in unit):
                continue
            missing.extend(m.code for m in unit if not m.at_counter)
        return tuple(missing)

    def missing_items(self) -> tuple[MissingItem, ...]:
        """What the applicant still has to send, one entry per document or ``one_of`` group (with its
        alternatives): a unit whose document arrived (and waits for review) or is left for the counter is not."""
        missing: list[MissingItem] = []
        for unit in self._units():
            if any(m.satisfied or m.state is ItemState.RECEIVED for m in unit):
                continue
            members = [m for m in unit if not m.at_counter]
            if not members:
                continue
            requested = [m.requested_at_ms for m in members if m.requested_at_ms is not None]
            missing.append(
                MissingItem(
                    tuple(m.code for m in members),
                    unit[0].group if unit[0].requirement is Requirement.ONE_OF else None,
                    max(requested) if requested else None,
                    all(m.state is ItemState.REJECTED for m in members),
                )
            )
        return tuple(missing)

    def requested_missing(self) -> tuple[MissingItem, ...]:
        """What the office asked for and has not arrived: each missing item reduced to its requested documents
        (a ``one_of`` group asked for as a whole stays one item with its alternatives)."""
        asked: list[MissingItem] = []
        for unit in self.missing_items():
            codes = tuple(c for c in unit.codes if self.item(c).requested_at_ms is not None)
            if codes:
                asked.append(replace(unit, codes=codes))
        return tuple(asked)

    def units_of(self, codes: Iterable[str]) -> tuple[tuple[str, ...], ...]:
        """``codes`` (in their order) with the members of each ``one_of`` group together, as one unit."""
        units: dict[str, list[str]] = {}
        for code in codes:
            item = self.item(code)
            key = item.group if item.group and item.requirement is Requirement.ONE_OF else f"#{code}"
            units.setdefault(key, []).append(code)
        return tuple(tuple(members) for members in units.values())

    def counter_codes(self) -> tuple[str, ...]:
        """What the applicant brings to the counter: originals and items set aside for the visit."""
        return tuple(item.code for item in self.items if item.at_counter and (item.needed or item.group))

    def _replace(self, code: str, **changes: object) -> Checklist:
        current = self.item(code)
        return Checklist(tuple(replace(i, **changes) if i is current else i for i in self.items))  # type: ignore[arg-type]

    def request(self, codes: Iterable[str], now_ms: int, note: str = "") -> Checklist:
        """Ask the applicant for ``codes`` (with the officer's ``note``): they become needed (conditional ones
        included)."""
        checklist = self
        for code in codes:
            checklist = checklist._replace(code, needed=True, requested_at_ms=now_ms, request_note=note.strip() or None)
        return checklist

    def receive(self, code: str, document_id: str, now_ms: int | None = None) -> Checklist:
        """A document arrived for ``code`` (at ``now_ms``): it waits for an officer."""
        return self._replace(
            code, state=ItemState.RECEIVED, document_id=document_id, rejection=None, received_at_ms=now_ms
        )

    def accept(self, code: str) -> Checklist:
        """The officer accepts the document received for ``code``."""
        if self.item(code).state is not ItemState.RECEIVED:
            raise InvalidReview(f"{code} has no document waiting for review")
        return self._replace(code, state=ItemState.ACCEPTED, rejection=None)

    def reject(self, code: str, rejection: Rejection, now_ms: int | None = None) -> Checklist:
        """The officer refuses the document received for ``code``: the item waits for a new one."""
        if self.item(code).state not in (ItemState.RECEIVED, ItemState.ACCEPTED):
            raise InvalidReview(f"{code} has no document to reject")
        return self._replace(code, state=ItemState.REJECTED, rejection=rejection, rejected_at_ms=now_ms)

    def set_at_counter(self, code: str, at_counter: bool) -> Checklist:
        """Leave ``code`` for the counter (or take it back into the chat pre-check)."""
        return self._replace(code, at_counter=at_counter)
