"""The upload page's use cases on moto: links (hash only, expiry, revocation, uses, closed cases, cross-case),
pre-signed forms bound to one key, and the checks a confirmed file must pass before its item is received."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib.auth import Officer, Role
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.cases import CaseApplicant, CloseReason
from chalicelib.domain.catalogue import Procedure
from chalicelib.domain.checklist import ItemState, Rejection, RejectionReason
from chalicelib.domain.upload_links import LinkPurpose, LinkState, LinkUnavailable, token_hash
from chalicelib.domain.uploads import UploadNotFound, UploadProblem, UploadRefused, UploadState
from chalicelib.services.cases import actions as case_actions
from chalicelib.services.cases.ports import CaseNotFound
from chalicelib.services.cases.registry import RegisterCase, register_case
from chalicelib.services.uploads import link_admin as upload_link_admin
from chalicelib.services.uploads import page as pages
from tests import documents
from tests.unit.test_photo_metadata import _app1, _exif, _jpeg, _latitude

if TYPE_CHECKING:
    from chalicelib.bootstrap import Container
    from chalicelib.services.uploads.page import UploadDeps

OFFICER = Officer("sub-off-an", "an.officer", "AN", Role.OFFICER)
OTHER_OFFICE = Officer("sub-off-mc", "mc.officer", "MC", Role.OFFICER)
PDF = documents.pdf(version="1.4")
PNG = documents.png()


class Clock:
    """A settable clock in milliseconds."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


@pytest.fixture
def clock(container: Container) -> Clock:
    return Clock(container.upload_deps.clock_ms())


@pytest.fixture
def deps(container: Container, clock: Clock) -> UploadDeps:
    return replace(container.upload_deps, clock_ms=clock, max_uses=20, max_bytes=64 * 1024)


def _case(container: Container, language: str = "en", phone: str = "+393331112222") -> str:
    applicant = CaseApplicant(phone, phone.lstrip("+"), None, "Amina", language)
    command = RegisterCase(Procedure.RINNOVO, "studio", applicant)
    case, _ = register_case(container.case_deps, OFFICER, command)
    return case.case_id


def _requested(container: Container, case_id: str, count: int = 2) -> list[str]:
    codes = list(container.cases.get(case_id).checklist.missing_codes()[:count])
    case_actions.request_documents(container.case_deps, OFFICER, case_id, codes, "")
    return codes


def _link(deps: UploadDeps, container: Container, case_id: str) -> str:
    return pages.issue_link(deps, container.cases.get(case_id), LinkPurpose.CHAT).token


def _uploaded(deps: UploadDeps, token: str, item: str, body: bytes, content_type: str) -> str:
    """Announce a file and put it where the form says, as the browser would."""
    upload, form = pages.start_upload(deps, token, item, content_type, len(body))
    deps.storage.put(form.fields["key"], body, content_type)
    return upload.upload_id


def _sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _table_items(container: Container) -> list[dict[str, Any]]:
    client = container.client("dynamodb")
    items: list[dict[str, Any]] = client.scan(TableName=container.settings.upload_links_table)["Items"]
    return items


# ----- links


def test_only_the_hash_of_a_token_is_stored(container: Container, deps: UploadDeps) -> None:
    case_id = _case(container)
    token = _link(deps, container, case_id)
    stored = json.dumps(_table_items(container))
    assert token not in stored
    assert token_hash(token) in stored


def test_a_link_opens_its_own_case_and_counts_each_use(container: Container, deps: UploadDeps) -> None:
    case_id = _case(container)
    codes = _requested(container, case_id)
    token = _link(deps, container, case_id)
    page = pages.open_page(deps, token)
    assert (page.case_id, page.language) == (case_id, "en")
    assert [item.code for item in page.wanted] == codes  # what the office asked for, not the whole checklist
    pages.open_page(deps, token)
    (link,) = [link for link in deps.links.for_case(case_id) if link.issued_for is LinkPurpose.CHAT]
    assert link.uses == 2


def test_an_expired_link_says_so_in_the_applicants_language(
    container: Container, deps: UploadDeps, clock: Clock
) -> None:
    token = _link(deps, container, _case(container, language="ar"))
    clock.now_ms += deps.link_seconds * 1000
    with pytest.raises(LinkUnavailable) as raised:
        pages.open_page(deps, token)
    assert (raised.value.state, raised.value.language) == (LinkState.EXPIRED, "ar")


def test_unknown_and_malformed_tokens_are_unknown_and_create_nothing(container: Container, deps: UploadDeps) -> None:
    for token in ("A" * 43, "short", "A" * 42 + "/"):
        with pytest.raises(LinkUnavailable) as raised:
            pages.open_page(deps, token)
        assert (raised.value.state, raised.value.language) == (None, None)
    assert _table_items(container) == []  # counting a use never creates an item for an unknown hash


def test_an_officer_revokes_links_and_they_stop_working_at_once(container: Container, deps: UploadDeps) -> None:
    case_id = _case(container)
    first, second = _link(deps, container, case_id), _link(deps, container, case_id)
    views = upload_link_admin.list_links(deps, OFFICER, case_id)
    assert {v.state for v in views} == {LinkState.ACTIVE}
    assert [v.link.created_at_ms for v in views] == sorted((v.link.created_at_ms for v in views), reverse=True)
    second_id = next(v.link.link_id for v in views if v.link.token_hash == token_hash(second))
    upload_link_admin.revoke(deps, OFFICER, case_id, second_id)
    with pytest.raises(LinkUnavailable) as raised:
        pages.open_page(deps, second)
    assert raised.value.state is LinkState.REVOKED
    pages.open_page(deps, first)
    upload_link_admin.revoke(deps, OFFICER, case_id, None)
    with pytest.raises(LinkUnavailable):
        pages.open_page(deps, first)
    actions = [e.action for e in container.audit.list("AN", 0, 2**62, 50, None).entries]
    assert actions.count(AuditAction.UPLOAD_LINK_REVOKE) == 2 and AuditAction.UPLOAD_LINKS_VIEW in actions


def test_another_offices_officer_cannot_see_or_revoke_links(container: Container, deps: UploadDeps) -> None:
    case_id = _case(container)
    _link(deps, container, case_id)
    with pytest.raises(CaseNotFound):
        upload_link_admin.list_links(deps, OTHER_OFFICE, case_id)
    with pytest.raises(CaseNotFound):
        upload_link_admin.revoke(deps, OTHER_OFFICE, case_id, None)


def test_a_link_used_too_often_is_blocked(container: Container, deps: UploadDeps) -> None:
    token = _link(deps, container, _case(container))
    for _ in range(deps.max_uses):
        pages.open_page(deps, token)
    with pytest.raises(LinkUnavailable) as raised:
        pages.open_page(deps, token)
    assert raised.value.state is LinkState.EXHAUSTED


def test_a_closed_case_has_nothing_more_to_upload(container: Container, deps: UploadDeps) -> None:
    case_id = _case(container)
    token = _link(deps, container, case_id)
    case_actions.close(container.case_deps, OFFICER, case_id, CloseReason.WITHDRAWN, "")
    with pytest.raises(LinkUnavailable) as raised:
        pages.open_page(deps, token)
    assert raised.value.state is LinkState.CASE_CLOSED


# ----- uploads


def test_the_form_allows_exactly_one_key_under_the_case_one_type_and_the_size_cap(
    container: Container, deps: UploadDeps
) -> None:
    case_id = _case(container)
    code = _requested(container, case_id, 1)[0]
    upload, form = pages.start_upload(deps, _link(deps, container, case_id), code, "application/pdf", 1000)
    assert form.fields["key"] == f"uploads/{case_id}/{upload.upload_id}"
    import base64

    policy = json.loads(base64.b64decode(form.fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": form.fields["key"]} in conditions  # exact key: no starts-with, so no other key can be written
    assert {"Content-Type": "application/pdf"} in conditions
    assert ["content-length-range", 1, deps.max_bytes] in conditions
    assert {"x-amz-server-side-encryption": "aws:kms"} in conditions


def test_a_pdf_becomes_the_items_document(container: Container, deps: UploadDeps) -> None:
    case_id = _case(container)
    code = _requested(container, case_id, 1)[0]
    token = _link(deps, container, case_id)
    upload_id = _uploaded(deps, token, code, PDF, "application/pdf")
    upload, page = pages.confirm_upload(deps, token, upload_id, _sha(PDF))
    assert upload.state is UploadState.RECEIVED and code in [i.code for i in page.received]
    case = container.cases.get(case_id)
    assert case.checklist.item(code).state is ItemState.RECEIVED
    (document,) = container.cases.documents(case_id)
    assert (document.source.value, document.sha256, document.item_code) == ("upload", _sha(PDF), code)
    assert document.storage_key == f"cases/{case_id}/documents/{upload_id}"
    assert deps.storage.fetch(document.storage_key, deps.max_bytes) == PDF
    assert deps.storage.fetch(f"uploads/{case_id}/{upload_id}", deps.max_bytes) is None  # staging copy gone
    again, _ = pages.confirm_upload(deps, token, upload_id, _sha(PDF))  # a retried confirmation: same answer
    assert again == upload and len(container.cases.documents(case_id)) == 1
    entries = container.audit.list("AN", 0, 2**62, 50, None).entries
    uploads = [e for e in entries if e.action is AuditAction.DOCUMENT_UPLOAD]
    assert len(uploads) == 1 and uploads[0].detail["outcome"] == "received"
    assert uploads[0].actor.startswith("link:") and uploads[0].actor_role == "applicant"


def test_a_photos_location_is_stripped_and_its_orientation_kept(container: Container, deps: UploadDeps) -> None:
    case_id = _case(container)
    code = _requested(container, case_id, 1)[0]
    token = _link(deps, container, case_id)
    photo = _jpeg(_app1(_exif(b"II", 6)))
    assert _latitude(b"II") in photo
    upload_id = _uploaded(deps, token, code, photo, "image/jpeg")
    pages.confirm_upload(deps, token, upload_id, _sha(photo))
    (document,) = container.cases.documents(case_id)
    stored = deps.storage.fetch(document.storage_key, deps.max_bytes)
    assert stored is not None and stored.startswith(b"\xff\xd8")
    assert _latitude(b"II") not in stored and b"PhoneMaker" not in stored
    assert b"Exif\x00\x00" in stored  # the orientation survives, in a fresh minimal EXIF
    assert document.sha256 == _sha(stored)


@pytest.mark.parametrize(
    ("declared", "body", "announced", "digest", "problem"),
    [
        ("application/pdf", _jpeg(), None, None, UploadProblem.MISMATCH),  # a JPEG announced as a PDF
        ("image/jpeg", PNG, None, None, UploadProblem.MISMATCH),
        ("application/pdf", PDF, len(PDF) + 1, None, UploadProblem.MISMATCH),  # not the size announced
        ("application/pdf", b"MZ\x90\x00 an executable", None, None, UploadProblem.WRONG_TYPE),
        ("application/pdf", PDF, None, "0" * 64, UploadProblem.DAMAGED),
        ("image/jpeg", b"\xff\xd8\xff\xe1\x00", None, None, UploadProblem.DAMAGED),  # a JPEG cut short
        ("application/pdf", b"%PDF-" + bytes(64 * 1024), 100, None, UploadProblem.TOO_LARGE),  # over the cap
    ],
)
def test_a_file_that_is_not_what_was_announced_is_refused_and_deleted(
    container: Container,
    deps: UploadDeps,
    declared: str,
    body: bytes,
    announced: int | None,
    digest: str | None,
    problem: UploadProblem,
) -> None:
    case_id = _case(container)
    code = _requested(container, case_id, 1)[0]
    token = _link(deps, container, case_id)
    upload, form = pages.start_upload(deps, token, code, declared, announced or len(body))
    deps.storage.put(form.fields["key"], body, declared)
    with pytest.raises(UploadRefused) as raised:
        pages.confirm_upload(deps, token, upload.upload_id, digest or _sha(body))
    assert raised.value.problem is problem
    assert deps.storage.fetch(form.fields["key"], deps.max_bytes) is None
    assert container.cases.get(case_id).checklist.item(code).state is ItemState.MISSING
    assert container.cases.documents(case_id) == []
    with pytest.raises(UploadRefused):  # refused for good: a second confirmation cannot turn it into a document
        pages.confirm_upload(deps, token, upload.upload_id, digest or _sha(body))
    assert "document_refused" in [e.kind for e in container.cases.events(case_id)]


def test_a_confirmation_before_the_file_arrives_can_be_repeated(container: Container, deps: UploadDeps) -> None:
    case_id = _case(container)
    code = _requested(container, case_id, 1)[0]
    token = _link(deps, container, case_id)
    upload, form = pages.start_upload(deps, token, code, "application/pdf", len(PDF))
    with pytest.raises(UploadRefused) as raised:
        pages.confirm_upload(deps, token, upload.upload_id, _sha(PDF))
    assert raised.value.problem is UploadProblem.NOT_RECEIVED
    deps.storage.put(form.fields["key"], PDF, "application/pdf")
    received, _ = pages.confirm_upload(deps, token, upload.upload_id, _sha(PDF))
    assert received.state is UploadState.RECEIVED


@pytest.mark.parametrize(
    ("content_type", "size", "problem"),
    [
        ("image/gif", 100, UploadProblem.WRONG_TYPE),
        ("application/pdf", 0, UploadProblem.EMPTY),
        ("application/pdf", 64 * 1024 + 1, UploadProblem.TOO_LARGE),
    ],
)
def test_announcements_outside_the_rules_get_no_form(
    container: Container, deps: UploadDeps, content_type: str, size: int, problem: UploadProblem
) -> None:
    case_id = _case(container)
    code = _requested(container, case_id, 1)[0]
    with pytest.raises(UploadRefused) as raised:
        pages.start_upload(deps, _link(deps, container, case_id), code, content_type, size)
    assert raised.value.problem is problem


def test_only_items_the_office_is_waiting_for_can_be_uploaded(container: Container, deps: UploadDeps) -> None:
    case_id = _case(container)
    requested = _requested(container, case_id, 1)
    other = next(c for c in container.cases.get(case_id).checklist.missing_codes() if c not in requested)
    token = _link(deps, container, case_id)
    for code in (other, "no_such_item"):
        with pytest.raises(UploadRefused) as raised:
            pages.start_upload(deps, token, code, "application/pdf", 10)
        assert raised.value.problem is UploadProblem.NOT_WANTED


def test_a_rejected_document_is_wanted_again_with_its_reason(container: Container, deps: UploadDeps) -> None:
    case_id = _case(container)
    code = _requested(container, case_id, 1)[0]
    token = _link(deps, container, case_id)
    upload_id = _uploaded(deps, token, code, PDF, "application/pdf")
    pages.confirm_upload(deps, token, upload_id, _sha(PDF))
    rejection = Rejection(RejectionReason.ILLEGIBLE, "the stamp cannot be read")
    case_actions.review_document(container.case_deps, OFFICER, case_id, upload_id, rejection)
    (item,) = pages.open_page(deps, token).wanted
    assert (item.code, item.state, item.rejection_reason) == (code, ItemState.REJECTED, "illegible")
    assert item.rejection_note == "the stamp cannot be read"
    again = _uploaded(deps, token, code, PDF + b"%", "application/pdf")
    pages.confirm_upload(deps, token, again, _sha(PDF + b"%"))
    assert container.cases.get(case_id).checklist.item(code).document_id == again


def test_a_token_never_reaches_another_case(container: Container, deps: UploadDeps) -> None:
    mine, theirs = _case(container), _case(container, phone="+393339998888")
    code = _requested(container, mine, 1)[0]
    _requested(container, theirs, 1)
    my_token, their_token = _link(deps, container, mine), _link(deps, container, theirs)
    their_upload = _uploaded(deps, their_token, code, PDF, "application/pdf")
    with pytest.raises(UploadNotFound):  # another case's upload id is simply unknown under my link
        pages.confirm_upload(deps, my_token, their_upload, _sha(PDF))
    upload, form = pages.start_upload(deps, my_token, code, "application/pdf", len(PDF))
    assert form.fields["key"].startswith(f"uploads/{mine}/") and upload.case_id == mine
    assert container.cases.get(theirs).checklist.item(code).state is ItemState.MISSING


def test_a_confirmation_that_stopped_half_way_completes_when_retried(container: Container, deps: UploadDeps) -> None:
    case_id = _case(container)
    code = _requested(container, case_id, 1)[0]
    token = _link(deps, container, case_id)
    upload_id = _uploaded(deps, token, code, PDF, "application/pdf")

    class Crash(Exception):
        pass

    def crash(_: object) -> None:
        raise Crash

    broken = replace(deps, uploads=_Failing(deps.uploads, crash))  # dies after the item got its document
    with pytest.raises(Crash):
        pages.confirm_upload(broken, token, upload_id, _sha(PDF))
    assert container.cases.get(case_id).checklist.item(code).document_id == upload_id
    upload, page = pages.confirm_upload(deps, token, upload_id, _sha(PDF))  # the browser asks again
    assert upload.state is UploadState.RECEIVED and [i.code for i in page.received] == [code]
    assert len(container.cases.documents(case_id)) == 1
    assert deps.storage.fetch(f"uploads/{case_id}/{upload_id}", deps.max_bytes) is None


class _Failing:
    """An upload store whose ``save`` fails (the others pass through)."""

    def __init__(self, inner: Any, fail: Any) -> None:
        self._inner, self._fail = inner, fail

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def save(self, upload: Any) -> None:
        self._fail(upload)
