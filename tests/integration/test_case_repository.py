"""The case repository on moto: transactions with the optimistic lock, index queries, documents."""

from __future__ import annotations

from dataclasses import replace
from threading import Barrier, Thread

import pytest

from chalicelib.adapters.dynamo.cases import DynamoCaseRepository
from chalicelib.adapters.dynamo.models import bind_models
from chalicelib.catalogue import load_catalogue
from chalicelib.domain.actors import Actor, ActorKind
from chalicelib.domain.cases import Case, CaseApplicant, CaseEvent, CaseStatus
from chalicelib.domain.catalogue import Procedure
from chalicelib.domain.checklist import Checklist
from chalicelib.domain.documents import CaseDocument, DocumentSource
from chalicelib.services.cases.ports import CaseFilter, CaseNotFound, VersionConflict
from chalicelib.settings import get_settings

NOW = 1_764_100_000_000
OFFICER_1 = Actor(ActorKind.OFFICER, "sub-1", "g.bianchi", "Giulia Bianchi")


def officer(subject: str) -> Actor:
    return Actor(ActorKind.OFFICER, subject, subject)


@pytest.fixture
def repo(aws: None) -> DynamoCaseRepository:
    bind_models(get_settings())
    return DynamoCaseRepository("eu-south-1")


def _case(case_id: str = "AN-AAAA2222", office: str = "AN") -> Case:
    spec = load_catalogue().procedure("studio", Procedure.RINNOVO)
    applicant = CaseApplicant("+393331234567", "393331234567", "IT.1", "Amina", "it")
    return Case(
        case_id,
        office,
        Procedure.RINNOVO,
        "studio",
        applicant,
        Checklist.for_procedure(spec),
        CaseStatus.REGISTERED,
        NOW,
        NOW,
        NOW,
    )


def test_a_case_round_trips_with_its_events(repo: DynamoCaseRepository) -> None:
    stored = repo.add(_case(), [CaseEvent("case_registered", NOW, OFFICER_1, {"permit_type": "studio"})])
    assert stored.version == 1
    loaded = repo.get("AN-AAAA2222")
    assert loaded == stored
    assert [(e.kind, e.actor) for e in repo.events("AN-AAAA2222")] == [("case_registered", OFFICER_1)]
    with pytest.raises(CaseNotFound):
        repo.get("AN-NOPE")


def test_adding_the_same_id_twice_is_refused(repo: DynamoCaseRepository) -> None:
    repo.add(_case(), [])
    with pytest.raises(VersionConflict):
        repo.add(_case(), [])


def test_a_save_from_a_stale_read_is_refused_and_changes_nothing(repo: DynamoCaseRepository) -> None:
    repo.add(_case(), [])
    first, second = repo.get("AN-AAAA2222"), repo.get("AN-AAAA2222")
    repo.save(replace(first, assigned_officer="a"), [CaseEvent("assigned", NOW, officer("a"))])
    with pytest.raises(VersionConflict):
        repo.save(replace(second, assigned_officer="b"), [CaseEvent("assigned", NOW, officer("b"))])
    current = repo.get("AN-AAAA2222")
    assert (current.assigned_officer, current.version) == ("a", 2)
    assert [e.actor.subject for e in repo.events("AN-AAAA2222")] == ["a"]  # the loser's event was not written either


@pytest.mark.usefixtures("serial_dynamodb")
def test_concurrent_saves_never_lose_an_update(repo: DynamoCaseRepository) -> None:
    repo.add(_case(), [])
    barrier, outcomes = Barrier(4), []

    def save(name: str) -> None:
        case = repo.get("AN-AAAA2222")
        barrier.wait()
        try:
            repo.save(replace(case, assigned_officer=name), [])
            outcomes.append(name)
        except VersionConflict:
            outcomes.append("conflict")

    threads = [Thread(target=save, args=(f"o{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if o != "conflict"]
    assert len(winners) == 1 and outcomes.count("conflict") == 3
    assert repo.get("AN-AAAA2222").assigned_officer == winners[0]


def test_listing_uses_the_office_indexes(repo: DynamoCaseRepository) -> None:
    repo.add(_case("AN-AAAA0001"), [])
    repo.add(replace(_case("AN-AAAA0002"), assigned_officer="m.rossi", status_since_ms=NOW - 5), [])
    repo.add(_case("MC-AAAA0003", office="MC"), [])
    assert {c.case_id for c in repo.list("AN", CaseFilter(), 10, None).cases} == {"AN-AAAA0001", "AN-AAAA0002"}
    by_officer = repo.list("AN", CaseFilter(officer="m.rossi"), 10, None).cases
    assert [c.case_id for c in by_officer] == ["AN-AAAA0002"]
    waiting = repo.list("AN", CaseFilter(status=CaseStatus.REGISTERED, waiting_since_ms=NOW - 1), 10, None)
    assert [c.case_id for c in waiting.cases] == ["AN-AAAA0002"]
    code = _case().checklist.missing_codes()[0]
    assert len(repo.list("AN", CaseFilter(missing=code), 10, None).cases) == 2
    assert repo.open_case_for("wa#393331234567") is not None


def test_documents_are_recorded_once(repo: DynamoCaseRepository) -> None:
    repo.add(_case(), [])
    document = CaseDocument(
        "d1",
        "AN-AAAA2222",
        "iscrizione_corso",
        "application/pdf",
        10,
        "ab",
        "k",
        DocumentSource.OFFICE,
        NOW,
        "iscrizione.pdf",
    )
    repo.add_document(document)
    repo.add_document(document)
    assert repo.documents("AN-AAAA2222") == [document]
