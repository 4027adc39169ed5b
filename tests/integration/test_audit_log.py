"""The audit log on DynamoDB (moto): append-only, newest first, office-scoped cursors, time windows."""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from pynamodb.exceptions import PutError

from chalicelib.adapters.api_secret import CursorKeyProvider
from chalicelib.adapters.dynamo.audit import AuditWriteConflict, DynamoAuditLog, entry_id
from chalicelib.adapters.dynamo.models import AuditModel, bind_models
from chalicelib.auth import Officer, Role
from chalicelib.domain.audit import AuditAction, AuditEntry
from chalicelib.domain.retention import DAY_MS, RetentionPolicy
from chalicelib.services.audit import AuditQuery, InvalidAuditQuery, read_audit_log
from chalicelib.services.pagination import InvalidCursor
from chalicelib.settings import ConfigurationError, get_settings
from devtools.local_aws import load_template

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

T0 = 1_764_100_000_000
SECRET = b"audit-cursor-secret-for-tests"
SUPERVISOR = Officer("sub-sup-an", "an.supervisor", "AN", Role.SUPERVISOR)
OFFICER = Officer("sub-off-an", "an.officer", "AN", Role.OFFICER)


def _entry(at_ms: int, office: str = "AN", action: AuditAction = AuditAction.CASE_VIEW, **detail: str) -> AuditEntry:
    return AuditEntry(at_ms, f"sub-{office}", "officer", office, action, f"{office}-{at_ms}", detail)


@pytest.fixture
def audit_log(aws: None) -> DynamoAuditLog:
    bind_models(get_settings())
    return DynamoAuditLog(lambda: SECRET)


def _all(log: DynamoAuditLog, office: str, limit: int, since: int = 0, until: int = T0 * 2) -> list[list[AuditEntry]]:
    """Every page of a listing, following the cursors."""
    pages, cursor = [], None
    while True:
        page = log.list(office, since, until, limit, cursor)
        pages.append(list(page.entries))
        cursor = page.next_cursor
        if cursor is None:
            return pages


def test_entries_are_listed_newest_first_within_their_office(audit_log: DynamoAuditLog) -> None:
    audit_log.append(_entry(T0, action=AuditAction.CASE_REGISTER, permit_type="lavoro_subordinato"))
    audit_log.append(_entry(T0 + 5, action=AuditAction.DOCUMENT_REVIEW, document_id="d-1", decision="accepted"))
    audit_log.append(_entry(T0 + 5, action=AuditAction.CASE_VIEW))  # same millisecond: both kept
    audit_log.append(_entry(T0 + 9, office="MC"))
    audit_log.append(AuditEntry(T0 + 7, "sub-sup", "supervisor", "AN", AuditAction.CASE_LIST, None, {"count": "3"}))

    page = audit_log.list("AN", 0, T0 * 2, 10, None)
    assert [e.at_ms for e in page.entries] == [T0 + 7, T0 + 5, T0 + 5, T0]
    assert page.next_cursor is None
    assert {e.office for e in page.entries} == {"AN"}
    listed = page.entries[0]
    assert (listed.actor, listed.actor_role, listed.action, listed.case_id) == (
        "sub-sup",
        "supervisor",
        AuditAction.CASE_LIST,
        None,
    )
    assert dict(listed.detail) == {"count": "3"}
    registered = page.entries[-1]
    assert registered == _entry(T0, action=AuditAction.CASE_REGISTER, permit_type="lavoro_subordinato")


def test_pages_follow_cursors_without_gaps_or_repeats(audit_log: DynamoAuditLog) -> None:
    for i in range(7):
        audit_log.append(_entry(T0 + i))
    pages = _all(audit_log, "AN", 3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [e.at_ms for p in pages for e in p] == [T0 + i for i in range(6, -1, -1)]
    # A page that ends exactly at the last entry says so: no empty page after it.
    assert [len(p) for p in _all(audit_log, "AN", 7)] == [7]


def test_a_cursor_issued_for_one_office_is_refused_for_another(audit_log: DynamoAuditLog) -> None:
    for i in range(3):
        audit_log.append(_entry(T0 + i, office="AN"))
        audit_log.append(_entry(T0 + i, office="MC"))
    cursor = audit_log.list("AN", 0, T0 * 2, 1, None).next_cursor
    assert cursor is not None
    with pytest.raises(InvalidCursor):
        audit_log.list("MC", 0, T0 * 2, 1, cursor)
    with pytest.raises(InvalidCursor):
        DynamoAuditLog(lambda: b"another-secret-entirely").list("AN", 0, T0 * 2, 1, cursor)
    assert len(audit_log.list("AN", 0, T0 * 2, 5, cursor).entries) == 2


def test_the_time_window_is_half_open(audit_log: DynamoAuditLog) -> None:
    for at in (T0 + 1000, T0 + 2000, T0 + 3000, T0 + 4000):
        audit_log.append(_entry(at))
    page = audit_log.list("AN", T0 + 2000, T0 + 4000, 10, None)
    assert [e.at_ms for e in page.entries] == [T0 + 3000, T0 + 2000]
    assert audit_log.list("AN", T0 + 4001, T0 + 5000, 10, None).entries == ()
    assert [len(p) for p in _all(audit_log, "AN", 1, T0 + 1000, T0 + 3001)] == [1, 1, 1]


def test_an_entry_is_never_overwritten(audit_log: DynamoAuditLog) -> None:
    suffixes = iter(["same", "same", "other"])
    log = DynamoAuditLog(lambda: SECRET, suffix=lambda: next(suffixes))
    log.append(_entry(T0, action=AuditAction.CASE_CLOSE, reason="withdrawn"))
    log.append(_entry(T0, action=AuditAction.NOTE_ADD))  # collides on "same", stored under "other"
    stored = {item.entry_id: item.action for item in AuditModel.query("AN")}
    assert stored == {entry_id(T0, "same"): "case.close", entry_id(T0, "other"): "note.add"}

    stuck = DynamoAuditLog(lambda: SECRET, suffix=lambda: "same")
    with pytest.raises(AuditWriteConflict):
        stuck.append(_entry(T0, action=AuditAction.CASE_ASSIGN))
    assert AuditModel.get("AN", entry_id(T0, "same")).action == "case.close"

    # The condition is on the write itself, not only in the adapter's loop.
    forged = AuditModel("AN", entry_id(T0, "same"), at_ms=T0, actor="x", actor_role="officer", action="case.view")
    with pytest.raises(PutError):
        forged.save(condition=AuditModel.entry_id.does_not_exist())


def test_an_entry_ends_after_the_audit_retention(audit_log: DynamoAuditLog) -> None:
    DynamoAuditLog(lambda: SECRET, retention=RetentionPolicy(audit_days=10)).append(_entry(T0))
    [item] = AuditModel.query("AN")
    assert item.expires_at is not None and int(item.expires_at.timestamp() * 1000) == T0 + 10 * DAY_MS
    audit_log.append(_entry(T0 + 1))  # by default, two years
    # TTL keeps whole seconds.
    assert {int(i.expires_at.timestamp()) - int(i.at_ms) // 1000 for i in AuditModel.query("AN")} == {
        10 * DAY_MS // 1000,
        730 * DAY_MS // 1000,
    }


def test_a_supervisor_reads_their_office_and_the_reading_is_audited(audit_log: DynamoAuditLog) -> None:
    audit_log.append(_entry(T0))
    audit_log.append(_entry(T0 + 1, office="MC"))
    page = read_audit_log(audit_log, SUPERVISOR, AuditQuery(T0 - 1, T0 + 10, 10), now_ms=T0 + 20)
    assert [e.office for e in page.entries] == ["AN"]
    [latest] = audit_log.list("AN", T0 + 20, T0 + 21, 1, None).entries
    assert (latest.action, latest.actor, latest.detail) == (AuditAction.AUDIT_VIEW, "sub-sup-an", {"count": "1"})


def test_only_supervisors_read_the_log_and_queries_are_bounded(audit_log: DynamoAuditLog) -> None:
    from chalicelib.auth.errors import SupervisorOnly

    with pytest.raises(SupervisorOnly):
        read_audit_log(audit_log, OFFICER, AuditQuery(0, T0), now_ms=T0)
    for query in (AuditQuery(0, T0, limit=0), AuditQuery(0, T0, limit=101), AuditQuery(T0, T0), AuditQuery(-1, T0)):
        with pytest.raises(InvalidAuditQuery):
            read_audit_log(audit_log, SUPERVISOR, query, now_ms=T0)
    assert audit_log.list("AN", 0, T0 * 2, 10, None).entries == ()  # refused reads leave no entry


@pytest.mark.parametrize(
    "detail",
    [{"Bad-Key": "x"}, {"note": "x" * 501}, {"n": 3}, {f"k{i}": "v" for i in range(11)}],
    ids=["key", "long-value", "not-a-string", "too-many"],
)
def test_entries_hold_only_short_named_details(detail: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="detail"):
        AuditEntry(T0, "sub", "officer", "AN", AuditAction.NOTE_ADD, "c", detail)


def test_an_entry_is_frozen_even_through_its_details() -> None:
    detail = {"document_id": "d-1"}
    entry = AuditEntry(T0, "sub", "officer", "AN", AuditAction.DOCUMENT_VIEW, "c", detail)
    detail["document_id"] = "d-2"
    assert entry.detail["document_id"] == "d-1"
    with pytest.raises(TypeError):
        entry.detail["document_id"] = "d-3"  # type: ignore[index]


# --- the cursor key ----------------------------------------------------------------------------------------------


@pytest.fixture
def secretsmanager(aws: None) -> Iterator[Any]:
    yield boto3.client("secretsmanager", region_name="eu-south-1")


def _counting(client: Any) -> tuple[Callable[[], Any], list[int]]:
    calls: list[int] = []

    def factory() -> Any:
        calls.append(1)
        return client

    return factory, calls


def test_the_cursor_key_comes_from_the_api_secret_once(secretsmanager: Any) -> None:
    arn = secretsmanager.create_secret(Name="api", SecretString=json.dumps({"cursor_key": "k" * 64}))["ARN"]
    factory, calls = _counting(secretsmanager)
    provider = CursorKeyProvider(None, arn, factory)
    assert calls == []  # nothing read before first use
    assert provider.get() == b"k" * 64 and provider.get() == b"k" * 64
    assert len(calls) == 1


def test_the_environment_wins_and_weak_or_missing_keys_are_configuration_errors(secretsmanager: Any) -> None:
    factory, calls = _counting(secretsmanager)
    assert CursorKeyProvider("an-env-cursor-secret", "unused", factory).get() == b"an-env-cursor-secret"
    assert calls == []
    with pytest.raises(ConfigurationError):
        CursorKeyProvider("short", None, factory).get()
    with pytest.raises(ConfigurationError):
        CursorKeyProvider(None, None, factory).get()
    for value in ({"other": "x"}, {"cursor_key": "short"}, {"cursor_key": 42}):
        arn = secretsmanager.create_secret(Name=f"api-{len(calls)}-{value}", SecretString=json.dumps(value))["ARN"]
        with pytest.raises(ConfigurationError) as caught:
            CursorKeyProvider(None, arn, factory).get()
        assert str(value.get("cursor_key", "<none>")) not in str(caught.value)  # errors never echo the secret


# --- the template: append-only for every role --------------------------------------------------------------------


def _statements() -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in load_template()["Resources"].items():
        if not logical_id.endswith("Role"):  # the function roles chalice declares (a user pool has "Policies" too)
            continue
        for policy in resource["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                yield logical_id, statement


def _text(resource: Any) -> str:
    return json.dumps(resource)


def test_no_role_can_update_or_delete_audit_entries() -> None:
    granted: dict[str, set[str]] = {}
    for role, statement in _statements():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(a in {"*", "dynamodb:*"} for a in actions), role
        if "AuditTable" in _text(statement["Resource"]):
            granted.setdefault(role, set()).update(actions)
    # The upload page (public) appends the uploads it takes; only the officers' API reads the log.
    assert granted == {
        "ApiHandlerRole": {"dynamodb:PutItem", "dynamodb:Query"},
        "PublicHandlerRole": {"dynamodb:PutItem"},
    }


def test_only_the_api_reads_the_api_secret() -> None:
    readers = {role for role, s in _statements() if "ApiSecret" in _text(s["Resource"])}
    assert readers == {"ApiHandlerRole"}
    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["AUDIT_TABLE"] == {"Ref": "AuditTable"} and variables["API_SECRET_ID"] == {"Ref": "ApiSecret"}


def test_the_audit_table_survives_the_stack_and_entries_end_by_ttl_only() -> None:
    table = load_template()["Resources"]["AuditTable"]
    assert table["DeletionPolicy"] == "Retain" and table["Properties"]["DeletionProtectionEnabled"] is True
    # Entries end after their retention (two years by default), by DynamoDB's TTL: no role may delete one.
    assert table["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_entry_ids_sort_by_time_whatever_the_suffix() -> None:
    ids = [entry_id(T0 + ms, suffix) for ms, suffix in itertools.product((0, 1, 10), ("ffff", "0000"))]
    assert sorted(ids) == sorted(ids, key=lambda i: (int(i.split("#")[0]), i))
