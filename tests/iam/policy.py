"""The packaged template's roles as moto's IAM evaluator sees them, and recorded calls judged against them.

:class:`Resolver` turns CloudFormation's intrinsics (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``...) into concrete ARNs in
one made-up account, region and naming; :func:`evaluate` resolves each recorded call to the same ARNs (actual name in
the tests -> environment variable -> logical id -> ARN) and asks ``moto.iam.access_control.IAMPolicy`` whether the
function's role allows it, and which granted permissions nothing used.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moto.iam.access_control import IAMPolicy, PermissionResult

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from tests.aws_calls import Call

ACCOUNT = "123456789012"
REGION = "eu-south-1"
PARTITION = "aws"
STACK = "sportello-prod"
FUNCTION_TYPES = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})
_NAME_PROPERTY = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
}
# Pre-signed links the code makes only to learn the storage's origin (documents.py): nobody ever follows them.
ORIGIN_PROBE_KEYS = frozenset({"origin-probe"})
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


class UnsupportedIntrinsic(ValueError):
    """The template uses an intrinsic function this resolver does not know."""


class Resolver:
    """Concrete values for a template's intrinsics, with physical names chosen here (or the template's own)."""

    def __init__(self, template: Mapping[str, Any]) -> None:
        self.resources: Mapping[str, Any] = template["Resources"]
        self.parameters: Mapping[str, Any] = template.get("Parameters", {})
        self._pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION,
            "AWS::StackName": STACK,
            "AWS::URLSuffix": "amazonaws.com",
        }

    def kind(self, logical: str) -> str:
        """The resource's type."""
        return str(self.resources[logical].get("Type", ""))

    def name(self, logical: str) -> str:
        """The physical name: the template's explicit one, else one derived from the stack and logical id."""
        prop = _NAME_PROPERTY.get(self.kind(logical))
        explicit = self.resources[logical].get("Properties", {}).get(prop) if prop else None
        if explicit is not None:
            return str(self.value(explicit))
        return f"{STACK}-{logical}".lower()

    def ref(self, logical: str) -> str:
        """What ``Ref`` returns."""
        if logical in self._pseudo:
            return self._pseudo[logical]
        if logical in self.parameters:
            return str(self.parameters[logical].get("Default", f"param-{logical}"))
        kind, name = self.kind(logical), self.name(logical)
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
        if kind == "AWS::SecretsManager::Secret":
            return f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf"
        return name

    def get_att(self, logical: str, attribute: str) -> str:
        """What ``Fn::GetAtt`` returns, for the attributes roles refer to."""
        kind, name = self.kind(logical), self.name(logical)
        arns = {
            "AWS::DynamoDB::Table": f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            "AWS::S3::Bucket": f"arn:{PARTITION}:s3:::{name}",
            "AWS::SQS::Queue": f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{name}",
            "AWS::IAM::Role": f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}",
            "AWS::Logs::LogGroup": f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{name}:*",
            "AWS::SNS::Topic": f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:{name}",
            "AWS::Serverless::Function": f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{name}",
            "AWS::Lambda::Function": f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{name}",
            "AWS::Cognito::UserPool": f"arn:{PARTITION}:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_{logical}",
        }
        if attribute == "StreamArn" and kind == "AWS::DynamoDB::Table":
            return f"{arns[kind]}/stream/2026-01-01T00:00:00.000"
        if attribute == "Arn" and kind in arns:
            return arns[kind]
        if attribute == "QueueName":
            return name
        return f"{logical}.{attribute}"  # nothing a role names: any stable string will do

    def value(self, node: Any) -> Any:
        """``node`` with every intrinsic replaced by its value."""
        if isinstance(node, list):
            return [self.value(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) != 1 or not next(iter(node)).startswith(("Fn::", "Ref")):
            return {key: self.value(item) for key, item in node.items()}
        ((function, argument),) = node.items()
        if function == "Ref":
            return self.ref(argument)
        if function == "Fn::GetAtt":
            logical, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return self.get_att(logical, attribute)
        if function == "Fn::Sub":
            return self._sub(argument)
        if function == "Fn::Join":
            separator, items = argument
            return str(separator).join(str(item) for item in self.value(items))
        if function == "Fn::Select":
            index, items = argument
            return self.value(items)[int(self.value(index))]
        if function == "Fn::Split":
            separator, text = argument
            return str(self.value(text)).split(separator)
        raise UnsupportedIntrinsic(f"{function} is not supported by the IAM test's resolver")

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])

        def one(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in variables:
                return str(self.value(variables[token]))
            if "." in token and not token.startswith("AWS::"):
                logical, attribute = token.split(".", 1)
                return self.get_att(logical, attribute)
            return self.ref(token)

        return _SUB.sub(one, text).replace("${!", "${")


@dataclass(frozen=True, slots=True)
class Role:
    """A function's role: its inline policies, resolved, and moto's evaluator for each."""

    function: str
    name: str
    statements: tuple[dict[str, Any], ...]
    managed: tuple[str, ...] = ()

    @property
    def policy(self) -> IAMPolicy:
        """All inline statements as one policy (an explicit deny anywhere still wins)."""
        return IAMPolicy(json.dumps({"Version": "2012-10-17", "Statement": list(self.statements)}))

    def allows(self, action: str, arn: str) -> PermissionResult:
        """moto's verdict: PERMITTED, DENIED (explicit) or NEUTRAL (implicitly denied)."""
        result: PermissionResult = self.policy.is_action_permitted(action, arn)
        return result


def functions(template: Mapping[str, Any]) -> list[str]:
    """The logical ids of the template's Lambda functions."""
    return sorted(k for k, v in template["Resources"].items() if v.get("Type") in FUNCTION_TYPES)


def role_of(template: Mapping[str, Any], function: str) -> Role:
    """The role named by the function's ``Role`` property, with its policies resolved."""
    resolver = Resolver(template)
    reference = template["Resources"][function]["Properties"].get("Role")
    if not (isinstance(reference, dict) and "Fn::GetAtt" in reference):
        raise AssertionError(f"{function}'s Role is not a Fn::GetAtt of a role in the template: {reference!r}")
    name = reference["Fn::GetAtt"][0]
    properties = template["Resources"][name]["Properties"]
    statements: list[dict[str, Any]] = []
    for policy in properties.get("Policies", []):
        document = resolver.value(policy["PolicyDocument"])
        found = document["Statement"]
        statements.extend(found if isinstance(found, list) else [found])
    managed = tuple(str(arn) for arn in resolver.value(properties.get("ManagedPolicyArns", [])))
    return Role(function, name, tuple(statements), managed)


def names_to_logical_ids(template: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Actual resource name in this environment -> logical id, through the functions' environment variables."""
    variables: dict[str, Any] = dict(template.get("Globals", {}).get("Function", {}).get("Environment", {}))
    variables = dict(variables.get("Variables", {}))
    for function in functions(template):
        variables.update(template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {}))
    found: dict[str, str] = {}
    for variable, value in variables.items():
        logical = value.get("Ref") if isinstance(value, dict) else None
        actual = environ.get(variable)
        if logical in template["Resources"] and actual:
            found[actual.rstrip("/").rsplit("/", 1)[-1]] = str(logical)
    return found


@dataclass(frozen=True, slots=True)
class Verdict:
    """A recorded call resolved to its ARN and judged against its function's role."""

    call: Call
    role: str
    arn: str
    result: str  # "allowed", "explicitly denied", "implicitly denied", "unresolved"

    def describe(self) -> str:
        """One line for a failure message."""
        origin = " (pre-signed)" if self.call.presigned else ""
        return (
            f"{self.call.function} (role {self.role}): {self.call.action} on {self.arn}{origin} is {self.result}"
            f" - first in {self.call.test or 'an unnamed test'}"
        )


@dataclass(slots=True)
class Evaluation:
    """Every verdict, what was skipped and why, and the permissions nothing used."""

    verdicts: list[Verdict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unused: dict[str, list[str]] = field(default_factory=dict)
    runtime_denied: dict[str, list[str]] = field(default_factory=dict)
    uncalled: list[str] = field(default_factory=list)

    @property
    def denied(self) -> list[Verdict]:
        """The calls the roles do not allow."""
        return [v for v in self.verdicts if v.result != "allowed"]


class CallResolver:
    """Recorded calls -> the template's ARNs."""

    def __init__(self, template: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self.resolver = Resolver(template)
        self.template = template
        self.logical = names_to_logical_ids(template, environ)
        self.by_url = self._queues_given_by_url(template)

    @staticmethod
    def _queues_given_by_url(template: Mapping[str, Any]) -> frozenset[str]:
        variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        resources = template["Resources"]
        return frozenset(
            str(v["Ref"])
            for v in variables.values()
            if isinstance(v, dict) and resources.get(v.get("Ref"), {}).get("Type") == "AWS::SQS::Queue"
        )

    def skip_reason(self, call: Call) -> str | None:
        """Why a call the tests made is one the deployed code does not make (or None)."""
        if call.presigned and call.detail in ORIGIN_PROBE_KEYS:
            return "a pre-signed link made only to learn the storage origin; never followed"
        if call.action == "sqs:GetQueueUrl" and self.logical.get(call.name) in self.by_url:
            return "the template gives the queue's URL (Ref), so the deployed code never looks it up by name"
        return None

    def arn(self, call: Call) -> str | None:
        """The call's resource as an ARN of the template, or None when the name is not one of the template's."""
        if call.kind == "other":
            return "*"
        if call.kind == "stream":
            return call.name
        name = call.name
        if call.kind == "secret" and name.startswith("arn:"):
            # A secret's ARN ends in its name and six random characters.
            name = re.sub(r"-[A-Za-z0-9]{6}$", "", name.split(":secret:", 1)[-1])
        logical = self.logical.get(name)
        if logical is None:
            return None
        r = self.resolver
        by_kind = {
            "table": lambda: r.get_att(logical, "Arn"),
            "index": lambda: f"{r.get_att(logical, 'Arn')}/index/{call.detail}",
            "bucket": lambda: r.get_att(logical, "Arn"),
            "object": lambda: f"{r.get_att(logical, 'Arn')}/{call.detail}",
            "queue": lambda: r.get_att(logical, "Arn"),
            "secret": lambda: r.ref(logical),
        }
        return by_kind[call.kind]() if call.kind in by_kind else None


def judge(role: Role, call: Call, arn: str | None) -> Verdict:
    """One call against one role."""
    if arn is None:
        return Verdict(call, role.name, f"<{call.kind} {call.name!r}: not a resource of the template>", "unresolved")
    result = role.allows(call.action, arn)
    verdict = {
        PermissionResult.PERMITTED: "allowed",
        PermissionResult.DENIED: "explicitly denied",
    }.get(result, "implicitly denied")
    return Verdict(call, role.name, arn, verdict)


def runtime_uses(template: Mapping[str, Any], function: str) -> list[tuple[str, str]]:
    """``(action, arn)`` the Lambda service needs of the function's role on its behalf (logs, traces, pollers)."""
    resolver = Resolver(template)
    properties = template["Resources"][function]["Properties"]
    group = (
        resolver.value(properties.get("LoggingConfig", {}).get("LogGroup")) or f"/aws/lambda/{resolver.name(function)}"
    )
    stream = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:2026/01/01/[$LATEST]0"
    uses = [("logs:CreateLogStream", stream), ("logs:PutLogEvents", stream)]
    if properties.get("Tracing") == "Active":
        uses += [("xray:PutTraceSegments", "*"), ("xray:PutTelemetryRecords", "*")]
    for event in (properties.get("Events") or {}).values():
        source = event.get("Properties", {})
        if event.get("Type") == "DynamoDB":
            arn = str(resolver.value(source["Stream"]))
            uses += [
                (f"dynamodb:{a}", arn) for a in ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams")
            ]
        if event.get("Type") == "SQS":
            arn = str(resolver.value(source["Queue"]))
            uses += [(f"sqs:{a}", arn) for a in ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")]
        failure = source.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if failure is not None:
            destination = str(resolver.value(failure))
            uses.append(("sqs:SendMessage" if ":sqs:" in destination else "sns:Publish", destination))
    return uses


def _grants(statement: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    actions = statement.get("Action", [])
    resources = statement.get("Resource", "*")
    for action in [actions] if isinstance(actions, str) else actions:
        for resource in [resources] if isinstance(resources, str) else resources:
            yield str(action), str(resource)


def _used(action: str, resource: str, uses: Iterable[tuple[str, str]]) -> bool:
    grant = IAMPolicy(json.dumps({"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}))
    return any(grant.is_action_permitted(a, arn) == PermissionResult.PERMITTED for a, arn in uses)


def evaluate(
    template: Mapping[str, Any], calls: Iterable[Call], environ: Mapping[str, str] | None = None
) -> Evaluation:
    """Judge every recorded call against its function's role; list what each role grants that nothing used."""
    resolver = CallResolver(template, os.environ if environ is None else environ)
    evaluation = Evaluation()
    by_function: dict[str, list[Call]] = {}
    for call in calls:
        by_function.setdefault(call.function, []).append(call)
    present = functions(template)
    for function, made in sorted(by_function.items()):
        if function not in present:
            evaluation.verdicts.extend(
                Verdict(c, "<none>", c.name, f"made by {function}, which is not in the template") for c in made
            )
    for function in present:
        _evaluate_function(template, function, by_function.get(function, []), resolver, evaluation)
    return evaluation


def _evaluate_function(
    template: Mapping[str, Any], function: str, made: list[Call], resolver: CallResolver, evaluation: Evaluation
) -> None:
    role = role_of(template, function)
    uses: list[tuple[str, str]] = []
    for call in made:
        reason = resolver.skip_reason(call)
        if reason:
            evaluation.skipped.append(f"{function}: {call.action} on {call.name}/{call.detail}: {reason}")
            continue
        verdict = judge(role, call, resolver.arn(call))
        evaluation.verdicts.append(verdict)
        uses.append((call.action, verdict.arn))
    if not made:
        evaluation.uncalled.append(function)
    runtime = runtime_uses(template, function)
    evaluation.runtime_denied[role.name] = [
        f"{a} on {arn}" for a, arn in runtime if role.allows(a, arn) != PermissionResult.PERMITTED
    ]
    unused = []
    for statement in role.statements:
        if statement.get("Effect") != "Allow":
            continue
        for action, resource in _grants(statement):
            if not _used(action, resource, uses) and not _used(action, resource, runtime):
                unused.append(f"[{statement.get('Sid', '')}] {action} on {resource}")
    evaluation.unused[role.name] = unused
