"""The permit catalogue: which documents and fees each permesso di soggiorno procedure needs.

Plain data, no text: every user-facing string is a message id resolved by ``chalicelib.i18n``. Entities with a
code derive their ids from it (``document.<code>.title``, ``permit.<code>.name``, ``fee.<code>.label``…); free
texts (conditions, steps, legal notes) are stored as full ids. ``chalicelib.catalogue`` loads and validates it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from chalicelib.domain.errors import ProcedureNotAvailable, UnknownPermitType, UnknownVariant

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


class Procedure(StrEnum):
    """What the applicant asks for."""

    RILASCIO = "rilascio"  # first issue
    RINNOVO = "rinnovo"  # renewal (for some types: a conversion or an update of the document)


class Channel(StrEnum):
    """Where the application is filed."""

    KIT_POSTALE = "kit_postale"  # kit sent from a post office with Sportello Amico
    QUESTURA = "questura"  # directly at the Ufficio Immigrazione, by appointment (e.g. Prenotafacile)


class Requirement(StrEnum):
    """How strictly a document is needed."""

    REQUIRED = "required"
    CONDITIONAL = "conditional"  # only when its condition applies to the applicant
    ONE_OF = "one_of"  # any one document of its group is enough


class Payment(StrEnum):
    """How a fee is paid, which is what the applicant has to show a receipt for."""

    MARCA_DA_BOLLO = "marca_da_bollo"  # stamp bought at a tabaccheria
    BOLLETTINO = "bollettino"  # postal payment slip: electronic card + contributo
    SPORTELLO_POSTALE = "sportello_postale"  # Poste's fee, paid when the kit is handed in


class Aspect(StrEnum):
    """A part of a procedure that the sources do not settle: to be checked with the local Questura."""

    CHANNEL = "channel"
    FEES = "fees"
    DOCUMENTS = "documents"


@dataclass(frozen=True, slots=True)
class DocumentRequirement:
    """One document of a procedure's checklist."""

    code: str
    requirement: Requirement
    group: str | None  # the one_of group, else None
    precheck_in_chat: bool  # an operator can check a photo or PDF of it in the chat
    original_at_counter: bool  # the original itself must be brought to the Questura: a copy never replaces it
    condition_key: str | None = None  # when it is needed, for conditional documents
    variants: frozenset[str] = frozenset()  # the procedure's variants it belongs to; empty: every applicant

    @property
    def title_key(self) -> str:
        return f"document.{self.code}.title"

    def applies_to(self, variant: str | None) -> bool:
        """Whether an applicant on ``variant`` (None: not known) may need it."""
        return not self.variants or variant is None or variant in self.variants

    @property
    def short_key(self) -> str:
        """At most 24 characters: a WhatsApp list row."""
        return f"document.{self.code}.short"

    @property
    def explanation_key(self) -> str:
        return f"document.{self.code}.explanation"

    @property
    def group_key(self) -> str | None:
        return f"group.{self.group}.title" if self.group else None

    def text_keys(self) -> Iterator[str]:
        yield from (self.title_key, self.short_key, self.explanation_key)
        yield from (key for key in (self.group_key, self.condition_key) if key)


@dataclass(frozen=True, slots=True)
class Fee:
    """One amount the applicant pays."""

    code: str
    amount_cents: int
    payment: Payment

    @property
    def label_key(self) -> str:
        return f"fee.{self.code}.label"


@dataclass(frozen=True, slots=True)
class FeeOption:
    """The totals with one contributo (which depends on the permit's duration), or with none when exempt."""

    contributo: Fee | None
    bollettino_cents: int
    total_cents: int

    @property
    def exempt(self) -> bool:
        return self.contributo is None


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """What a procedure costs: the fees always due, the totals per contributo, who is exempt from the contributo."""

    components: tuple[Fee, ...]
    options: tuple[FeeOption, ...]
    exemptions: tuple[str, ...] = ()  # exemption codes; text ``exemption.<code>``

    @property
    def exemption_keys(self) -> tuple[str, ...]:
        return tuple(f"exemption.{code}" for code in self.exemptions)

    def paid_with(self, payment: Payment) -> int:
        """The cents always paid by ``payment`` (the contributo excluded)."""
        return sum(fee.amount_cents for fee in self.components if fee.payment is payment)

    def text_keys(self) -> Iterator[str]:
        yield from (fee.label_key for fee in self.components)
        yield from (option.contributo.label_key for option in self.options if option.contributo)
        yield from self.exemption_keys


@dataclass(frozen=True, slots=True)
class Variant:
    """One path through a procedure, set by the applicant's situation (e.g. how they entered Italy).

    Its own steps come before the procedure's common ones; documents name the variants they belong to.
    """

    code: str
    step_keys: tuple[str, ...]

    @property
    def title_key(self) -> str:
        return f"variant.{self.code}.title"

    @property
    def explanation_key(self) -> str:
        return f"variant.{self.code}.explanation"

    def text_keys(self) -> Iterator[str]:
        yield from (self.title_key, self.explanation_key)
        yield from self.step_keys


@dataclass(frozen=True, slots=True)
class ProcedureSpec:
    """How one procedure of one permit type goes: channel, checklist, fees, steps and legal notes.

    ``sources`` say where the facts come from (public pages and their dates): for the data's editors, never shown.
    """

    procedure: Procedure
    channel: Channel
    documents: tuple[DocumentRequirement, ...]
    fees: FeeSchedule
    step_keys: tuple[str, ...]  # every applicant's steps (after those of their variant, if any)
    legal_note_keys: tuple[str, ...] = ()
    unverified: frozenset[Aspect] = frozenset()
    variants: tuple[Variant, ...] = ()
    sources: tuple[str, ...] = ()

    def variant(self, code: str) -> Variant:
        for variant in self.variants:
            if variant.code == code:
                return variant
        raise UnknownVariant(code, tuple(v.code for v in self.variants))

    def documents_for(self, variant: str) -> tuple[DocumentRequirement, ...]:
        """The checklist of an applicant on ``variant``."""
        self.variant(variant)
        return tuple(doc for doc in self.documents if doc.applies_to(variant))

    def steps_for(self, variant: str) -> tuple[str, ...]:
        """The steps of an applicant on ``variant``: its own, then the common ones."""
        return self.variant(variant).step_keys + self.step_keys

    def groups(self) -> dict[str, tuple[DocumentRequirement, ...]]:
        """The one_of groups, by name, each with its documents."""
        names = dict.fromkeys(doc.group for doc in self.documents if doc.group)
        return {name: tuple(doc for doc in self.documents if doc.group == name) for name in names}

    def text_keys(self) -> Iterator[str]:
        for document in self.documents:
            yield from document.text_keys()
        yield from self.fees.text_keys()
        yield from self.step_keys
        yield from self.legal_note_keys
        for variant in self.variants:
            yield from variant.text_keys()


@dataclass(frozen=True, slots=True)
class PermitType:
    """A kind of permit (its motivo) and the procedures it can be applied for."""

    code: str
    procedures: Mapping[Procedure, ProcedureSpec]
    not_applicable: Mapping[Procedure, str] = field(default_factory=dict)  # procedure → text id of the reason

    @property
    def name_key(self) -> str:
        return f"permit.{self.code}.name"

    @property
    def short_key(self) -> str:
        """At most 24 characters: a WhatsApp list row."""
        return f"permit.{self.code}.short"

    @property
    def description_key(self) -> str:
        return f"permit.{self.code}.description"

    def text_keys(self) -> Iterator[str]:
        yield from (self.name_key, self.short_key, self.description_key)
        yield from self.not_applicable.values()
        for spec in self.procedures.values():
            yield from spec.text_keys()


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every permit type, looked up by code."""

    permit_types: tuple[PermitType, ...]
    _by_code: Mapping[str, PermitType] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", MappingProxyType({p.code: p for p in self.permit_types}))

    def codes(self) -> tuple[str, ...]:
        """The permit type codes, in catalogue order (the order of the info menu)."""
        return tuple(p.code for p in self.permit_types)

    def permit(self, code: str) -> PermitType:
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownPermitType(code, self.codes()) from None

    def procedure(self, permit_code: str, procedure: Procedure) -> ProcedureSpec:
        permit = self.permit(permit_code)
        if procedure in permit.procedures:
            return permit.procedures[procedure]
        raise ProcedureNotAvailable(permit_code, procedure.value, permit.not_applicable.get(procedure))

    def documents_for(self, permit_code: str, procedure: Procedure) -> tuple[DocumentRequirement, ...]:
        return self.procedure(permit_code, procedure).documents

    def text_keys(self) -> frozenset[str]:
        """Every message id the catalogue refers to."""
        return frozenset(key for permit in self.permit_types for key in permit.text_keys())
