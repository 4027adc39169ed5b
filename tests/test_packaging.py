"""The deployment package: ``functions/`` ships at the zip root and every Lambda handler imports from it.

``chalice local`` and pytest import from the project root, so a missing ``vendor/functions`` link only shows in
AWS, as ``No module named 'functions'`` in every blueprint handler. These tests build the real package.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra.package import build
from tests.conftest import ROOT

pytestmark = pytest.mark.packaging


def test_vendor_functions_links_to_functions() -> None:
    assert (ROOT / "vendor" / "functions").is_symlink()
    assert (ROOT / "vendor" / "functions").resolve() == ROOT / "functions"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make package``'s output for prod: the zip and the finished template."""
    out = tmp_path_factory.mktemp("package") / "out"
    build("prod", out)
    return out


def _template(package: Path) -> dict[str, Any]:
    template: dict[str, Any] = json.loads((package / "sam.json").read_text())
    return template


def _unzip(package: Path, into: Path) -> list[str]:
    """The zip's entry names, the zip extracted into ``into``."""
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        archive.extractall(into)
        return archive.namelist()


def _isolated(script: str, *args: str, cwd: Path, env: dict[str, str]) -> str:
    """``script``'s output in a fresh ``python -I -S -B``: no site-packages, no user path, no bytecode written, so
    only what the zip carries is importable (as on Lambda, whose file system is read-only)."""
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", script, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _handlers(package: Path) -> dict[str, str]:
    template = _template(package)
    return {
        name: resource["Properties"]["Handler"]
        for name, resource in template["Resources"].items()
        if resource.get("Type") == "AWS::Serverless::Function"
    }


def test_the_zip_holds_functions_and_every_handler_module(package: Path) -> None:
    names = set(zipfile.ZipFile(package / "deployment.zip").namelist())
    assert "functions/__init__.py" in names and "functions/webhook.py" in names
    assert "functions/openapi.json" in names  # served by GET /openapi.json, read from next to functions/openapi.py
    assert "functions/upload.js" in names  # served by GET /assets/upload.js
    assert "chalicelib/i18n/locales/it/messages.po" in names and "chalicelib/i18n/locales/ar/upload.po" in names
    for handler in _handlers(package).values():
        module = handler.rsplit(".", 1)[0].replace(".", "/")
        assert f"{module}.py" in names or f"{module}/__init__.py" in names, handler


def test_every_handler_imports_from_the_unzipped_package(package: Path, tmp_path: Path) -> None:
    _unzip(package, tmp_path)
    script = (
        "import importlib, sys\n"
        "sys.path.insert(0, '.')\n"
        "for h in sys.argv[1:]:\n"
        "    m, f = h.rsplit('.', 1)\n"
        "    getattr(importlib.import_module(m), f)\n"
    )
    env = {"PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "eu-south-1"}
    _isolated(script, *_handlers(package).values(), cwd=tmp_path, env=env)


def test_the_unzipped_package_serves_the_openapi_document(package: Path, tmp_path: Path) -> None:
    _unzip(package, tmp_path)
    script = "import sys; sys.path.insert(0, '.'); from functions.openapi import document; print(document(), end='')"
    served = _isolated(script, cwd=tmp_path, env={"PATH": os.environ["PATH"]})
    assert json.loads(served) == json.loads((ROOT / "functions" / "openapi.json").read_text())


def test_the_merged_template_wires_the_stream_and_the_environment(package: Path) -> None:
    template = _template(package)
    source = template["Resources"]["ProcessInboundMessages"]["Properties"]["Events"][
        "ProcessInboundMessagesDynamodbEventSource"
    ]["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["InboundTable", "StreamArn"]}
    assert source["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["InboundFailuresQueue", "Arn"]}
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["INBOUND_TABLE"] == {"Ref": "InboundTable"}


def _references(node: object) -> set[str]:
    """Every logical id ``node`` names through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".")[0])
            elif key == "Fn::Sub":
                text, extra = (value, {}) if isinstance(value, str) else (value[0], value[1])
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)} | _references(extra)
            else:
                found |= _references(value)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item)
    return found


def test_the_merged_template_has_no_circular_dependency(package: Path) -> None:
    """CloudFormation refuses a cycle (and cfn-lint does not see one that goes through SAM's Globals): e.g. a
    function's environment naming the API, whose integration names the function."""
    template = _template(package)
    resources = template["Resources"]
    shared = _references(template.get("Globals", {}).get("Function", {}))
    graph = {
        name: (_references(body) | (shared if body["Type"] == "AWS::Serverless::Function" else set())) & set(resources)
        for name, body in resources.items()
    }

    def cycle_from(start: str) -> list[str] | None:
        path, seen = [start], set()
        stack = [(start, iter(sorted(graph[start])))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                seen.add(node)
            elif child == start:
                return [*path, start]
            elif child not in seen and child not in path:
                path.append(child)
                stack.append((child, iter(sorted(graph[child]))))
        return None

    cycles = [cycle for name in graph if (cycle := cycle_from(name))]
    assert cycles == [], cycles[0]


def _integrations(template: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(path, method) -> the function API Gateway invokes."""
    found = {}
    for path, methods in template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"].items():
        for method, body in methods.items():
            integration = body.get("x-amazon-apigateway-integration", {})
            if integration.get("type") == "aws_proxy":
                found[(path, method)] = re.findall(r"\$\{(\w+)\.Arn\}", integration["uri"]["Fn::Sub"])[0]
    return found


def test_public_paths_reach_the_public_function_and_the_api_its_own(package: Path) -> None:
    template = _template(package)
    routes = _integrations(template)
    assert routes[("/webhook", "post")] == routes[("/u/{token}", "get")] == routes[("/info", "get")] == "PublicHandler"
    assert routes[("/console", "get")] == routes[("/openapi.json", "get")] == "PublicHandler"
    assert {f for (path, _), f in routes.items() if path.startswith("/api/")} == {"APIHandler"}
    resources = template["Resources"]
    public, api = resources["PublicHandler"]["Properties"], resources["APIHandler"]["Properties"]
    assert public["Role"] == {"Fn::GetAtt": ["PublicHandlerRole", "Arn"]} != api["Role"]
    assert public["Environment"]["Variables"]["SPORTELLO_FUNCTION"] == "PublicHandler"
    assert api["Environment"]["Variables"]["SPORTELLO_FUNCTION"] == "APIHandler"
    assert resources["PublicHandlerInvokePermission"]["Properties"]["FunctionName"] == {"Ref": "PublicHandler"}


def test_make_package_builds_prod(package: Path) -> None:
    resources = _template(package)["Resources"]
    for name in ("APIHandler", "PublicHandler", "ProcessInboundMessages"):
        assert resources[name]["Properties"]["Environment"]["Variables"]["LOG_LEVEL"] == "INFO"
        assert resources[name]["Properties"]["Tags"]["sportello:stage"] == "prod"
    assert resources["ProcessInboundMessages"]["Properties"]["Timeout"] == 120


def test_every_function_logs_to_its_own_group_with_retention_and_is_traced(package: Path) -> None:
    template = _template(package)
    resources = template["Resources"]
    functions = [n for n, r in resources.items() if r.get("Type") == "AWS::Serverless::Function"]
    assert len(functions) == 8
    for name in functions:
        properties = resources[name]["Properties"]
        group = properties["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert properties["Tracing"] == "Active"
        role = resources[properties["Role"]["Fn::GetAtt"][0]]
        statements = [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
        logs = [s for s in statements if any(str(a).startswith("logs:") for a in s["Action"])]
        assert logs == [s for s in statements if s.get("Sid") == "Logs"]
        assert [s["Resource"] for s in logs] == [{"Fn::GetAtt": [group, "Arn"]}], name  # its group only
        assert "logs:CreateLogGroup" not in logs[0]["Action"]
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 30
    assert resources["RestAPI"]["Properties"]["TracingEnabled"] is True


# Tables that hold nothing about a person, and why; every other table must expire its items.
NO_PERSONAL_DATA = {"SummariesTable": "per-office figures computed for the public page: counts, no case, no person"}


def test_every_table_with_personal_data_expires_and_the_documents_have_a_lifecycle(package: Path) -> None:
    from chalicelib.settings import Settings

    resources = _template(package)["Resources"]
    tables = {n for n, r in resources.items() if r.get("Type") == "AWS::DynamoDB::Table"}
    assert set(NO_PERSONAL_DATA) <= tables
    for name in sorted(tables - set(NO_PERSONAL_DATA)):
        ttl = resources[name]["Properties"].get("TimeToLiveSpecification")
        assert ttl == {"AttributeName": "expires_at", "Enabled": True}, name
    # Documents: tagged at closing and gone the set days later; whatever escapes the tag, after 400 days; the
    # quarantine's bodies and unconfirmed uploads as before.
    rules = {r["Id"]: r for r in resources["MediaBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]}
    closed = rules["closed-case-documents"]
    assert (closed["Status"], closed["Prefix"], closed["TagFilters"]) == (
        "Enabled",
        "cases/",
        [{"Key": "retention", "Value": "closed"}],
    )
    assert closed["ExpirationInDays"] == Settings.__dataclass_fields__["document_retention_days"].default
    backstop = rules["case-documents-backstop"]
    assert (backstop["Status"], backstop["Prefix"], backstop["ExpirationInDays"]) == ("Enabled", "cases/", 400)
    assert "TagFilters" not in backstop
    assert {r["Prefix"] for r in rules.values()} == {"cases/", "quarantine/", "uploads/"}
    assert all(r["Status"] == "Enabled" and r["ExpirationInDays"] >= 1 for r in rules.values())
    # The API, which closes cases, may tag their files (a copy onto itself with the tag: see services/retention).
    statements = resources["ApiHandlerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    tagging = [s for s in statements if "s3:PutObjectTagging" in s["Action"]]
    assert [s["Resource"] for s in tagging] == [{"Fn::Sub": "${MediaBucket.Arn}/cases/*"}]


def test_alarms_cover_dead_letters_backlog_faults_5xx_latency_and_meta_failures(package: Path) -> None:
    resources = _template(package)["Resources"]
    alarms = {n: r["Properties"] for n, r in resources.items() if r.get("Type") == "AWS::CloudWatch::Alarm"}
    metrics = {(a["Namespace"], a["MetricName"]) for a in alarms.values()}
    assert {("AWS/SQS", "ApproximateNumberOfMessagesVisible"), ("AWS/Lambda", "IteratorAge")} <= metrics
    assert {("AWS/ApiGateway", "5XXError"), ("AWS/ApiGateway", "Latency")} <= metrics
    assert {("Sportello", "ReminderSendFailures"), ("Sportello", "TemplateFailures")} <= metrics
    functions = [n for n, r in resources.items() if r.get("Type") == "AWS::Serverless::Function"]
    for name in functions:
        for metric in ("Errors", "Throttles"):
            assert alarms[f"{name}{metric}Alarm"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": name}}]
    webhook = alarms["WebhookLatencyAlarm"]
    assert (webhook["ExtendedStatistic"], webhook["Threshold"]) == ("p99", 1000)
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms.values())
    assert resources["AlarmEmailSubscription"]["Condition"] == "HasAlarmEmail"
    json.loads(resources["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])  # valid JSON once substituted


def test_officers_must_use_an_authenticator_app(package: Path) -> None:
    pool = _template(package)["Resources"]["UserPool"]["Properties"]
    assert pool["MfaConfiguration"] == "ON" and pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": {"Ref": "ThreatProtection"}}


# Bytecode and size (issue 13, cold start): Lambda's file system is read-only, so a module without a usable pyc in
# the zip is compiled from source on every cold start.

CPYTHON_311_MAGIC = (3495).to_bytes(2, "little") + b"\r\n"  # the last magic number of CPython 3.11
UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, source not checked


def _pyc_of(source: str) -> str:
    folder, _, file = source.rpartition("/")
    return f"{folder}/__pycache__/{file[:-3]}.cpython-311.pyc".lstrip("/")


def test_the_zip_holds_a_python_311_pyc_for_every_module(package: Path) -> None:
    names = set(zipfile.ZipFile(package / "deployment.zip").namelist())
    sources = {n for n in names if n.endswith(".py")}
    own = {n for n in sources if n == "app.py" or n.startswith(("chalicelib/", "functions/"))}
    assert "app.py" in own and "chalicelib/bootstrap.py" in own and "functions/webhook.py" in own
    for dependency in ("boto3", "botocore", "pynamodb", "chalice", "requests", "jwt", "cryptography", "holidays"):
        assert f"{dependency}/__init__.py" in sources, dependency
    assert sorted(s for s in sources if _pyc_of(s) not in names) == []
    pycs = {n for n in names if n.endswith(".pyc")}
    # No other interpreter's or the build machine's caches, and no pyc without its source.
    assert pycs == {_pyc_of(s) for s in sources}


def test_the_pycs_are_unchecked_hash_ones_of_their_own_source(package: Path) -> None:
    import importlib.util

    with zipfile.ZipFile(package / "deployment.zip") as archive:
        for name in sorted(n for n in archive.namelist() if n.endswith(".py")):
            source, pyc = archive.read(name), archive.read(_pyc_of(name))
            assert pyc[:4] == CPYTHON_311_MAGIC, name
            assert int.from_bytes(pyc[4:8], "little") == UNCHECKED_HASH, name
            assert pyc[8:16] == importlib.util.source_hash(source), name


# Records every module compiled from source (SourceLoader.get_code calls source_to_code only when it has no valid
# pyc), imports the app and every handler from the package, then a probe module that has no pyc, which must be seen
# compiled: the proof that the recorder works.
USES_BYTECODE = """\
import importlib.machinery, json, sys
compiled = []
original = importlib.machinery.SourceFileLoader.source_to_code
def recording(self, data, path, *, _optimize=-1):
    compiled.append(path)
    return original(self, data, path, _optimize=_optimize)
importlib.machinery.SourceFileLoader.source_to_code = recording
task, probe = sys.argv[1], sys.argv[2]
sys.path[:0] = [task, probe]
import app
for handler in sys.argv[3:]:
    importlib.import_module(handler.rsplit(".", 1)[0])
import cold_probe
loaded = [m.__spec__.origin for m in list(sys.modules.values()) if getattr(m, "__spec__", None) and
          (m.__spec__.origin or "").startswith(task) and m.__spec__.origin.endswith(".py")]
print(json.dumps({"compiled": compiled, "loaded": loaded, "dont_write": sys.flags.dont_write_bytecode}))
"""


def _read_only(tree: Path, *, writable: bool = False) -> None:
    for path in [tree, *tree.rglob("*")]:
        if not path.is_symlink():
            path.chmod((0o755 if path.is_dir() else 0o644) if writable else (0o555 if path.is_dir() else 0o444))


def test_a_fresh_process_runs_the_app_from_the_bytecode(package: Path, tmp_path: Path) -> None:
    task, probe = tmp_path / "task", tmp_path / "probe"
    _unzip(package, task)
    probe.mkdir()
    (probe / "cold_probe.py").write_text("VALUE = 1\n")
    env = {"PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "eu-south-1", "PYTHONDONTWRITEBYTECODE": "1"}
    # As on Lambda: read-only, nothing but the zip on the path. -I ignores PYTHON* variables, so -B says it too (and
    # is what keeps root, for whom the modes do not count, from writing caches).
    _read_only(task)
    _read_only(probe)
    try:
        output = _isolated(USES_BYTECODE, str(task), str(probe), *_handlers(package).values(), cwd=task, env=env)
    finally:
        _read_only(task, writable=True)
        _read_only(probe, writable=True)
    report = json.loads(output.splitlines()[-1])
    assert report["compiled"] == [str(probe / "cold_probe.py")]  # the recorder works, and saw nothing else compiled
    loaded = {Path(origin).relative_to(task).as_posix() for origin in report["loaded"]}
    assert {"app.py", "chalicelib/bootstrap.py", "functions/webhook.py", "chalice/app.py"} <= loaded
    assert report["dont_write"] == 1 and not (probe / "__pycache__").exists()


def test_the_zip_keeps_the_botocore_models_the_code_uses_and_they_load(package: Path, tmp_path: Path) -> None:
    names = _unzip(package, tmp_path)
    services = {n.split("/")[2] for n in names if n.startswith("botocore/data/") and n.count("/") > 2}
    assert {"dynamodb", "dynamodbstreams", "s3", "sqs", "secretsmanager", "sts"} <= services
    assert "ec2" not in services and len(services) < 20
    for shared in ("endpoints.json", "partitions.json", "_retry.json", "sdk-default-configuration.json"):
        assert f"botocore/data/{shared}" in names
    # Every client the code makes, built from the zip alone (no request: the endpoint is resolved, not called).
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import boto3\n"
        "for s in ('dynamodb', 'dynamodbstreams', 's3', 'sqs', 'secretsmanager', 'sts'):\n"
        "    c = boto3.session.Session().client(s, region_name='eu-south-1')\n"
        "    assert c.meta.endpoint_url.startswith('https://'), c.meta.endpoint_url\n"
        "    c.meta.service_model.operation_names\n"
    )
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    _isolated(script, str(tmp_path), cwd=tmp_path, env=env)


# Babel's CLDR data, cut down to the chat's languages (infra/bundle.py): a date, a list, a plural and an amount in
# each of them, from the unzipped package alone.
FORMATS_EVERY_LANGUAGE = """\
import json, sys
sys.path.insert(0, sys.argv[1])
from datetime import date
from chalicelib.i18n import formats
from chalicelib.i18n.languages import languages
out = {}
for lang in languages():
    c = lang.code
    out[c] = [formats.format_date(date(2025, 12, 11), c, "full"), formats.join_list(["A", "B", "C"], c),
              formats.plural("info.html.median", 3, c), formats.format_money(7046, c),
              formats.format_time_range("09:00", "12:30", c), formats.format_date(date(2025, 12, 11), c, "MMMEd")]
print(json.dumps(out, ensure_ascii=False))
"""


def test_the_unzipped_package_formats_every_language_from_its_own_cldr_data(package: Path, tmp_path: Path) -> None:
    names = _unzip(package, tmp_path)
    data = {n.rpartition("/")[2] for n in names if n.startswith("babel/locale-data/")}
    assert {"root.dat", "it.dat", "ar.dat", "zh_Hans.dat", "en_IT.dat", "uk.dat"} <= data
    assert "de.dat" not in data and len(data) < 25  # not Babel's ~1,100 locales
    output = _isolated(FORMATS_EVERY_LANGUAGE, str(tmp_path), cwd=tmp_path, env={"PATH": os.environ["PATH"]})
    formatted = json.loads(output)
    assert len(formatted) == 10
    assert formatted["ar"][:3] == ["الخميس، 11 ديسمبر 2025", "A وB وC", "نصف المعاملات خلال 3 أيام أو أقل"]
    assert formatted["zh_Hans"][:2] == ["2025年12月11日星期四", "A、B和C"]
    assert formatted["uk"][2].endswith("3 дні") and formatted["en"][0] == "Thursday, 11 December 2025"
    for code, (day, joined, median, amount, hours, short) in formatted.items():
        assert "2025" in day and "B" in joined and "3" in median and "70" in amount and "12:30" in hours, code
        assert "11" in short, code


def test_the_zip_is_under_20_mb(package: Path) -> None:
    assert (package / "deployment.zip").stat().st_size <= 20_000_000


def test_optimising_is_deterministic_and_idempotent(tmp_path: Path) -> None:
    from infra.bundle import optimise

    def write(path: Path, entries: list[tuple[str, bytes]], date: tuple[int, int, int, int, int, int]) -> None:
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in entries:
                archive.writestr(zipfile.ZipInfo(name, date), data)

    entries = [
        ("app.py", b"VALUE = 1\n"),
        ("__pycache__/app.cpython-311.pyc", b"stale"),
        ("lib/__pycache__/x.cpython-39.pyc", b"another interpreter's"),
        ("lib/x.py", b"def f() -> int:\n    return 2\n"),
        ("botocore/data/endpoints.json", b"{}"),
        ("botocore/data/dynamodb/2012-08-10/service-2.json.gz", b"kept"),
        ("botocore/data/ec2/2016-11-15/service-2.json.gz", b"dropped"),
    ]
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    write(first, entries, (2024, 5, 6, 7, 8, 10))
    write(second, entries[::-1], (2025, 1, 2, 3, 4, 6))
    optimise(first)
    optimise(second)
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(first).namelist()
    assert names == sorted(names)
    assert "botocore/data/ec2/2016-11-15/service-2.json.gz" not in names
    assert {"__pycache__/app.cpython-311.pyc", "lib/__pycache__/x.cpython-311.pyc"} <= set(names)
    assert "lib/__pycache__/x.cpython-39.pyc" not in names
    again = first.read_bytes()
    optimise(first)
    assert first.read_bytes() == again


def test_api_gateways_own_answers_use_the_error_shape_and_the_security_headers(package: Path) -> None:
    responses = _template(package)["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    missing = responses["MISSING_AUTHENTICATION_TOKEN"]  # a path no route has: 404, not a 403 about tokens
    assert missing["StatusCode"] == "404"
    assert json.loads(missing["ResponseTemplates"]["application/json"])["error"]["code"] == "not_found"
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED"):
        body = json.loads(responses[kind]["ResponseTemplates"]["application/json"])
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
        headers = responses[kind]["ResponseParameters"]["Headers"]
        assert headers["Strict-Transport-Security"].startswith("'max-age=")
        assert headers["X-Content-Type-Options"] == "'nosniff'"
