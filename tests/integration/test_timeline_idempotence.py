"""Timeline lines stored once, and no orphans when a case save conflicts (on moto): lines named by their cause,
officers' attachments and the upload page's confirmations."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib.adapters.dynamo.case_models import CaseRecordModel
from chalicelib.auth import Officer, Role
from chalicelib.domain.actors import APPLICANT
from chalicelib.domain.cases import CaseApplicant, CaseEvent, EventCause
from chalicelib.domain.catalogue import Procedure
from chalicelib.domain.upload_links import LinkPurpose
from chalicelib.domain.uploads import UploadProblem, UploadRefused, UploadState
from chalicelib.services.cases import actions as case_actions
from chalicelib.services.cases.ports import VersionConflict
from chalicelib.services.cases.registry import RegisterCase, register_case
from chalicelib.services.uploads import page as pages
from tests import documents

if TYPE_CHECKING:
    from chalicelib.bootstrap import Container
    from chalicelib.services.uploads.page import UploadDeps

OFFICER = Officer("sub-off-an", "an.officer", "AN", Role.OFFICER)
PDF = documents.pdf(version="1.4")
PNG = documents.png()
CAUSE = EventCause("in.0123456789abcdef01234567", 1_764_100_000_123)


def _case(container: Container) -> str:
    applicant = CaseApplicant("+393331112222", "393331112222", None, "Amina", "en")
    case, _ = register_case(container.case_deps, OFFICER, RegisterCase(Procedure.RINNOVO, "studio", applicant))
    return case.case_id


def _lines(case_id: str, kind: str) -> list[CaseRecordModel]:
    return [r for r in CaseRecordModel.query(case_id, CaseRecordModel.record_id.startswith("event#")) if r.kind == kind]


def _files(container: Container, case_id: str) -> list[str]:
    listed = container.client("s3").list_objects_v2(
        Bucket=container.settings.media_bucket, Prefix=f"cases/{case_id}/documents/"
    )
    return [str(o["Key"]) for o in listed.get("Contents", [])]


class Racing:
    """The case repository, with a colleague's save landing just before each of ours (``times`` of them)."""

    def __init__(self, inner: Any, times: int = 1) -> None:
        self.inner, self.times = inner, times

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def save(self, case: Any, events: Any, *args: Any, **kwargs: Any) -> Any:
        if self.times:
            self.times -= 1
            self.inner.save(self.inner.get(case.case_id), [])  # bumps the version ours was read at
        return self.inner.save(case, events, *args, **kwargs)


def test_a_line_named_by_its_cause_is_stored_once_and_one_without_a_cause_each_time(container: Container) -> None:
    case_id = _case(container)
    named = CAUSE.identify([CaseEvent("document_refused", 1, APPLICANT, {"reason": "wrong_type"})])
    container.cases.add_events(case_id, named)
    container.cases.add_events(case_id, named)  # the same message, delivered again
    [line] = _lines(case_id, "document_refused")
    assert line.event_id == "in.0123456789abcdef01234567.document_refused" and int(line.at) == CAUSE.at_ms
    assert [e.event_id for e in container.cases.events(case_id) if e.kind == "document_refused"] == [line.event_id]

    note = CaseEvent("note", 2, APPLICANT, {"text": "x"})
    container.cases.add_events(case_id, [note])
    container.cases.add_events(case_id, [note])
    assert len(_lines(case_id, "note")) == 2


def test_a_save_carrying_a_line_already_stored_writes_nothing_and_returns_the_case_as_stored(
    container: Container,
) -> None:
    case_id = _case(container)
    case = container.cases.get(case_id)
    line = CaseEvent("document_assigned", 5, APPLICANT, {"item": "passaporto"})
    saved = container.cases.save(replace(case, pratica_number="A1"), CAUSE.identify([line]))
    assert saved.version == case.version + 1

    again = container.cases.get(case_id)  # a redelivery reads the case afresh and makes the same change
    replayed = container.cases.save(replace(again, pratica_number="A2"), CAUSE.identify([line]))
    assert replayed == container.cases.get(case_id) == saved  # nothing written: the first save stands
    assert len(_lines(case_id, "document_assigned")) == 1


def test_an_attachment_whose_save_conflicts_leaves_no_record_no_file_and_no_line(container: Container) -> None:
    case_id = _case(container)
    code = container.cases.get(case_id).checklist.missing_codes()[0]
    racing = replace(container.case_deps, cases=Racing(container.cases))
    with pytest.raises(VersionConflict):
        case_actions.attach_document(
            racing, OFFICER, case_id, item_code=code, body=PDF, content_type="application/pdf", filename="a.pdf"
        )
    assert container.cases.documents(case_id) == []
    assert _files(container, case_id) == []
    assert _lines(case_id, "document_received") == []
    assert container.cases.get(case_id).checklist.item(code).document_id is None

    # Tried again, it is attached once: one record, one file, one line.
    (result, document) = case_actions.attach_document(
        container.case_deps, OFFICER, case_id, item_code=code, body=PDF, content_type="application/pdf", filename=None
    )
    assert result.case.checklist.item(code).document_id == document.document_id
    assert [d.document_id for d in container.cases.documents(case_id)] == [document.document_id]
    assert _files(container, case_id) == [document.storage_key]
    assert len(_lines(case_id, "document_received")) == 1


def _upload(container: Container, deps: UploadDeps, case_id: str, body: bytes, content_type: str) -> tuple[str, str]:
    code = container.cases.get(case_id).checklist.missing_codes()[0]
    token = pages.issue_link(deps, container.cases.get(case_id), LinkPurpose.CHAT).token
    upload, form = pages.start_upload(deps, token, code, content_type, len(body))
    deps.storage.put(form.fields["key"], body, content_type)
    return token, upload.upload_id


def test_an_upload_whose_save_keeps_conflicting_leaves_no_record_and_no_file_and_confirms_once_later(
    container: Container,
) -> None:
    case_id = _case(container)
    deps = container.upload_deps
    token, upload_id = _upload(container, deps, case_id, PDF, "application/pdf")
    sha = hashlib.sha256(PDF).hexdigest()
    racing = replace(deps, cases=Racing(container.cases, times=pages.SAVE_ATTEMPTS))
    with pytest.raises(VersionConflict):
        pages.confirm_upload(racing, token, upload_id, sha)
    assert container.cases.documents(case_id) == []
    assert _files(container, case_id) == []
    assert deps.storage.fetch(f"uploads/{case_id}/{upload_id}", deps.max_bytes) == PDF  # kept for a retry

    upload, _ = pages.confirm_upload(deps, token, upload_id, sha)  # the browser confirms again
    assert upload.state is UploadState.RECEIVED
    assert [d.document_id for d in container.cases.documents(case_id)] == [upload_id]
    assert _files(container, case_id) == [f"cases/{case_id}/documents/{upload_id}"]
    assert len(_lines(case_id, "document_received")) == 1


class _Crashing:
    """An upload store whose first ``save`` dies (the others pass through)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.crashed = inner, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def save(self, upload: Any) -> None:
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("the function stopped here")
        self.inner.save(upload)


def test_a_refusal_that_stopped_half_way_and_is_confirmed_again_writes_its_line_once(container: Container) -> None:
    case_id = _case(container)
    deps = container.upload_deps
    token, upload_id = _upload(container, deps, case_id, PNG, "application/pdf")  # not what was announced
    sha = hashlib.sha256(PNG).hexdigest()
    with pytest.raises(RuntimeError):
        pages.confirm_upload(replace(deps, uploads=_Crashing(deps.uploads)), token, upload_id, sha)
    with pytest.raises(UploadRefused) as refused:
        pages.confirm_upload(deps, token, upload_id, sha)  # the browser confirms again
    assert refused.value.problem is UploadProblem.MISMATCH
    assert len(_lines(case_id, "document_refused")) == 1
    assert deps.storage.fetch(f"uploads/{case_id}/{upload_id}", deps.max_bytes) is None  # nothing of it is kept
