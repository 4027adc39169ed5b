"""Benchmark: cold start from the unzipped prod package, and the package's size, against moto's server on loopback.

Builds the prod package once (``infra.package.build``: chalice's zip, then ``infra.bundle.optimise``), unzips it
twice, the second copy without its ``__pycache__`` directories, and runs fresh processes of each kind below from
each copy, all alternated (so the machine's noise falls on every kind alike). Each is ``python -I -S -B``: no
site-packages or user path (only what the zip carries), and no bytecode written, as on Lambda's read-only file
system. Every figure is the time from the parent's spawning the process to the moment the child reached the mark
(``time.monotonic``, one clock for every process on Linux), so it includes the interpreter's own start:
- ``python -c pass``: the interpreter alone, for scale;
- ``import boto3`` alone, and ``import app`` (what Lambda's init phase imports for every function);
- the first request through the Chalice app (``app.app(event, context)`` with an API Gateway proxy event): a signed
  ``POST /webhook`` with one message (its signature checked with the app secret read from Secrets Manager, as in
  AWS), ``GET /u/{token}`` for a real link, and ``GET /api/cases`` with an officer's ID token (the local issuer's
  keys and cursor key from the environment: in AWS, a JWKS fetch and a Secrets Manager read more), each from
  process start to the handler's answer, in the function that serves it (``SPORTELLO_FUNCTION``);
- a bare fresh process doing ``boto3.client("dynamodb").put_item(...)``: the floor of any first write.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from bench.environment import LocalAws

RUNS = 15
KINDS = ("python", "boto3", "app", "put", "webhook", "page", "cases")
VARIANTS = ("bytecode", "source")
SDK = ("boto3", "botocore", "s3transfer")
# Which deployed function serves each request (functions/entry.py refuses a path sent to the other one).
FUNCTIONS = {"webhook": "PublicHandler", "page": "PublicHandler", "cases": "APIHandler"}
TARGET_ZIP_MB = 20.0
TARGET_IMPORT = 1.2  # x import boto3 alone
TARGET_ACK = 1.5  # x a bare fresh-process PutItem

# The child: marks are time.monotonic() values, which the parent compares with its own from before the spawn.
CHILD = """\
import time
import json, sys
package, kind, argument = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path.insert(0, package)
marks = {}
if kind == "boto3":
    import boto3
elif kind == "put":
    import boto3
    marks["imported"] = time.monotonic()
    boto3.client("dynamodb").put_item(**argument)
elif kind != "python":
    import app
    marks["imported"] = time.monotonic()
    if kind != "app":
        class Context:
            aws_request_id = "bench-cold-start"
            function_name = "sportello-prod"
            memory_limit_in_mb = "512"
            invoked_function_arn = "arn:aws:lambda:eu-south-1:000000000000:function:sportello-prod"
            def get_remaining_time_in_millis(self):
                return 30000
        response = app.app(argument, Context())
        assert response["statusCode"] == 200, response
marks["done"] = time.monotonic()
print(json.dumps(marks))
"""


def _build(out: Path) -> Path:
    """The prod package's zip, as ``make package`` makes it."""
    from infra import package

    package.build("prod", out)
    return out / "deployment.zip"


def _unzip(archive: Path, into: Path, *, bytecode: bool) -> Path:
    with zipfile.ZipFile(archive) as z:
        z.extractall(into)
    if not bytecode:
        for cache in sorted(into.rglob("__pycache__")):
            shutil.rmtree(cache)
    return into


def _sizes(archive: Path) -> dict[str, float]:
    """Megabytes (10^6 bytes): the zip, unpacked, and the zip's share of bytecode, the SDK and botocore's data."""
    with zipfile.ZipFile(archive) as z:
        infos = z.infolist()
    mb = 1e6
    return {
        "zip": archive.stat().st_size / mb,
        "unpacked": sum(i.file_size for i in infos) / mb,
        "entries": len(infos),
        "pycs": sum(i.filename.endswith(".pyc") for i in infos),
        "pyc_zip": sum(i.compress_size for i in infos if i.filename.endswith(".pyc")) / mb,
        "sdk_zip": sum(i.compress_size for i in infos if i.filename.split("/")[0].split("-")[0] in SDK) / mb,
        "data_zip": sum(i.compress_size for i in infos if i.filename.startswith("botocore/data/")) / mb,
        "services": len({i.filename.split("/")[2] for i in infos if i.filename.count("/") > 2 and
                         i.filename.startswith("botocore/data/")}),
    }  # fmt: skip


def _whatsapp_secret(local: LocalAws) -> str:
    """The WhatsApp secrets in Secrets Manager, as in AWS (where the first webhook reads them to check the
    signature), rather than in the ``WHATSAPP_*`` variables that stand in for them locally; the secret's id."""
    from chalicelib.adapters.secrets import ENV_NAMES

    values = {field: os.environ[variable] for field, variable in ENV_NAMES.items()}
    client = local.session.client("secretsmanager", region_name=local.region)
    arn: str = client.create_secret(Name="sportello/bench-cold-start", SecretString=json.dumps(values))["ARN"]
    return arn


def _environment(home: Path, secret_id: str, officer: dict[str, str]) -> dict[str, str]:
    """What a Lambda function's process gets: the app's variables, AWS's, and nothing of this machine's."""
    from devtools.local_aws import load_template, resolve

    names = set(resolve(load_template()).environment)
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_") or k in names or k == "LOG_LEVEL"}
    env = {k: v for k, v in env.items() if not k.startswith("WHATSAPP_")} | {"WHATSAPP_SECRET_ID": secret_id}
    # An empty HOME: botocore would otherwise read this user's ~/.aws files, which Lambda does not have.
    return env | officer | {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8"}


def _proxy_event(method: str, resource: str, path: str, headers: dict[str, str], body: str | None) -> dict[str, Any]:
    """An API Gateway (REST, Lambda proxy) event as Chalice's handler reads it."""
    parameters = {"token": path.rsplit("/", 1)[1]} if "{token}" in resource else None
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/api{path}",
            "stage": "api",
            "requestId": "bench-cold-start",
            "identity": {"sourceIp": "192.0.2.10"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


class Arguments:
    """Each child's argument: a fresh message, link or item every time (a redelivery or a reused link would take
    another path); the links are made in the parent, through the app's own code, before the timed runs."""

    def __init__(self, runs: int) -> None:
        from bench.upload_page import _new_case
        from chalicelib.bootstrap import container

        c = container()
        self.secret = os.environ["WHATSAPP_APP_SECRET"]
        self.table = c.settings.applicants_table
        self.tokens = [_new_case(c, 9_000_000 + i)[1] for i in range((runs + 1) * len(VARIANTS))]
        self.serial = 0
        self.officer_token = ""

    def __call__(self, kind: str) -> dict[str, Any]:
        from bench.webhook_ack import _payload
        from chalicelib.whatsapp.signature import sign

        self.serial += 1
        if kind == "put":
            item = {"applicant_key": {"S": f"cold#{self.serial}"}, "n": {"N": str(self.serial)}}
            return {"TableName": self.table, "Item": item}
        if kind == "webhook":
            body = json.dumps(_payload(77_000_000 + self.serial * 1000, 1, 10_000), separators=(",", ":"))
            headers = {"content-type": "application/json", "x-hub-signature-256": sign(self.secret, body.encode())}
            return _proxy_event("POST", "/webhook", "/webhook", headers, body)
        if kind == "page":
            return _proxy_event("GET", "/u/{token}", f"/u/{self.tokens.pop()}", {"accept": "text/html"}, None)
        if kind == "cases":
            headers = {"authorization": f"Bearer {self.officer_token}", "accept": "application/json"}
            return _proxy_event("GET", "/api/cases", "/api/cases", headers, None)
        return {}


def _officer(directory: Path) -> tuple[dict[str, str], str]:
    """The API's authentication settings for a throwaway local issuer, and an officer's ID token from it."""
    from devtools.local_auth import issuer_for, local_auth_environment, mint_id_token, signing_key

    api = "http://127.0.0.1:8000"
    env = local_auth_environment(api, {}, directory)
    token = mint_id_token(signing_key(directory), issuer=issuer_for(api), office="AN", role="officer")
    return env, token


def _spawn(package: Path, kind: str, argument: dict[str, Any], env: dict[str, str]) -> dict[str, float]:
    """One fresh process; seconds from the spawn to each of its marks, and to its exit."""
    command = [sys.executable, "-I", "-S", "-B", "-c", CHILD, str(package), kind, json.dumps(argument)]
    started = time.monotonic()
    result = subprocess.run(command, env=env, cwd=package, capture_output=True, text=True, check=False, timeout=120)
    ended = time.monotonic()
    if result.returncode != 0:
        raise RuntimeError(f"{kind} from {package.name}: {result.stderr[-3000:]}")
    marks: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return {name: at - started for name, at in marks.items()} | {"exit": ended - started}


def run(local: LocalAws, runs: int = RUNS) -> dict[str, Any]:
    """Build, unzip, then time ``runs`` fresh processes of every kind from each copy, alternated (the children
    reach ``local``'s moto server through the environment it set)."""
    with tempfile.TemporaryDirectory(prefix="cold-start-") as scratch:
        root = Path(scratch)
        started = time.perf_counter()
        archive = _build(root / "package")
        build_s = time.perf_counter() - started
        copies = {v: _unzip(archive, root / v, bytecode=v == "bytecode") for v in VARIANTS}
        (root / "home").mkdir()
        officer_env, officer_token = _officer(root / "issuer")
        env = _environment(root / "home", _whatsapp_secret(local), officer_env)
        arguments = Arguments(runs)
        arguments.officer_token = officer_token
        samples: dict[tuple[str, str], list[dict[str, float]]] = {(v, k): [] for v in VARIANTS for k in KINDS}
        for _ in range(runs + 1):
            for variant in VARIANTS:
                for kind in KINDS:
                    function = {"SPORTELLO_FUNCTION": FUNCTIONS.get(kind, "APIHandler")}
                    samples[variant, kind].append(_spawn(copies[variant], kind, arguments(kind), env | function))
        sizes = _sizes(archive)
    # The first round warms the machine's page cache for both copies (Lambda's is warm too: the code is on local
    # disk by the time init starts); it is not counted.
    medians = {
        key: {mark: statistics.median(s[mark] for s in runs_[1:]) * 1000 for mark in runs_[0]}
        for key, runs_ in samples.items()
    }
    return {"sizes": sizes, "medians": medians, "runs": runs, "build_s": build_s}


def report(figures: dict[str, Any], emit: Callable[[str], None] = print) -> None:
    """Print the figures as the Markdown that goes in BENCHMARKS.md."""
    s, m, n = figures["sizes"], figures["medians"], figures["runs"]
    emit(
        f"Package built in {figures['build_s']:.0f} s: **{s['zip']:.1f} MB** zip ({s['unpacked']:.1f} MB unpacked, "
        f"{s['entries']} entries, {s['pycs']} pycs taking {s['pyc_zip']:.1f} MB of the zip); boto3 + botocore + "
        f"s3transfer {s['sdk_zip']:.1f} MB of it, of which botocore's data {s['data_zip']:.1f} MB "
        f"({s['services']} services). Target ≤ {TARGET_ZIP_MB:.0f} MB → "
        f"{'met' if s['zip'] <= TARGET_ZIP_MB else 'NOT met'}.\n"
    )
    emit(f"Medians of {n} fresh processes of each kind, alternated; ms from spawn.\n")
    emit("| fresh process | with bytecode: imported | ready | without: imported | ready |")
    emit("|---|---:|---:|---:|---:|")
    rows = [
        ("python", "`python -I -S -c pass` (interpreter start)"),
        ("boto3", "`import boto3`"),
        ("app", "`import app`"),
        ("put", "`boto3.client('dynamodb').put_item(...)`"),
        ("webhook", "first `POST /webhook` (1 message, signed) → 200"),
        ("page", "first `GET /u/{token}` → 200"),
        ("cases", "first `GET /api/cases` (officer's token) → 200"),
    ]

    def cell(variant: str, kind: str, mark: str) -> str:
        value = m[variant, kind].get(mark)
        return "" if value is None else f"{value:.0f}"

    for kind, label in rows:
        emit(
            f"| {label} | {cell('bytecode', kind, 'imported')} | {cell('bytecode', kind, 'done')} | "
            f"{cell('source', kind, 'imported')} | {cell('source', kind, 'done')} |"
        )
    emit("")
    for variant in VARIANTS:
        boto3, app = m[variant, "boto3"]["done"], m[variant, "app"]["done"]
        put, ack = m[variant, "put"]["done"], m[variant, "webhook"]["done"]
        emit(
            f"- {variant}: `import app` / `import boto3` = **{app / boto3:.2f}** (target ≤ {TARGET_IMPORT}: "
            f"{'met' if app <= TARGET_IMPORT * boto3 else 'NOT met'}); first webhook ack / bare fresh PutItem = "
            f"**{ack / put:.2f}** (target ≤ {TARGET_ACK}: {'met' if ack <= TARGET_ACK * put else 'NOT met'}); "
            f"first upload page {m[variant, 'page']['done'] / put:.2f}, first `GET /api/cases` "
            f"{m[variant, 'cases']['done'] / put:.2f} x the bare PutItem."
        )
    with_, without = m["bytecode", "app"]["done"], m["source", "app"]["done"]
    emit(f"- Bytecode: `import app` {without:.0f} → {with_:.0f} ms ({without / with_:.1f}x faster).")
