"""Issue 14's done-when on the real local system: a supervisor erases a case with documents; the case then answers
as erased, no table and no object of the local AWS holds the applicant's number, name or files, and the
applicant's "stato" finds nothing personal."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from chalicelib.domain.templates import CASE_OPENED
from devtools.local_aws import load_template, resolve
from tests import documents
from tests.e2e.conftest import wait_until_processed
from tests.e2e.test_officer_journey import Officer, Phone, attachment, template

if TYPE_CHECKING:
    from tests.e2e.conftest import LocalSystem

pytestmark = pytest.mark.e2e

PHONE = f"+39347{secrets.randbelow(9_000_000) + 1_000_000}"
NAME = f"Erasable Applicant {secrets.token_hex(4)}"
PDF = documents.pdf(f"/Title (E2E-ERASE-{secrets.token_hex(6)}) ", padding=200)


def _aws(system: LocalSystem, service: str) -> Any:
    return boto3.session.Session().client(
        service,
        endpoint_url=system.aws,
        region_name="eu-south-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        aws_session_token=None,
    )


def _traces(system: LocalSystem, needles: dict[str, bytes], skip_outbound_id: str) -> list[str]:
    """Where any needle is found: every item of every table, every version of every object (a Scan: a test)."""
    found = []
    dynamodb = _aws(system, "dynamodb")
    for table in dynamodb.list_tables()["TableNames"]:
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                if item.get("outbound_id", {}).get("S") == skip_outbound_id:
                    continue  # the erasure notice's own record, checked apart
                text = json.dumps(item).encode()
                found += [f"{table}: {label}" for label, needle in needles.items() if needle in text]
    s3 = _aws(system, "s3")
    bucket = resolve(load_template()).environment["MEDIA_BUCKET"]
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []):
            body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
            found += [f"s3 {version['Key']}: {label}" for label, needle in needles.items() if needle in body]
    return found


def test_a_supervisor_erases_a_case_with_documents_and_nothing_personal_is_left(local_system: LocalSystem) -> None:
    officer = Officer(local_system, "AN", "officer", "g.bianchi")
    supervisor = Officer(local_system, "AN", "supervisor", "m.rossi")
    phone = Phone(local_system, PHONE)
    start = phone.last_index()
    body = {
        "procedure": "rinnovo",
        "permit_type": "studio",
        "applicant": {"phone": PHONE, "name": NAME, "language": "en"},
    }
    status, answer = officer.call("post", "/api/cases", body)
    assert status == 201, answer
    cid = answer["case"]["id"]
    phone.wait_for(start, template(CASE_OPENED.name))
    wait_until_processed(local_system, phone.write("Hello, here are my papers"))
    item = answer["case"]["missing"][0]["items"][0]
    status, answer = officer.call(
        "post", f"/api/cases/{cid}/documents", attachment(item, PDF, "application/pdf", "p.pdf")
    )
    assert status == 200, answer
    status, view = supervisor.call("get", f"/api/cases/{cid}")
    [document] = view["documents"]
    needles = {
        "number": PHONE.lstrip("+").encode(),
        "name": NAME.encode(),
        "document": PDF,
        "document sha256": document["sha256"].encode(),
        "sent sha256": hashlib.sha256(PDF).hexdigest().encode(),
    }
    assert _traces(local_system, needles, "none"), "the search finds the applicant before the erasure"

    start = phone.last_index()
    status, answer = supervisor.call("post", f"/api/cases/{cid}/erase", {"reason": "applicant_request"})
    assert status == 200 and answer["case"]["erased"] is True, answer
    phone.wait_for(start, lambda m: m["type"] == "text" and cid in m["body"]["text"]["body"])
    assert _traces(local_system, needles, f"case.{cid}.erased") == []

    status, view = supervisor.call("get", f"/api/cases/{cid}")
    assert status == 200 and view["erased"] is True and view["documents"] == []
    assert view["applicant"]["name"] == "" and view["applicant"]["phone"] is None

    start = phone.last_index()
    wait_until_processed(local_system, phone.write("stato"))
    said = json.dumps([m["body"] for m in phone.outbox() if m["index"] > start], ensure_ascii=False)
    assert said != "[]" and cid not in said and NAME not in said
