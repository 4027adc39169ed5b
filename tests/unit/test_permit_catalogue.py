"""The permit catalogue: the shipped data is complete and consistent, and the loader rejects every kind of error."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from typing import Any

import pytest

from chalicelib import catalogue as catalogue_module
from chalicelib.catalogue import PERMITS_FILE, catalogue_from_dict, load_catalogue
from chalicelib.domain.catalogue import Aspect, Catalogue, Channel, Payment, Procedure, Requirement
from chalicelib.domain.checklist import Checklist
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
    # added in issue 17, most applicants first
    "richiesta_asilo": BOTH,
    "protezione_temporanea": BOTH,
    "familiari_ue": BOTH,
    "lavoro_stagionale": (Procedure.RILASCIO,),  # 9 months at most: extension or conversion, asked at the Questura
    "aggiornamento": (Procedure.RINNOVO,),  # conversion, update or duplicate of a permit one already has
}
# Cure mediche is no longer here: the exemption covers only who entered with a medical visa (issue 17).
PROTECTED = ("protezione_speciale", "protezione_sussidiaria", "asilo", "minore_eta")


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


def test_a_document_of_an_unknown_variant_is_rejected() -> None:
    data = _raw()
    documents = _permit(data, "famiglia")["procedures"]["rilascio"]["documents"]
    next(d for d in documents if d["code"] == "nulla_osta")["variants"] = ["ricongiungimento", "turismo"]
    _only(_problems(data), "famiglia", "unknown variant 'turismo'")


def test_a_single_variant_is_rejected() -> None:
    data = _raw()
    spec = _permit(data, "famiglia")["procedures"]["rilascio"]
    spec["variants"] = spec["variants"][:1]
    for document in spec["documents"]:
        document.pop("variants", None)
    _only(_problems(data), "famiglia", "a single variant")


def test_an_empty_variants_list_on_a_document_is_rejected() -> None:
    data = _raw()
    documents = _permit(data, "famiglia")["procedures"]["rilascio"]["documents"]
    next(d for d in documents if d["code"] == "nulla_osta")["variants"] = []
    _only(_problems(data), "famiglia", "empty variants list")


# --- issue 17: what applicants read must be right ----------------------------------------------------------------


def _it(key: str) -> str:
    return texts_for("it")[key]


def test_family_reunification_starts_at_the_sportello_unico_within_8_days() -> None:
    spec = load_catalogue().procedure("famiglia", Procedure.RILASCIO)
    first = spec.steps_for("ricongiungimento")[0]
    assert first == "procedure.famiglia.rilascio.step.sportello_unico"
    assert "8 giorni" in _it(first) and "Sportello Unico" in _it(first) and "Prefettura" in _it(first)
    assert {"nulla_osta", "visto"} <= {d.code for d in spec.documents_for("ricongiungimento")}
    assert spec.channel is Channel.KIT_POSTALE  # the kit prepared there still goes through the post office


@pytest.mark.parametrize("variant", ["coesione", "familiare_italiano"])
def test_art_30_and_family_of_italians_use_the_kit_with_no_nulla_osta_or_visa(variant: str) -> None:
    spec = load_catalogue().procedure("famiglia", Procedure.RILASCIO)
    codes = {d.code for d in spec.documents_for(variant)}
    assert not codes & {"nulla_osta", "visto"}
    steps = spec.steps_for(variant)
    assert steps[0] == "procedure.kit_postale.step.1"
    assert "procedure.famiglia.rilascio.step.sportello_unico" not in steps
    assert "nulla osta" in _it(f"variant.{variant}.explanation")
    if variant == "familiare_italiano":  # cohabitation with the Italian relative suffices: no income, no housing check
        assert not codes & {"reddito_familiare", "idoneita_alloggiativa"} and "stato_famiglia" in codes
    assert any("Venezia" in source and "2023" in source for source in spec.sources)


def test_a_checklist_knows_a_variants_documents_only_with_its_variant() -> None:
    spec = load_catalogue().procedure("famiglia", Procedure.RILASCIO)
    unknown = Checklist.for_procedure(spec)
    assert not unknown.item("nulla_osta").needed and unknown.item("certificati_parentela").needed
    assert Checklist.for_procedure(spec, "ricongiungimento").item("nulla_osta").needed
    assert "nulla_osta" not in {item.code for item in Checklist.for_procedure(spec, "coesione").items}


def test_eu_long_term_first_issue_asks_for_the_current_permit_and_leaves_criminal_records_to_the_office() -> None:
    spec = load_catalogue().procedure("ue_lungo_periodo", Procedure.RILASCIO)
    documents = {d.code: d for d in spec.documents}
    assert documents["permesso_attuale"].requirement is Requirement.REQUIRED
    records = documents["casellario_giudiziale"]
    assert records.requirement is Requirement.CONDITIONAL and records.condition_key == "condition.office_asks"
    assert Aspect.DOCUMENTS in spec.unverified
    assert "legal.ue_lungo_periodo.criminal_records" in spec.legal_note_keys
    assert any("lineaamica.gov.it (2017)" in source for source in spec.sources)


def test_special_protection_lasts_two_years() -> None:
    catalogue = load_catalogue()
    for procedure in BOTH:
        spec = catalogue.procedure("protezione_speciale", procedure)
        assert "legal.protezione_speciale.duration" in spec.legal_note_keys
        assert any("integrazionemigranti.gov.it" in source and "2023" in source for source in spec.sources)
    assert "dura 2 anni" in _it("legal.protezione_speciale.duration")
    assert "lasts 2 years" in texts_for("en")["legal.protezione_speciale.duration"]
    assert "legal.protezione_speciale.renew_once" not in texts_for("it")  # the old "1 year since 2023"


def test_subsidiary_protection_renewal_channel_stays_uncertain_and_says_what_to_ask() -> None:
    spec = load_catalogue().procedure("protezione_sussidiaria", Procedure.RINNOVO)
    assert spec.unverified == frozenset({Aspect.CHANNEL})
    assert "legal.protezione_sussidiaria.channel" in spec.legal_note_keys
    assert "chieda al suo ufficio" in _it("legal.protezione_sussidiaria.channel")


def test_the_codice_fiscale_is_asked_on_first_issue_only_if_already_held() -> None:
    seen = 0
    for permit in load_catalogue().permit_types:
        spec = permit.procedures.get(Procedure.RILASCIO)
        for document in spec.documents if spec else ():
            if document.code == "codice_fiscale":
                seen += 1
                assert document.requirement is Requirement.CONDITIONAL, permit.code
                assert document.condition_key == "condition.has_codice_fiscale", permit.code
    assert seen >= 5
    assert _it("condition.has_codice_fiscale") == "Se ha già un codice fiscale."


def test_the_refugee_travel_document_is_issued_on_request() -> None:
    catalogue = load_catalogue()
    renewal = catalogue.procedure("asilo", Procedure.RINNOVO)
    travel = next(d for d in renewal.documents if d.code == "titolo_viaggio")
    assert travel.requirement is Requirement.CONDITIONAL
    for procedure in BOTH:
        assert "legal.asilo.travel_document" in catalogue.procedure("asilo", procedure).legal_note_keys
    assert "si accompagna" not in _it("permit.asilo.description")
    assert "a parte" in _it("permit.asilo.description")


@pytest.mark.parametrize("language", ["it", "en", "fr", "es", "sq", "ar", "ur", "bn", "zh_Hans", "uk"])
def test_four_more_photos_for_each_child_under_14(language: str) -> None:
    assert "14" in texts_for(language)["document.photos.explanation"]


def test_the_medical_exemption_covers_who_entered_with_a_medical_visa() -> None:
    assert "visto per cure mediche" in _it("exemption.cure_mediche")
    assert "medical treatment visa" in texts_for("en")["exemption.cure_mediche"]
    for procedure in BOTH:
        spec = load_catalogue().procedure("cure_mediche", procedure)
        totals = _totals("cure_mediche", procedure)
        assert totals == {("contributo_fino_1_anno", 7046, 8646), (None, 3046, 4646)}
        assert Aspect.FEES in spec.unverified and "legal.cure_mediche.contributo" in spec.legal_note_keys


def test_asylum_seekers_file_at_the_questura_and_pay_nothing() -> None:
    for procedure in BOTH:
        spec = load_catalogue().procedure("richiesta_asilo", procedure)
        assert spec.channel is Channel.QUESTURA
        assert _totals("richiesta_asilo", procedure) == {(None, 0, 0)}
        assert "legal.richiesta_asilo.work_60_days" in spec.legal_note_keys
        assert any("151,120" in source and "ISTAT" in source for source in spec.sources)


def test_temporary_protection_renews_at_the_questura_for_16_plus_30_46_until_march_2027() -> None:
    spec = load_catalogue().procedure("protezione_temporanea", Procedure.RINNOVO)
    assert spec.channel is Channel.QUESTURA
    assert {f.code: f.amount_cents for f in spec.fees.components} == {
        "marca_da_bollo": 1600,
        "permesso_elettronico": 3046,
    }
    assert _totals("protezione_temporanea", Procedure.RINNOVO) == {(None, 3046, 4646)}
    assert "4 marzo 2027" in _it("legal.protezione_temporanea.until_2027")
    first = load_catalogue().procedure("protezione_temporanea", Procedure.RILASCIO)
    assert Aspect.FEES in first.unverified  # the sources give only the renewal's fees


def test_family_of_eu_citizens_get_the_carta_di_soggiorno_for_the_card_cost_only() -> None:
    for procedure in BOTH:
        spec = load_catalogue().procedure("familiari_ue", procedure)
        assert spec.channel is Channel.QUESTURA and Aspect.CHANNEL in spec.unverified  # or by kit since Aug 2021
        assert _totals("familiari_ue", procedure) == {(None, 3046, 4646)}
        assert spec.fees.exemptions == ("familiari_ue",)
        codes = {d.code for d in spec.documents}
        assert {"certificati_parentela", "documento_cittadino_ue", "attestato_iscrizione_ue"} <= codes
        assert any("D.Lgs. 30/2007" in source for source in spec.sources)


def test_seasonal_work_goes_by_kit_after_the_sportello_unico() -> None:
    spec = load_catalogue().procedure("lavoro_stagionale", Procedure.RILASCIO)
    assert spec.channel is Channel.KIT_POSTALE
    assert spec.step_keys[0] == "procedure.lavoro_subordinato.rilascio.step.sportello_unico"
    assert {"nulla_osta", "visto", "contratto_soggiorno"} <= {d.code for d in spec.documents}
    assert _totals("lavoro_stagionale", Procedure.RILASCIO) == {("contributo_fino_1_anno", 7046, 11646)}
    with pytest.raises(ProcedureNotAvailable) as error:
        load_catalogue().procedure("lavoro_stagionale", Procedure.RINNOVO)
    assert error.value.reason_key == "permit.lavoro_stagionale.no_rinnovo"


def test_conversion_update_and_duplicate_are_variants_of_one_kit_procedure() -> None:
    spec = load_catalogue().procedure("aggiornamento", Procedure.RINNOVO)
    assert spec.channel is Channel.KIT_POSTALE
    assert [v.code for v in spec.variants] == ["conversione", "aggiornamento_dati", "duplicato"]
    assert "denuncia" in {d.code for d in spec.documents_for("duplicato")}
    assert "denuncia" not in {d.code for d in spec.documents_for("conversione")}
    assert spec.steps_for("duplicato")[0] == "procedure.aggiornamento.step.duplicato"
    assert (None, 3046, 7646) in _totals("aggiornamento", Procedure.RINNOVO)  # exempt: update and duplicate
    assert Aspect.FEES in spec.unverified  # some Questure charge the contributo on conversion


@pytest.mark.parametrize(
    "code", ["richiesta_asilo", "protezione_temporanea", "familiari_ue", "lavoro_stagionale", "aggiornamento"]
)
def test_each_added_type_names_its_sources(code: str) -> None:
    for spec in load_catalogue().permit(code).procedures.values():
        assert spec.sources, spec.procedure
        assert any(re.search(r"\b20\d\d\b", source) for source in spec.sources), spec.procedure  # dated
