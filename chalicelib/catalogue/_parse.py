"""Reading ``permits.json`` into domain objects, noting every structural problem instead of stopping at the first.

A broken part is reported and skipped, so one run lists everything a data editor has to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from chalicelib.catalogue._reader import Reader
from chalicelib.domain.catalogue import (
    Aspect,
    Catalogue,
    Channel,
    DocumentRequirement,
    Fee,
    FeeOption,
    FeeSchedule,
    Payment,
    PermitType,
    Procedure,
    ProcedureSpec,
    Requirement,
    Variant,
)

SCHEMA = 1


class _Parser:
    def __init__(self, reader: Reader) -> None:
        self.r = reader
        self.fees: dict[str, Fee] = {}
        self.exemptions: set[str] = set()
        self.documents: dict[str, tuple[bool, bool]] = {}  # code → (precheck_in_chat, original_at_counter)
        self.used: dict[str, set[str]] = {"fee": set(), "exemption": set(), "document": set()}

    def catalogue(self, data: object) -> Catalogue:
        root = self.r.fields("catalogue", data, ("schema", "fees", "exemptions", "documents", "permit_types"))
        if root is None:
            return Catalogue(())
        if root["schema"] != SCHEMA:
            self.r.problems.append(f"catalogue: schema {root['schema']!r} is not {SCHEMA}")
        for i, raw in enumerate(self.r.items("fees", root["fees"])):
            self._fee(f"fees[{i}]", raw)
        exemptions = self._keys("exemptions", root["exemptions"], "")
        self.exemptions = set(exemptions)
        self.r.problems.extend(f"exemptions: duplicate code {c!r}" for c in self.exemptions if exemptions.count(c) > 1)
        for i, raw in enumerate(self.r.items("documents", root["documents"])):
            self._document(f"documents[{i}]", raw)
        raw_permits = self.r.items("permit_types", root["permit_types"])
        for where, entries in (("fees", root["fees"]), ("documents", root["documents"]), ("permit_types", raw_permits)):
            self.r.codes(where, entries if isinstance(entries, list) else [])
        permits = [self._permit(f"permit_types[{i}]", raw) for i, raw in enumerate(raw_permits)]
        sound = not self.r.problems  # else a skipped broken part would make the codes it uses look unused
        for kind, defined in (("fee", self.fees), ("exemption", self.exemptions), ("document", self.documents)):
            unused = sorted(set(defined) - self.used[kind])  # stale data whose texts nobody would check
            self.r.problems.extend(f"{kind} {code!r} is defined but never used" for code in unused if sound)
        return Catalogue(tuple(p for p in permits if p))

    def _fee(self, where: str, raw: object) -> None:
        if (f := self.r.fields(where, raw, ("code", "amount_cents", "payment"))) is None:
            return
        code, cents = self.r.text(f"{where}.code", f["code"]), self.r.cents(f"{where}.amount_cents", f["amount_cents"])
        payment = self.r.enum(f"{where}.payment", f["payment"], Payment)
        if code and cents is not None and payment:
            self.fees[code] = Fee(code, cents, payment)

    def _document(self, where: str, raw: object) -> None:
        if (f := self.r.fields(where, raw, ("code", "precheck_in_chat", "original_at_counter"))) is None:
            return
        code = self.r.text(f"{where}.code", f["code"])
        precheck = self.r.flag(f"{where}.precheck_in_chat", f["precheck_in_chat"])
        original = self.r.flag(f"{where}.original_at_counter", f["original_at_counter"])
        if code and precheck is not None and original is not None:
            self.documents[code] = (precheck, original)

    def _permit(self, where: str, raw: object) -> PermitType | None:
        if (f := self.r.fields(where, raw, ("code", "procedures"), ("not_applicable",))) is None:
            return None
        code = self.r.text(f"{where}.code", f["code"])
        where = f"{where} ({code})"
        raw_procedures = self._mapping(f"{where}.procedures", f["procedures"])
        raw_reasons = self._mapping(f"{where}.not_applicable", f.get("not_applicable", {}))
        for name in {*raw_procedures, *raw_reasons}:
            self.r.enum(f"{where}", name, Procedure)
        for procedure in Procedure:  # the data says, for each procedure, that it exists or why it does not
            if (procedure.value in raw_procedures) == (procedure.value in raw_reasons):
                self.r.problems.append(f"{where}: {procedure.value!r} must be in procedures or in not_applicable")
        procedures: dict[Procedure, ProcedureSpec] = {}
        reasons: dict[Procedure, str] = {}
        for procedure in Procedure:
            if procedure.value in raw_procedures:
                spec = self._procedure(f"{where}.{procedure.value}", procedure, raw_procedures[procedure.value])
                procedures.update({procedure: spec} if spec else {})
            elif (reason := raw_reasons.get(procedure.value)) is not None:
                key = self.r.text(f"{where}.not_applicable.{procedure.value}", reason, "permit.")
                reasons.update({procedure: key} if key else {})
        return PermitType(code, MappingProxyType(procedures), MappingProxyType(reasons)) if code else None

    def _mapping(self, where: str, value: object) -> dict[str, object]:
        if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
            return dict(value)
        self.r.problems.append(f"{where}: expected an object")
        return {}

    def _procedure(self, where: str, procedure: Procedure, raw: object) -> ProcedureSpec | None:
        required = ("channel", "documents", "fees", "steps")
        optional = ("legal_notes", "unverified", "variants", "sources")
        if (f := self.r.fields(where, raw, required, optional)) is None:
            return None
        channel = self.r.enum(f"{where}.channel", f["channel"], Channel)
        variants = self._variants(f"{where}.variants", f.get("variants", []))
        raw_docs = self.r.items(f"{where}.documents", f["documents"])
        self.r.codes(f"{where}.documents", raw_docs)
        codes = {variant.code for variant in variants or ()}
        documents = [self._requirement(f"{where}.documents[{i}]", raw, codes) for i, raw in enumerate(raw_docs)]
        fees = self._schedule(f"{where}.fees", f["fees"])
        steps = self._keys(f"{where}.steps", f["steps"], "procedure.")
        notes = self._keys(f"{where}.legal_notes", f.get("legal_notes", []), "legal.")
        raw_aspects = self.r.items(f"{where}.unverified", f.get("unverified", []))
        aspects = [self.r.enum(f"{where}.unverified", value, Aspect) for value in raw_aspects]
        sources = self._keys(f"{where}.sources", f.get("sources", []), "")
        if channel is None or fees is None or variants is None or None in documents or None in aspects:
            return None
        docs = tuple(d for d in documents if d)
        unverified = frozenset(a for a in aspects if a)
        return ProcedureSpec(procedure, channel, docs, fees, steps, notes, unverified, variants, sources)

    def _variants(self, where: str, value: object) -> tuple[Variant, ...] | None:
        """A procedure's variants: none, or at least two (one alone would be the procedure itself)."""
        raw_variants = self.r.items(where, value)
        self.r.codes(where, raw_variants)
        variants: list[Variant] = []
        for i, raw in enumerate(raw_variants):
            if (f := self.r.fields(f"{where}[{i}]", raw, ("code", "steps"))) is None:
                return None
            code = self.r.text(f"{where}[{i}].code", f["code"])
            steps = self._keys(f"{where}[{i}].steps", f["steps"], "procedure.")
            if code is None:
                return None
            variants.append(Variant(code, steps))
        if len(variants) == 1:
            self.r.problems.append(f"{where}: a single variant; a procedure has none or at least two")
            return None
        return tuple(variants)

    def _keys(self, where: str, value: object, prefix: str) -> tuple[str, ...]:
        keys = (self.r.text(f"{where}[{i}]", raw, prefix) for i, raw in enumerate(self.r.items(where, value)))
        return tuple(key for key in keys if key)

    def _requirement(self, where: str, raw: object, variants: set[str]) -> DocumentRequirement | None:
        optional = ("requirement", "group", "condition", "precheck_in_chat", "original_at_counter", "variants")
        if (f := self.r.fields(where, raw, ("code",), optional)) is None:
            return None
        code = self.r.text(f"{where}.code", f["code"])
        if code is None or code not in self.documents:
            self.r.problems.append(f"{where}: unknown document {f['code']!r}")
            return None
        self.used["document"].add(code)
        requirement = self.r.enum(f"{where}.requirement", f.get("requirement", "required"), Requirement)
        group = self.r.text(f"{where}.group", f["group"]) if "group" in f else None
        condition = self.r.text(f"{where}.condition", f["condition"], "condition.") if "condition" in f else None
        if (requirement is Requirement.ONE_OF) != (group is not None):
            self.r.problems.append(f"{where}: a group is needed by, and only by, a one_of document")
        if (requirement is Requirement.CONDITIONAL) != (condition is not None):
            self.r.problems.append(f"{where}: a condition is needed by, and only by, a conditional document")
        default_precheck, default_original = self.documents[code]  # overridden e.g. for the marca da bollo
        precheck = self.r.flag(f"{where}.precheck_in_chat", f.get("precheck_in_chat", default_precheck))
        original = self.r.flag(f"{where}.original_at_counter", f.get("original_at_counter", default_original))
        own = self._keys(f"{where}.variants", f["variants"], "") if "variants" in f else ()
        if "variants" in f and not own:
            self.r.problems.append(f"{where}: an empty variants list; leave it out for every applicant")
        self.r.problems.extend(f"{where}: unknown variant {v!r}" for v in own if v not in variants)
        if requirement is None or precheck is None or original is None:
            return None
        return DocumentRequirement(code, requirement, group, precheck, original, condition, frozenset(own))

    def _schedule(self, where: str, raw: object) -> FeeSchedule | None:
        if (f := self.r.fields(where, raw, ("components", "options"), ("exemptions",))) is None:
            return None
        components = tuple(self._fee_ref(f"{where}.components", c) for c in self.r.items(where, f["components"]))
        options = tuple(
            self._option(f"{where}.options[{i}]", o) for i, o in enumerate(self.r.items(where, f["options"]))
        )
        exemptions = self._keys(f"{where}.exemptions", f.get("exemptions", []), "")
        self.r.problems.extend(f"{where}: unknown exemption {e!r}" for e in exemptions if e not in self.exemptions)
        self.used["exemption"].update(exemptions)
        if None in components or None in options or not options:
            self.r.problems.extend([f"{where}: no options"] if not options else [])
            return None
        return FeeSchedule(tuple(c for c in components if c), tuple(o for o in options if o), exemptions)

    def _fee_ref(self, where: str, code: object) -> Fee | None:
        if isinstance(code, str) and code in self.fees:
            self.used["fee"].add(code)
            return self.fees[code]
        self.r.problems.append(f"{where}: unknown fee {code!r}")
        return None

    def _option(self, where: str, raw: object) -> FeeOption | None:
        if (f := self.r.fields(where, raw, ("contributo", "bollettino_cents", "total_cents"))) is None:
            return None
        contributo = None if f["contributo"] is None else self._fee_ref(f"{where}.contributo", f["contributo"])
        bollettino = self.r.cents(f"{where}.bollettino_cents", f["bollettino_cents"])
        total = self.r.cents(f"{where}.total_cents", f["total_cents"])
        if bollettino is None or total is None or (contributo is None and f["contributo"] is not None):
            return None
        return FeeOption(contributo, bollettino, total)


def parse(data: object) -> tuple[Catalogue, list[str]]:
    """The catalogue built from ``data`` (broken parts skipped) and the structural problems found."""
    reader = Reader()
    catalogue = _Parser(reader).catalogue(data)
    return catalogue, reader.problems
