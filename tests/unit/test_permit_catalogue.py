"""The permit catalogue: the shipped data is complete and consistent, and the loader rejects every kind of error."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import pytest

from chalicelib import catalogue as catalogue_module
from chalicelib.catalogue import PERMITS_FILE, catalogue_from_dict, load_catalogue
from chalicelib.domain.catalogue import Catalogue, Channel, Payment, Procedure, Requirement
from chalicelib.domain.errors import CatalogueError, ProcedureNotAvailable, UnknownPermitType
from chalicelib.i18n import catalogue as texts_for
from tests.conftest import ROOT

BOTH = (Procedure.RILASCIO, Procedure.RINNOVO)
REQUIRED_TYPES = {
    "lavoro_subordinato": BOTH,
    "lavoro_autonomo": BOTH,
    "attesa_occupazione": (Procedure.RINNOVO,),  # only ever a renewal or conversion of another permit
    "famiglia": BOTH,
    "studio": BOTH,
    "ue_lungo_periodo": BOTH,
    "protezione_speciale": BOTH,
    "protezione_sussidiaria": BOTH,
    "cure_mediche": BOTH,
    "minore_eta": BOTH,
}
PROTECTED = ("protezione_speciale", "protezione_sussidiaria", "asilo", "cure_mediche", "minore_eta")


def _raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PERMITS_FILE.read_text(encoding="utf-8"))
    return data


def _permit(data: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in data["permit_types"] if p["code"] == code)
    return found


def _problems(data: object, texts: dict[str, dict[str, str]] | None = None) -> tuple[str, ...]:
    with pytest.raises(CatalogueError) as error:
        catalogue_from_dict(data, texts)  # type: ignore[arg-type]
    return error.value.problems


def _only(problems: tuple[str, ...], *fragments: str) -> None:
    """Exactly one problem, naming what went wrong: so each test fails when its check is removed."""
    assert len(problems) == 1, problems
    assert all(fragment in problems[0] for fragment in fragments), problems[0]


def _totals(permit: str, procedure: Procedure) -> set[tuple[str | None, int, int]]:
    fees = load_catalogue().procedure(permit, procedure).fees
    return {(o.contributo.code if o.contributo else None, o.bollettino_cents, o.total_cents) for o in fees.options}


# --- the shipped catalogue ---------------------------------------------------------------------------------------


def test_the_shipped_catalogue_loads_once_and_lazily() -> None:
    assert isinstance(load_catalogue(), Catalogue)
    assert load_catalogue() is load_catalogue()
    code = "import chalicelib.catalogue as c; print(c.load_catalogue.cache_info().currsize)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"  # importing never reads the file


@pytest.mark.parametrize(("code", "procedures"), REQUIRED_TYPES.items())
def test_each_required_permit_type_has_its_procedures(code: str, procedures: tuple[Procedure, ...]) -> None:
    catalogue = load_catalogue()
    permit = catalogue.permit(code)
    assert tuple(permit.procedures) == procedures
    for procedure in procedures:
        assert catalogue.documents_for(code, procedure) == permit.procedures[procedure].documents
        assert catalogue.procedure(code, procedure).step_keys


def test_a_procedure_that_does_not_exist_says_why() -> None:
    with pytest.raises(ProcedureNotAvailable) as error:
        load_catalogue().procedure("attesa_occupazione", Procedure.RILASCIO)
    assert error.value.reason_key == "permit.attesa_occupazione.no_rilascio"


def test_unknown_permit_type_carries_the_valid_codes() -> None:
    with pytest.raises(UnknownPermitType) as error:
        load_catalogue().permit("turismo")
    assert error.value.code == "turismo"
    assert error.value.valid_codes == load_catalogue().codes()
    assert set(REQUIRED_TYPES) <= set(error.value.valid_codes)


def test_fee_components_and_totals() -> None:
    fees = {
        fee.code: fee.amount_cents for fee in load_catalogue().procedure("studio", Procedure.RILASCIO).fees.components
    }
    assert fees == {"marca_da_bollo": 1600, "permesso_elettronico": 3046, "servizio_poste": 3000}
    assert ("contributo_fino_1_anno", 7046, 11646) in _totals("studio", Procedure.RILASCIO)
    assert {(b, t) for _, b, t in _totals("lavoro_subordinato", Procedure.RINNOVO)} >= {(7046, 11646), (8046, 12646)}
    assert ("contributo_1_2_anni", 8046, 12646) in _totals("famiglia", Procedure.RILASCIO)
    assert ("contributo_lungo_periodo", 13046, 17646) in _totals("ue_lungo_periodo", Procedure.RILASCIO)


def test_exemptions_from_the_contributo() -> None:
    catalogue = load_catalogue()
    assert "minore" in catalogue.procedure("famiglia", Procedure.RILASCIO).fees.exemptions
    assert (None, 3046, 7646) in _totals("famiglia", Procedure.RILASCIO)  # a minor pays only the card (and kit)
    assert "protezione_internazionale" in catalogue.procedure("ue_lungo_periodo", Procedure.RILASCIO).fees.exemptions
    for code in PROTECTED:
        for spec in catalogue.permit(code).procedures.values():
            assert all(option.exempt for option in spec.fees.options), (code, spec.procedure)
            assert spec.fees.exemptions, (code, spec.procedure)
            expected = (3046, 7646) if spec.channel is Channel.KIT_POSTALE else (3046, 4646)
            assert {(o.bollettino_cents, o.total_cents) for o in spec.fees.options} == {expected}


def test_poste_is_paid_only_for_the_kit() -> None:
    for permit in load_catalogue().permit_types:
        for spec in permit.procedures.values():
            poste = spec.fees.paid_with(Payment.SPORTELLO_POSTALE)
            assert poste == (3000 if spec.channel is Channel.KIT_POSTALE else 0), (permit.code, spec.procedure)


def test_passport_and_photos_are_originals_at_the_counter() -> None:
    for permit in load_catalogue().permit_types:
        for spec in permit.procedures.values():
            documents = {document.code: document for document in spec.documents}
            assert documents["photos"].original_at_counter and not documents["photos"].precheck_in_chat
            assert documents["photos"].requirement is Requirement.REQUIRED
            if "passport" in documents:
                assert documents["passport"].original_at_counter


@pytest.mark.parametrize("language", ["it", "en"])
def test_every_text_key_resolves_within_its_length(language: str) -> None:
    texts = texts_for(language)
    for key in sorted(load_catalogue().text_keys()):
        assert texts.get(key), f"{key} has no {language} text"
        limit = 24 if key.endswith(".short") else 60 if key.endswith((".title", ".name")) else 200
        assert len(texts[key]) <= limit, (key, texts[key])
        assert "{" not in texts[key], key  # translate() would read it as a placeholder


# --- the validator: each broken copy of the real data triggers exactly its own check -----------------------------


def test_the_real_data_passes_catalogue_from_dict() -> None:
    assert catalogue_from_dict(_raw()).codes() == load_catalogue().codes()


def test_rejects_a_text_key_missing_in_both_languages() -> None:
    data = _raw()
    _permit(data, "studio")["procedures"]["rinnovo"]["legal_notes"].append("legal.studio.no_such_note")
    problems = _problems(data)
    assert problems == (
        "text 'legal.studio.no_such_note' is missing in 'en'",
        "text 'legal.studio.no_such_note' is missing in 'it'",
    )


def test_rejects_a_text_missing_in_english_only() -> None:
    texts = {language: dict(texts_for(language)) for language in ("it", "en")}
    del texts["en"]["document.passport.short"]
    _only(_problems(_raw(), texts), "'document.passport.short'", "missing in 'en'")


def test_rejects_a_short_title_longer_than_a_list_row() -> None:
    texts = {language: dict(texts_for(language)) for language in ("it", "en")}
    texts["it"]["permit.studio.short"] = "Permesso di soggiorno per studio"
    _only(_problems(_raw(), texts), "'permit.studio.short'", "more than 24")


def test_rejects_a_missing_field() -> None:
    data = _raw()
    del _permit(data, "studio")["procedures"]["rinnovo"]["channel"]
    _only(_problems(data), "studio", "missing field 'channel'")


def test_rejects_a_duplicate_permit_code() -> None:
    data = _raw()
    data["permit_types"].append(copy.deepcopy(_permit(data, "studio")))
    _only(_problems(data), "permit_types", "duplicate code 'studio'")


def test_rejects_a_duplicate_document_in_a_procedure() -> None:
    data = _raw()
    _permit(data, "studio")["procedures"]["rinnovo"]["documents"].append({"code": "passport"})
    _only(_problems(data), "studio", "duplicate code 'passport'")


def test_rejects_a_duplicate_key_in_the_file(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    text = PERMITS_FILE.read_text(encoding="utf-8").replace('"schema": 1,', '"schema": 1, "schema": 1,', 1)
    (tmp_path / "permits.json").write_text(text, encoding="utf-8")
    monkeypatch.setattr(catalogue_module, "PERMITS_FILE", tmp_path / "permits.json")
    with pytest.raises(CatalogueError) as error:
        load_catalogue.__wrapped__()
    _only(error.value.problems, "duplicate key 'schema'")


def test_rejects_fees_that_do_not_add_up() -> None:
    data = _raw()
    _permit(data, "studio")["procedures"]["rilascio"]["fees"]["options"][0]["bollettino_cents"] = 7000
    _only(_problems(data), "studio.rilascio", "bollettino", "7046, not 7000")


def test_rejects_a_wrong_total() -> None:
    data = _raw()
    _permit(data, "ue_lungo_periodo")["procedures"]["rilascio"]["fees"]["options"][0]["total_cents"] = 17000
    _only(_problems(data), "ue_lungo_periodo.rilascio", "total", "17646, not 17000")


def test_rejects_exemptions_without_an_exempt_option() -> None:
    data = _raw()
    options = _permit(data, "famiglia")["procedures"]["rinnovo"]["fees"]["options"]
    options[:] = [option for option in options if option["contributo"] is not None]
    _only(_problems(data), "famiglia.rinnovo", "exemptions")


def test_rejects_an_unknown_field() -> None:
    data = _raw()
    _permit(data, "studio")["procedures"]["rinnovo"]["documents"][0]["colour"] = "yellow"
    _only(_problems(data), "studio", "unknown field 'colour'")


def test_rejects_an_unknown_enum_value() -> None:
    data = _raw()
    _permit(data, "studio")["procedures"]["rinnovo"]["channel"] = "fax"
    _only(_problems(data), "studio", "unknown Channel 'fax'")


def test_rejects_a_lone_one_of_member() -> None:
    data = _raw()
    documents = _permit(data, "studio")["procedures"]["rinnovo"]["documents"]
    documents[:] = [document for document in documents if document["code"] != "iscrizione_ssn"]
    _only(_problems(data), "studio.rinnovo", "group 'copertura_sanitaria' has 1 document")


def test_rejects_a_passport_that_is_not_a_counter_original() -> None:
    data = _raw()
    passport = next(d for d in _permit(data, "studio")["procedures"]["rinnovo"]["documents"] if d["code"] == "passport")
    passport["original_at_counter"] = False
    _only(_problems(data), "studio.rinnovo", "'passport' must be marked original_at_counter")


def test_rejects_a_procedure_neither_available_nor_explained() -> None:
    data = _raw()
    del _permit(data, "attesa_occupazione")["not_applicable"]
    _only(_problems(data), "attesa_occupazione", "'rilascio' must be in procedures or in not_applicable")


def test_reports_every_problem_not_just_the_first() -> None:
    data = _raw()
    _permit(data, "studio")["procedures"]["rinnovo"]["channel"] = "fax"
    _permit(data, "famiglia")["colour"] = "yellow"
    data["permit_types"].append(copy.deepcopy(_permit(data, "asilo")))
    assert len(_problems(data)) == 3


def test_rejects_a_document_defined_but_never_used() -> None:
    data = _raw()
    data["documents"].append({"code": "tessera_club", "precheck_in_chat": True, "original_at_counter": False})
    _only(_problems(data), "document 'tessera_club' is defined but never used")
