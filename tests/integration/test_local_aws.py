"""``devtools.local_aws`` builds what ``infra/resources.json`` declares, and that matches the PynamoDB models.

The template is what AWS gets and the models are what the code uses: this is the test that they never drift.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.dynamo.models import ALL_MODELS, bind_models
from chalicelib.settings import Settings
from devtools.local_aws import create_resources, load_template, resolve

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pynamodb.models import Model

REGION = "eu-south-1"
TEMPLATE = load_template()
RESOURCES = resolve(TEMPLATE)
TABLES = {lid: r for lid, r in TEMPLATE["Resources"].items() if r.get("Type") == "AWS::DynamoDB::Table"}


@pytest.fixture
def session() -> Iterator[boto3.session.Session]:
    with mock_aws():
        yield boto3.session.Session(region_name=REGION)


@pytest.fixture
def model_tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, type[Model]]]:
    """Logical table id -> model, through the real binding path (template env -> Settings -> bind_models)."""
    saved = [(m, m.Meta.table_name, getattr(m.Meta, "region", None)) for m in ALL_MODELS]
    for key, value in RESOURCES.environment.items():
        monkeypatch.setenv(key, value)
    bind_models(Settings.from_env())
    by_name = {name: lid for lid, name in RESOURCES.names.items()}
    yield {by_name[m.Meta.table_name]: m for m in ALL_MODELS}
    for model, table_name, region in saved:
        model.Meta.table_name, model.Meta.region = table_name, region


def _keys(schema: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(k["AttributeName"], k["KeyType"]) for k in schema}


def _attributes(definitions: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(d["AttributeName"], d["AttributeType"]) for d in definitions}


def _indexes(indexes: list[dict[str, Any]]) -> dict[str, tuple[set[tuple[str, str]], dict[str, Any]]]:
    out = {}
    for index in indexes:
        name = index.get("IndexName", index.get("index_name"))
        keys = index.get("KeySchema", index.get("key_schema", []))
        projection = index.get("Projection", index.get("projection", {}))
        out[str(name)] = (_keys(keys), projection)
    return out


def test_every_template_table_has_a_model_and_every_model_a_table(model_tables: dict[str, type[Model]]) -> None:
    assert set(model_tables) == set(TABLES)


def test_tables_match_the_models(session: boto3.session.Session, model_tables: dict[str, type[Model]]) -> None:
    create_resources(TEMPLATE, RESOURCES, session, REGION)
    dynamodb = session.client("dynamodb")
    for logical_id, model in model_tables.items():
        table = dynamodb.describe_table(TableName=RESOURCES.names[logical_id])["Table"]
        schema = model._get_schema()
        assert _keys(table["KeySchema"]) == _keys(schema["key_schema"]), logical_id
        assert _attributes(table["AttributeDefinitions"]) == _attributes(schema["attribute_definitions"]), logical_id
        assert _indexes(table.get("GlobalSecondaryIndexes", [])) == _indexes(schema["global_secondary_indexes"])
        assert not table.get("LocalSecondaryIndexes") and not schema["local_secondary_indexes"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"

        view_type = getattr(model.Meta, "stream_view_type", None)
        stream = table.get("StreamSpecification", {"StreamEnabled": False})
        assert stream.get("StreamViewType") == view_type and stream["StreamEnabled"] == (view_type is not None)

        ttl = dynamodb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
        ttl_attribute = model._ttl_attribute()
        if ttl_attribute is None:
            assert ttl["TimeToLiveStatus"] == "DISABLED", logical_id
        else:
            assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", ttl_attribute.attr_name)


def test_ttl_is_on_expires_at_where_the_template_declares_it(session: boto3.session.Session) -> None:
    create_resources(TEMPLATE, RESOURCES, session, REGION)
    dynamodb = session.client("dynamodb")
    for logical_id, resource in TABLES.items():
        declared = resource["Properties"].get("TimeToLiveSpecification")
        ttl = dynamodb.describe_time_to_live(TableName=RESOURCES.names[logical_id])["TimeToLiveDescription"]
        if declared:
            assert declared == {"AttributeName": "expires_at", "Enabled": True}
            assert ttl.get("AttributeName") == "expires_at" and ttl["TimeToLiveStatus"] == "ENABLED"
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_the_bucket_is_encrypted_and_private(session: boto3.session.Session) -> None:
    create_resources(TEMPLATE, RESOURCES, session, REGION)
    s3 = session.client("s3")
    bucket = RESOURCES.names["MediaBucket"]
    [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule.get("BucketKeyEnabled") is True
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )


def test_the_failure_queue_exists_with_its_retention(session: boto3.session.Session) -> None:
    create_resources(TEMPLATE, RESOURCES, session, REGION)
    sqs = session.client("sqs")
    url = sqs.get_queue_url(QueueName=RESOURCES.names["InboundFailuresQueue"])["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    expected = TEMPLATE["Resources"]["InboundFailuresQueue"]["Properties"]["MessageRetentionPeriod"]
    assert attributes["MessageRetentionPeriod"] == str(expected)


def test_creating_twice_changes_nothing(session: boto3.session.Session) -> None:
    first = create_resources(TEMPLATE, RESOURCES, session, REGION)
    tables = session.client("dynamodb").list_tables()["TableNames"]
    assert create_resources(TEMPLATE, RESOURCES, session, REGION) == []
    assert session.client("dynamodb").list_tables()["TableNames"] == tables
    kinds = {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket"}
    assert set(first) == {RESOURCES.names[lid] for lid, r in TEMPLATE["Resources"].items() if r.get("Type") in kinds}


def test_the_local_environment_names_every_resource_the_functions_get() -> None:
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    expected: dict[str, str] = {}
    for key, value in variables.items():
        if isinstance(value, str):
            expected[key] = value
        elif value.get("Ref") in RESOURCES.names:
            expected[key] = RESOURCES.names[value["Ref"]]
    assert RESOURCES.environment == expected
    # Only what exists in AWS alone (the Cognito issuer and client, the API's address) is left for the local
    # system to set.
    assert set(variables) - set(expected) == {
        "AUTH_ISSUER",
        "AUTH_AUDIENCE",
        "UPLOAD_PAGE_URL",
        "CONSOLE_AUTH_URL",
        "CONSOLE_URL",
    }
