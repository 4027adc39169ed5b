"""Create the app's AWS resources from ``infra/resources.json`` in any endpoint (moto server or in-process).

One source of truth: the same template that is merged into ``chalice package`` output for AWS declares the
tables, queues and buckets; this module reads it and makes them locally, and derives the environment variables
the functions get (``Globals.Function.Environment.Variables`` with ``Ref``s resolved to local names). Resources
it has no local counterpart for (the Cognito user pool and its client and groups) are left out, and so are the
variables that refer to them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "resources.json"
LOCAL_PREFIX = "sportello-local"

_QUEUE_NUMBERS = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
)
_NAME_PROPERTY = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SecretsManager::Secret": "Name",
}


@dataclass(frozen=True, slots=True)
class LocalResources:
    """Physical names of the template's resources, and the functions' environment that points at them."""

    names: dict[str, str]
    environment: dict[str, str]


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The merge template as a dict."""
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def resolve(template: dict[str, Any], prefix: str = LOCAL_PREFIX) -> LocalResources:
    """Local physical names (the template's own name when it sets one) and the resolved environment."""
    names: dict[str, str] = {}
    for logical_id, resource in template["Resources"].items():
        kind = resource.get("Type")
        if kind not in _NAME_PROPERTY:
            continue
        explicit = resource.get("Properties", {}).get(_NAME_PROPERTY[kind])
        names[logical_id] = explicit if isinstance(explicit, str) else f"{prefix}-{_kebab(logical_id)}"
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    environment: dict[str, str] = {}
    for key, value in variables.items():
        if isinstance(value, dict) and value.get("Ref") in names:
            environment[key] = names[value["Ref"]]
        elif isinstance(value, str):
            environment[key] = value
        # Anything else (a Ref to a Cognito resource, an Fn::Sub) exists only in AWS: the local system sets it.
    return LocalResources(names, environment)


def _kebab(name: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def create_resources(template: dict[str, Any], resources: LocalResources, session: Any, region: str) -> list[str]:
    """Create the template's tables, queues and buckets that do not exist yet; return what was created."""
    created: list[str] = []
    arns: dict[str, str] = {}
    for logical_id, resource in template["Resources"].items():
        kind, props = resource.get("Type"), resource.get("Properties", {})
        name = resources.names.get(logical_id)
        if name is None:
            continue
        if kind == "AWS::DynamoDB::Table":
            made = _create_table(session.client("dynamodb", region_name=region), name, props)
        elif kind == "AWS::SQS::Queue":
            made = _create_queue(session.client("sqs", region_name=region), name, props, arns, logical_id)
        elif kind == "AWS::S3::Bucket":
            made = _create_bucket(session.client("s3", region_name=region), name, props, region)
        else:
            made = False
        if made:
            created.append(name)
    return created


def _create_queue(sqs: Any, name: str, props: dict[str, Any], arns: dict[str, str], logical_id: str) -> bool:
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        made = False
    except sqs.exceptions.QueueDoesNotExist:
        url = sqs.create_queue(QueueName=name, Attributes=_queue_attributes(props, arns))["QueueUrl"]
        made = True
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    arns[logical_id] = attributes["QueueArn"]
    return made


def _create_table(dynamodb: Any, name: str, props: dict[str, Any]) -> bool:
    if name in dynamodb.list_tables()["TableNames"]:
        return False
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if "GlobalSecondaryIndexes" in props:
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if "StreamSpecification" in props:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    if "SSESpecification" in props:
        kwargs["SSESpecification"] = {"Enabled": props["SSESpecification"].get("SSEEnabled", False)}
    dynamodb.create_table(**kwargs)
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    return True


def _queue_attributes(props: dict[str, Any], arns: dict[str, str]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for key in _QUEUE_NUMBERS:
        if key in props:
            attributes[key] = str(props[key])
    if props.get("SqsManagedSseEnabled"):
        attributes["SqsManagedSseEnabled"] = "true"
    if props.get("FifoQueue"):
        attributes["FifoQueue"] = "true"
        if props.get("ContentBasedDeduplication"):
            attributes["ContentBasedDeduplication"] = "true"
    redrive = props.get("RedrivePolicy")
    if redrive:
        target = redrive["deadLetterTargetArn"]
        # {"Fn::GetAtt": [LogicalId, "Arn"]}: a dead-letter queue is declared before the queues that use it.
        if isinstance(target, dict):
            target = arns[target["Fn::GetAtt"][0]]
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": target, "maxReceiveCount": redrive["maxReceiveCount"]}
        )
    return attributes


def _create_bucket(s3: Any, name: str, props: dict[str, Any], region: str) -> bool:
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if name in existing:
        return False
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if "BucketEncryption" in props:
        rules = [_encryption_rule(rule) for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    return True


def _encryption_rule(rule: dict[str, Any]) -> dict[str, Any]:
    # CloudFormation and the S3 API spell the same rule differently.
    converted = {k: v for k, v in rule.items() if k != "ServerSideEncryptionByDefault"}
    if "ServerSideEncryptionByDefault" in rule:
        converted["ApplyServerSideEncryptionByDefault"] = rule["ServerSideEncryptionByDefault"]
    return converted
