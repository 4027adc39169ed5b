"""The secure upload page's use cases: issue a link, open the page, announce an upload, confirm it.

The token is the only credential, so every call starts by resolving it to its one case (:func:`open_link`):
unknown, expired, revoked, over-used or closed-case links stop there with :class:`LinkUnavailable`. Files go
from the browser straight to encrypted storage under a key built here; the confirmation re-reads them and
checks them (present, size, real type, the browser's checksum) before the checklist item becomes ``received``.
Every upload, accepted or refused, is audited and lands on the case's timeline.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from chalicelib.domain.actors import APPLICANT
from chalicelib.domain.audit import AuditAction, AuditEntry
from chalicelib.domain.cases import CaseEvent, EventCause
from chalicelib.domain.checklist import ItemState
from chalicelib.domain.documents import ACCEPTED_CONTENT_TYPES, CaseDocument, DocumentSource
from chalicelib.domain.files import FileProblem, RefusedFile
from chalicelib.domain.upload_links import (
    IssuedLink,
    LinkPurpose,
    LinkState,
    LinkUnavailable,
    issue,
    token_hash,
    well_formed,
)
from chalicelib.domain.uploads import (
    Upload,
    UploadNotFound,
    UploadProblem,
    UploadRefused,
    UploadState,
    new_upload_id,
    well_formed_upload_id,
)
from chalicelib.services.cases.ports import CaseNotFound, VersionConflict
from chalicelib.services.inspection import inspect_file
from chalicelib.services.metrics import NO_METRICS, MetricName

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.domain.cases import Case
    from chalicelib.domain.upload_links import UploadLink
    from chalicelib.services.audit import AuditLog
    from chalicelib.services.cases.ports import CaseRepository
    from chalicelib.services.metrics import Metrics
    from chalicelib.services.uploads.ports import PresignedPost, UploadLinkStore, UploadStorage, UploadStore

APPLICANT_ROLE = "applicant"  # the audit role of uploads made through a link
SAVE_ATTEMPTS = 3  # an officer may change the case while the applicant uploads: reload and apply again
# What the applicant is told of a refused file. A polyglot or a PDF that would run something is "not what it says".
UPLOAD_PROBLEMS = {
    FileProblem.UNKNOWN_TYPE: UploadProblem.WRONG_TYPE,
    FileProblem.MISMATCH: UploadProblem.MISMATCH,
    FileProblem.MALFORMED: UploadProblem.DAMAGED,
    FileProblem.ACTIVE_CONTENT: UploadProblem.MISMATCH,
}


@dataclass(frozen=True, slots=True)
class UploadDeps:
    """What the upload page needs, wired by bootstrap."""

    links: UploadLinkStore
    uploads: UploadStore
    cases: CaseRepository
    storage: UploadStorage
    audit: AuditLog
    clock_ms: Callable[[], int]
    page_url: str  # the page's public address, the token appended (``UPLOAD_PAGE_URL``)
    link_seconds: int = 24 * 60 * 60
    post_seconds: int = 600  # how long one pre-signed POST may be used
    max_uses: int = 100  # page opens and upload calls per link; far above a real applicant's
    max_bytes: int = 10 * 1024 * 1024
    metrics: Metrics = NO_METRICS


@dataclass(frozen=True, slots=True)
class PageItem:
    """A checklist item as the page shows it."""

    code: str
    state: ItemState
    rejection_reason: str | None = None  # a RejectionReason value
    rejection_note: str = ""


@dataclass(frozen=True, slots=True)
class UploadPage:
    """What the page shows: the items still wanted (missing, then refused) and those already received."""

    case_id: str
    language: str
    wanted: tuple[PageItem, ...]
    received: tuple[PageItem, ...]
    expires_at_ms: int
    max_bytes: int
    office: str  # the case's office: the page gives times on its wall clock
    notes: tuple[str, ...] = ()  # what the office wrote with its requests of the items still wanted, latest first


def issue_link(deps: UploadDeps, case: Case, issued_for: LinkPurpose) -> IssuedLink:
    """A new link to ``case``'s page (the token is returned once, here)."""
    now = deps.clock_ms()
    issued = issue(case.case_id, case.office, now, deps.link_seconds, issued_for=issued_for, page_url=deps.page_url)
    deps.links.add(issued.link)
    return issued


def open_link(deps: UploadDeps, token: str) -> tuple[UploadLink, Case]:
    """The link and its case, counting one use; :class:`LinkUnavailable` when it does not open the page."""
    if not well_formed(token):
        raise LinkUnavailable(None)
    link = deps.links.use(token_hash(token))
    if link is None:
        raise LinkUnavailable(None)
    try:
        case = deps.cases.get(link.case_id)
    except CaseNotFound:
        raise LinkUnavailable(None, office=link.office) from None
    state = link.state(deps.clock_ms(), deps.max_uses)
    if state is LinkState.ACTIVE and not case.is_open:
        state = LinkState.CASE_CLOSED
    if state is not LinkState.ACTIVE:
        raise LinkUnavailable(state, case.applicant.language, link.office)
    return link, case


def wanted_items(case: Case) -> tuple[PageItem, ...]:
    """What the office is waiting for: the missing items it asked for (before any request, everything missing),
    then the refused ones with their reason."""
    checklist = case.checklist
    missing = [c for c in checklist.missing_codes() if checklist.item(c).state is ItemState.MISSING]
    requested = [c for c in missing if checklist.item(c).requested_at_ms is not None]
    asked = requested if any(i.requested_at_ms is not None for i in checklist.items) else missing
    wanted = [PageItem(code, ItemState.MISSING) for code in asked]
    for item in checklist.items:
        if item.outstanding and item.state is ItemState.REJECTED:
            reason = item.rejection.reason.value if item.rejection else None
            note = item.rejection.note if item.rejection else ""
            wanted.append(PageItem(item.code, ItemState.REJECTED, reason, note))
    return tuple(wanted)


def page_of(case: Case, link: UploadLink, max_bytes: int) -> UploadPage:
    """What the page shows for ``case``."""
    received = tuple(
        PageItem(i.code, i.state) for i in case.checklist.items if i.state in (ItemState.RECEIVED, ItemState.ACCEPTED)
    )
    return UploadPage(
        case.case_id,
        case.applicant.language,
        wanted_items(case),
        received,
        link.expires_at_ms,
        max_bytes,
        office=case.office,
    )


def request_notes(case: Case) -> tuple[str, ...]:
    """The notes officers wrote with the requests of items still wanted, latest first: outside the 24-hour
    window the request goes as a template whose wording is fixed, so the page is where the note is read."""
    wanted = {item.code for item in wanted_items(case)}
    asked = sorted(
        (item for item in case.checklist.items if item.code in wanted and item.request_note),
        key=lambda item: item.requested_at_ms or 0,
        reverse=True,
    )
    return tuple(dict.fromkeys(str(item.request_note) for item in asked))


def open_page(deps: UploadDeps, token: str) -> UploadPage:
    """``GET /u/{token}``."""
    link, case = open_link(deps, token)
    page = page_of(case, link, deps.max_bytes)
    return replace(page, notes=request_notes(case)) if page.wanted else page


def _wanted(case: Case, code: str) -> bool:
    return any(item.code == code for item in wanted_items(case))


def start_upload(
    deps: UploadDeps, token: str, item_code: str, content_type: str, size_bytes: int
) -> tuple[Upload, PresignedPost]:
    """Announce a file for ``item_code``: its record, and the form that lets the browser put it in storage."""
    link, case = open_link(deps, token)
    if content_type not in ACCEPTED_CONTENT_TYPES:
        raise UploadRefused(UploadProblem.WRONG_TYPE)
    if size_bytes <= 0:
        raise UploadRefused(UploadProblem.EMPTY)
    if size_bytes > deps.max_bytes:
        raise UploadRefused(UploadProblem.TOO_LARGE)
    if not _wanted(case, item_code):
        raise UploadRefused(UploadProblem.NOT_WANTED)
    upload = Upload(new_upload_id(), case.case_id, link.link_id, item_code, content_type, size_bytes, deps.clock_ms())
    deps.uploads.add(upload)
    form = deps.storage.presigned_post(upload.staging_key, content_type, deps.max_bytes, deps.post_seconds)
    return upload, form


def confirm_upload(deps: UploadDeps, token: str, upload_id: str, sha256_hex: str) -> tuple[Upload, UploadPage]:
    """Check the stored file and make it the item's document; idempotent for an upload already received."""
    link, case = open_link(deps, token)
    upload = deps.uploads.get(case.case_id, upload_id) if well_formed_upload_id(upload_id) else None
    if upload is None:
        raise UploadNotFound(upload_id)
    if upload.state is UploadState.RECEIVED:
        return upload, page_of(case, link, deps.max_bytes)
    if upload.state is UploadState.REFUSED:
        raise UploadRefused(upload.problem or UploadProblem.DAMAGED)
    body = deps.storage.fetch(upload.staging_key, deps.max_bytes)
    if body is None:
        # Not recorded as refused: the browser may confirm again once its upload has really finished.
        raise UploadRefused(UploadProblem.NOT_RECEIVED)
    # A confirmation that stopped after attaching the document (and is now retried) finds the item holding it.
    attached = any(i.code == upload.item_code and i.document_id == upload.upload_id for i in case.checklist.items)
    try:
        cleaned = _checked(upload, body, sha256_hex, deps.max_bytes)
        if not attached and not _wanted(case, upload.item_code):
            raise UploadRefused(UploadProblem.NOT_WANTED)
    except UploadRefused as refused:
        _refuse(deps, upload, case.office, refused.problem)
        raise
    received, saved = _receive(deps, case, upload, cleaned)
    return received, page_of(saved, link, deps.max_bytes)


def _checked(upload: Upload, body: bytes, sha256_hex: str, max_bytes: int) -> bytes:
    """The file without location metadata, if it is what was announced; else :class:`UploadRefused`."""
    if not body:
        raise UploadRefused(UploadProblem.EMPTY)
    if len(body) > max_bytes:
        raise UploadRefused(UploadProblem.TOO_LARGE)
    if len(body) != upload.size_bytes:  # the browser announced its file's exact size
        raise UploadRefused(UploadProblem.MISMATCH)
    try:
        inspected = inspect_file(body, upload.content_type)
    except RefusedFile as refused:
        raise UploadRefused(UPLOAD_PROBLEMS[refused.problem]) from None
    if hashlib.sha256(body).hexdigest() != sha256_hex.strip().lower():
        raise UploadRefused(UploadProblem.DAMAGED)
    return inspected.body  # location metadata already stripped, as on every path that stores a file


def upload_cause(upload: Upload) -> EventCause:
    """The cause of an upload's timeline lines: the upload, at the time it was announced (the same on every retry
    of its confirmation)."""
    return EventCause(f"upload.{upload.upload_id}", upload.created_at_ms)


def _refuse(deps: UploadDeps, upload: Upload, office: str, problem: UploadProblem) -> None:
    # The line first, named by the upload (a confirmation retried after a crash here writes it once), then the
    # refusal, then the file: a retry finds the upload refused, or the file still there to refuse again.
    line = CaseEvent("document_refused", deps.clock_ms(), APPLICANT, {"reason": problem.value, "source": "upload"})
    deps.cases.add_events(upload.case_id, upload_cause(upload).identify([line]))
    deps.uploads.save(replace(upload, state=UploadState.REFUSED, problem=problem))
    deps.storage.delete(upload.staging_key)  # nothing of a refused file is kept
    _audit(deps, upload, office, "refused", problem=problem.value)


def _receive(deps: UploadDeps, case: Case, upload: Upload, body: bytes) -> tuple[Upload, Case]:
    now = deps.clock_ms()
    document_id = upload.upload_id
    key = f"cases/{case.case_id}/documents/{document_id}"
    deps.storage.put(key, body, upload.content_type)
    document = CaseDocument(
        document_id,
        case.case_id,
        upload.item_code,
        upload.content_type,
        len(body),
        hashlib.sha256(body).hexdigest(),
        key,
        DocumentSource.UPLOAD,
        now,
    )
    try:
        saved = _attach(deps, case, document, now)
    except VersionConflict:
        # Nothing was recorded (unless a twin confirmation of this upload just was): the stored file would be an
        # orphan. The staging file stays, for the browser to confirm again.
        if all(i.document_id != document_id for i in deps.cases.get(case.case_id).checklist.items):
            deps.storage.delete(key)
        raise
    received = replace(upload, state=UploadState.RECEIVED, document_id=document_id, size_bytes=len(body))
    deps.uploads.save(received)
    deps.storage.delete(upload.staging_key)
    _audit(deps, received, case.office, "received", document_id=document_id)
    deps.metrics.count(MetricName.DOCUMENTS_RECEIVED)
    return received, saved


def _attach(deps: UploadDeps, case: Case, document: CaseDocument, now: int) -> Case:
    """Make ``document`` the item's document, its record written in the case's save (a conflict records nothing);
    the case as saved (reloaded only when an officer changed it)."""
    code, document_id = document.item_code, document.document_id
    for _ in range(SAVE_ATTEMPTS):
        if case.checklist.item(code).document_id == document_id:
            return case  # a retried confirmation
        updated, events = case.with_checklist(case.checklist.receive(code, document_id, now), now, APPLICANT)
        data = {"item": code, "document_id": document_id, "source": "upload"}
        events.append(CaseEvent("document_received", now, APPLICANT, data))
        try:
            return deps.cases.save(updated, events, documents=[document])
        except VersionConflict:
            case = deps.cases.get(case.case_id)
    raise VersionConflict(f"case {case.case_id} kept changing")


def _audit(deps: UploadDeps, upload: Upload, office: str, outcome: str, **detail: str) -> None:
    deps.audit.append(
        AuditEntry(
            deps.clock_ms(),
            f"link:{upload.link_id}",
            APPLICANT_ROLE,
            office,
            AuditAction.DOCUMENT_UPLOAD,
            upload.case_id,
            {
                "item": upload.item_code,
                "upload_id": upload.upload_id,
                "link_id": upload.link_id,
                "outcome": outcome,
                **detail,
            },
        )
    )
