"""Pytest plugin: record every AWS call each Lambda function's code makes, for ``tests/iam``'s least-privilege check.

A context variable names the function whose code is running: wrappers set it around the Chalice app's HTTP dispatch
(``functions.entrypoints.function_for_path`` of the route) and around each ``chalicelib.handlers`` entry point. Every
botocore call made while it is set (boto3's and PynamoDB's clients alike: both end in ``BaseClient._make_api_call``)
is turned into the IAM actions it needs and the resources they apply to, and kept once per worker. Calls made with
no function named (fixtures seeding data, services called directly, the e2e tests' separate server) are ignored.

Each process appends what it saw to ``build/aws-calls/<worker>.jsonl`` when its session ends (the directory can be
moved with ``SPORTELLO_AWS_CALLS``); the controller clears the directory when a run starts, unless the run is only
``tests/iam``, which reads the recording.
"""

from __future__ import annotations

import contextvars
import functools
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import botocore.signers
import pytest
from botocore.client import BaseClient
from chalice.app import Chalice

from chalicelib import handlers
from functions.entrypoints import function_for_path

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "sportello"  # only the project's app: other tests build small Chalice apps of their own
# ``chalicelib.handlers`` entry point -> the template's logical id of the Lambda function that runs it (via app.py).
HANDLER_FUNCTIONS = {
    "process_inbound_stream": "ProcessInboundMessages",
    "redrive_inbound": "RedriveInbound",
    "refresh_waiting_times": "RefreshWaitingTimes",
    "sweep_reminders": "SweepReminders",
    "send_reminders": "SendReminder",
    "anonymise_ended_cases": "AnonymiseEndedCases",
}
# Where the e2e tests' calls happen is a separate process; a guard keeps any in-process helper of theirs out too.
UNATTRIBUTED_DIRS = ("tests/e2e/",)

_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("lambda_function", default=None)
_seen: dict[tuple[str, str, str, str, str], Call] = {}
_state: dict[str, str | bool] = {"test": "", "enabled": True}

F = TypeVar("F", bound="Callable[..., Any]")


@dataclass(frozen=True, slots=True)
class Call:
    """One IAM action a function's code needed, on a resource named as the code named it.

    ``kind`` is ``table``, ``index`` (``detail`` = index name), ``bucket``, ``object`` (``detail`` = key),
    ``queue``, ``secret`` or ``other``; ``name`` is the table, bucket, queue or secret as called (a queue URL's last
    segment, a secret id); ``test`` is the first test that made it.
    """

    function: str
    action: str
    kind: str
    name: str
    detail: str = ""
    test: str = ""
    presigned: bool = False

    @classmethod
    def from_json(cls, line: str) -> Call:
        """A call from one line of a recording."""
        data: dict[str, Any] = json.loads(line)
        return cls(**data)


def recording_dir() -> Path:
    """Where the workers write their calls."""
    return Path(os.environ.get("SPORTELLO_AWS_CALLS") or ROOT / "build" / "aws-calls")


def read_recording(directory: Path | None = None) -> list[Call]:
    """Every call recorded by the last run (an empty list when there is none)."""
    folder = directory or recording_dir()
    if not folder.is_dir():
        return []
    calls: list[Call] = []
    for path in sorted(folder.glob("*.jsonl")):
        calls.extend(Call.from_json(line) for line in path.read_text().splitlines() if line.strip())
    return calls


# --- from API calls to IAM actions ---------------------------------------------------------------------------------

_TRANSACT_WRITE = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_SQS_BATCHES = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
# IAM authorises these S3 operations as another action (HeadObject needs s3:GetObject, and so on).
_S3_ACTIONS = {
    "HeadObject": "GetObject",
    "ListObjectsV2": "ListBucket",
    "ListObjects": "ListBucket",
    "HeadBucket": "ListBucket",
    "DeleteObjects": "DeleteObject",
    "ListObjectVersions": "ListBucketVersions",
}


def iam_actions(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """``(action, kind, name, detail)`` for each permission one API call needs."""
    if service in ("dynamodb", "dynamodbstreams"):
        return _dynamodb(operation, params)
    if service == "s3":
        return _s3(operation, params)
    if service == "sqs":
        queue = str(params.get("QueueUrl") or params.get("QueueName") or "*").rstrip("/").rsplit("/", 1)[-1]
        return [(f"sqs:{_SQS_BATCHES.get(operation, operation)}", "queue", queue, "")]
    if service == "secretsmanager":
        return [(f"secretsmanager:{operation}", "secret", str(params.get("SecretId", "*")), "")]
    return [(f"{service}:{operation}", "other", "*", "")]


def _dynamodb(operation: str, params: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    if operation == "TransactWriteItems":
        # IAM checks each item of a transaction as the single-item operation it is.
        found = []
        for item in params.get("TransactItems", []):
            for key, action in _TRANSACT_WRITE.items():
                if key in item:
                    found.append((f"dynamodb:{action}", "table", str(item[key]["TableName"]), ""))
        return found
    if operation == "TransactGetItems":
        return [("dynamodb:GetItem", "table", str(item["Get"]["TableName"]), "") for item in params["TransactItems"]]
    if operation in ("BatchWriteItem", "BatchGetItem"):
        return [(f"dynamodb:{operation}", "table", str(table), "") for table in params.get("RequestItems", {})]
    if params.get("IndexName"):
        return [(f"dynamodb:{operation}", "index", str(params["TableName"]), str(params["IndexName"]))]
    if "StreamArn" in params:
        return [(f"dynamodb:{operation}", "stream", str(params["StreamArn"]), "")]
    return [(f"dynamodb:{operation}", "table", str(params.get("TableName", "*")), "")]


def _s3(operation: str, params: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    bucket = str(params.get("Bucket", "*"))
    if operation == "CopyObject":
        source = params["CopySource"]
        if isinstance(source, str):
            src_bucket, _, src_key = source.lstrip("/").partition("/")
        else:
            src_bucket, src_key = str(source["Bucket"]), str(source["Key"])
        return [
            ("s3:GetObject", "object", src_bucket, src_key.split("?", 1)[0]),
            ("s3:PutObject", "object", bucket, str(params["Key"])),
        ]
    action = f"s3:{_S3_ACTIONS.get(operation, operation)}"
    if operation == "DeleteObjects":
        # Naming a version (even S3's "null" one) needs s3:DeleteObjectVersion instead.
        return [
            ("s3:DeleteObjectVersion" if o.get("VersionId") else action, "object", bucket, str(o["Key"]))
            for o in params.get("Delete", {}).get("Objects", [])
        ]
    if "Key" in params:
        return [(action, "object", bucket, str(params["Key"]))]
    return [(action, "bucket", bucket, "")]


def _record(service: str, operation: str, params: dict[str, Any], *, presigned: bool = False) -> None:
    function = _function.get()
    if function is None or not _state["enabled"]:
        return
    for action, kind, name, detail in iam_actions(service, operation, params):
        key = (function, action, kind, name, detail)
        if key not in _seen:
            _seen[key] = Call(function, action, kind, name, detail, str(_state["test"]), presigned)


# --- hooks into botocore, the app and the handlers -----------------------------------------------------------------

# botocore's stubs do not declare this private method: every client's API call goes through it.
_make_api_call: Callable[[BaseClient, str, dict[str, Any]], Any] = getattr(BaseClient, "_make_api_call")  # noqa: B009


def _recording_api_call(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
    if _function.get() is not None:
        _record(self.meta.service_model.service_name, operation_name, api_params)
    return _make_api_call(self, operation_name, api_params)


_presign_url = botocore.signers.generate_presigned_url
_presign_post = botocore.signers.generate_presigned_post


def _recording_presign_url(self: BaseClient, ClientMethod: str, Params: Any = None, *args: Any, **kw: Any) -> Any:
    # A pre-signed URL makes no call now, but whoever follows it acts with the signing role's permissions.
    operation = self.meta.method_to_api_mapping.get(ClientMethod, ClientMethod)
    _record(self.meta.service_model.service_name, operation, dict(Params or {}), presigned=True)
    return _presign_url(self, ClientMethod, Params, *args, **kw)


def _recording_presign_post(self: BaseClient, Bucket: str, Key: str, *args: Any, **kw: Any) -> Any:
    _record("s3", "PutObject", {"Bucket": Bucket, "Key": Key}, presigned=True)
    return _presign_post(self, Bucket, Key, *args, **kw)


def _as_function(name: str, func: F) -> F:
    @functools.wraps(func)
    def tagged(*args: Any, **kwargs: Any) -> Any:
        token = _function.set(name)
        try:
            return func(*args, **kwargs)
        finally:
            _function.reset(token)

    tagged.__dict__["__recorded_function__"] = name
    return cast("F", tagged)


_chalice_call = Chalice.__call__


def _recording_chalice_call(self: Chalice, event: Any, context: Any) -> Any:
    if self.app_name != APP_NAME or not isinstance(event, dict):
        return _chalice_call(self, event, context)
    path = event.get("requestContext", {}).get("resourcePath") or event.get("path") or ""
    token = _function.set(function_for_path(str(path)))
    try:
        return _chalice_call(self, event, context)
    finally:
        _function.reset(token)


_submit = ThreadPoolExecutor.submit


def _submit_in_context(self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    # The webhook stores a batch's messages on a thread pool: the function's name must follow the work there.
    if _function.get() is None:
        return _submit(self, fn, *args, **kwargs)
    return _submit(self, contextvars.copy_context().run, fn, *args, **kwargs)


def install() -> None:
    """Patch botocore, Chalice, the handlers and the thread pool (once per process)."""
    if getattr(BaseClient, "_make_api_call") is _recording_api_call:  # noqa: B009
        return
    setattr(BaseClient, "_make_api_call", _recording_api_call)  # noqa: B010
    # Client classes take these from the module when they are built, so clients made from now on record presigns.
    botocore.signers.generate_presigned_url = _recording_presign_url
    botocore.signers.generate_presigned_post = _recording_presign_post
    Chalice.__call__ = _recording_chalice_call  # type: ignore[method-assign]
    setattr(ThreadPoolExecutor, "submit", _submit_in_context)  # noqa: B010 - a looser signature than the stub's
    for attribute, function in HANDLER_FUNCTIONS.items():
        setattr(handlers, attribute, _as_function(function, getattr(handlers, attribute)))


# --- pytest hooks --------------------------------------------------------------------------------------------------


def _only_iam(config: pytest.Config) -> bool:
    """Whether this run only evaluates a recording (``pytest tests/iam``): it must not clear it."""
    base = config.invocation_params.dir
    iam = ROOT / "tests" / "iam"
    paths = [(base / str(arg).split("::", 1)[0]).resolve() for arg in config.args]
    return bool(paths) and all(path == iam or iam in path.parents for path in paths)


def pytest_configure(config: pytest.Config) -> None:
    """Clear the last recording (controller only) and start recording."""
    if _only_iam(config):
        return
    if not hasattr(config, "workerinput"):
        shutil.rmtree(recording_dir(), ignore_errors=True)
    install()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Remember which test is running (for the report) and keep the e2e tests unattributed."""
    _state["test"] = item.nodeid
    _state["enabled"] = not item.nodeid.startswith(UNATTRIBUTED_DIRS)
    try:
        return (yield)
    finally:
        _state["test"] = ""


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Append this process's calls to its own file."""
    if not _seen:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    folder = recording_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{worker}.jsonl").open("a") as out:
        for call in _seen.values():
            out.write(json.dumps(asdict(call), separators=(",", ":")) + "\n")
    _seen.clear()
