"""Least privilege, proven: every AWS call each function's code made in the suites is allowed by that function's role.

Runs after the main suites (``make test``), which record the calls (``tests/aws_calls.py``). The template is the
packaged prod one (``infra.package.build``); moto's IAM policy evaluator judges each call against the role the
function's ``Role`` property names. Permissions no recorded call used are reported in ``test-artifacts/iam-unused.txt``,
not failed: some serve code paths the suites do not reach.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

import pytest
from moto.iam.access_control import PermissionResult

from functions.entrypoints import API_FUNCTION, PUBLIC_FUNCTION
from tests.aws_calls import HANDLER_FUNCTIONS, ROOT, Call, read_recording, recording_dir
from tests.iam.policy import Evaluation, Resolver, evaluate, functions, role_of

if TYPE_CHECKING:
    from pathlib import Path

REPORT = ROOT / "test-artifacts" / "iam-unused.txt"


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The packaged prod template (built once per session: ``chalice package`` takes a while)."""
    from infra.package import build

    path: Path = build("prod", tmp_path_factory.mktemp("package"))
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


@pytest.fixture(scope="session")
def calls() -> list[Call]:
    """The last run's recording; none is a failure, never a silent pass."""
    recorded = read_recording()
    if not recorded:
        pytest.fail(
            f"no AWS calls were recorded in {recording_dir()}: run the suites first "
            "(make test, or pytest tests/functional), then pytest tests/iam"
        )
    return recorded


@pytest.fixture(scope="session")
def evaluation(template: dict[str, Any], calls: list[Call]) -> Evaluation:
    """The recording judged against the template."""
    return evaluate(template, calls)


def _report(evaluation: Evaluation) -> str:
    lines = ["Permissions granted that no recorded call used (not a failure: review them).", ""]
    for role, unused in sorted(evaluation.unused.items()):
        lines.append(f"{role}:")
        lines.extend(f"  {grant}" for grant in unused or ["(none)"])
    if evaluation.uncalled:
        lines += ["", "Functions whose code made no recorded call: " + ", ".join(evaluation.uncalled)]
    if evaluation.skipped:
        lines += ["", "Calls the tests made that the deployed code does not:"]
        lines.extend(f"  {reason}" for reason in sorted(set(evaluation.skipped)))
    return "\n".join(lines) + "\n"


def test_every_recorded_call_is_allowed_by_its_functions_role(evaluation: Evaluation) -> None:
    report = _report(evaluation)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report)
    print(report)
    denied = sorted({v.describe() for v in evaluation.denied})
    assert not denied, "calls the function's role does not allow:\n" + "\n".join(denied)
    runtime = [f"{role}: {use}" for role, uses in sorted(evaluation.runtime_denied.items()) for use in uses]
    assert not runtime, "what Lambda does on the functions' behalf is not allowed:\n" + "\n".join(runtime)


def test_every_function_of_the_template_is_attributed(template: dict[str, Any]) -> None:
    # A function the recorder cannot name would have its calls ignored, and its role never checked.
    attributed = {*HANDLER_FUNCTIONS.values(), API_FUNCTION, PUBLIC_FUNCTION}
    assert set(functions(template)) == attributed


def _without(template: dict[str, Any], role: str, action: str, arn: str) -> dict[str, Any]:
    """A copy of ``template`` whose ``role`` no longer grants ``action`` on ``arn``."""
    changed = copy.deepcopy(template)
    resolver = Resolver(changed)
    removed = 0
    for policy in changed["Resources"][role]["Properties"]["Policies"]:
        kept = []
        for statement in policy["PolicyDocument"]["Statement"]:
            resources = resolver.value(statement.get("Resource", []))
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            if action in actions and arn in ([resources] if isinstance(resources, str) else resources):
                statement["Action"] = [a for a in actions if a != action]
                removed += 1
            if statement["Action"]:
                kept.append(statement)
        policy["PolicyDocument"]["Statement"] = kept
    assert removed, f"{role} does not grant {action} on {arn} in the first place"
    return changed


def test_the_check_denies_a_call_whose_permission_is_removed(template: dict[str, Any], calls: list[Call]) -> None:
    inbound = Resolver(template).get_att("InboundTable", "Arn")
    role = role_of(template, PUBLIC_FUNCTION).name
    stored = [c for c in calls if c.function == PUBLIC_FUNCTION and c.action == "dynamodb:PutItem"]
    before = [v for v in evaluate(template, stored).verdicts if v.arn == inbound]
    assert before, "the recording has no PutItem on the inbound table by the webhook: run tests/functional first"
    assert all(v.result == "allowed" for v in before)

    after = evaluate(_without(template, role, "dynamodb:PutItem", inbound), stored)

    denied = [v for v in after.denied if v.arn == inbound]
    assert denied and all(v.result == "implicitly denied" and v.role == role for v in denied)
    assert f"{PUBLIC_FUNCTION} (role {role}): dynamodb:PutItem on {inbound}" in denied[0].describe()


def test_the_public_function_cannot_read_cases_audit_or_case_documents(template: dict[str, Any]) -> None:
    resolver = Resolver(template)
    role = role_of(template, PUBLIC_FUNCTION)

    def indexes(table: str) -> list[str]:
        arn = resolver.get_att(table, "Arn")
        declared = template["Resources"][table]["Properties"].get("GlobalSecondaryIndexes", [])
        return [arn] + [f"{arn}/index/{index['IndexName']}" for index in declared]

    forbidden = [("dynamodb:Query", arn) for arn in indexes("CasesTable")]
    forbidden += [(action, arn) for arn in indexes("AuditTable") for action in ("dynamodb:Query", "dynamodb:GetItem")]
    media = resolver.get_att("MediaBucket", "Arn")
    forbidden.append(("s3:GetObject", f"{media}/cases/AN-H27R4X5K/documents/d4f338ca8517458da2c053eac74c8209"))
    assert len(forbidden) > 4  # the cases table has indexes: they are checked too
    allowed = [
        f"{action} on {arn}" for action, arn in forbidden if role.allows(action, arn) == PermissionResult.PERMITTED
    ]
    assert not allowed, f"{role.name} allows what only officers may do:\n" + "\n".join(allowed)
