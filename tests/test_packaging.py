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

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.packaging


def test_vendor_functions_links_to_functions() -> None:
    assert (ROOT / "vendor" / "functions").is_symlink()
    assert (ROOT / "vendor" / "functions").resolve() == ROOT / "functions"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package") / "out"
    chalice = Path(sys.executable).parent / "chalice"
    env = {**os.environ, "AWS_DEFAULT_REGION": "eu-south-1"}
    result = subprocess.run(
        [str(chalice), "package", "--merge-template", "infra/resources.json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return out


def _handlers(package: Path) -> dict[str, str]:
    template = json.loads((package / "sam.json").read_text())
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
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        archive.extractall(tmp_path)
    script = (
        "import importlib, sys\n"
        "sys.path.insert(0, '.')\n"
        "for h in sys.argv[1:]:\n"
        "    m, f = h.rsplit('.', 1)\n"
        "    getattr(importlib.import_module(m), f)\n"
    )
    env = {"PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "eu-south-1", "PYTHONDONTWRITEBYTECODE": "1"}
    # -S -I: no site-packages, no user path: only what the zip carries (as on Lambda, which adds boto3 itself).
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script, *_handlers(package).values()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_unzipped_package_serves_the_openapi_document(package: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        archive.extractall(tmp_path)
    script = "import sys; sys.path.insert(0, '.'); from functions.openapi import document; print(document(), end='')"
    env = {"PATH": os.environ["PATH"], "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == json.loads((ROOT / "functions" / "openapi.json").read_text())


def test_the_merged_template_wires_the_stream_and_the_environment(package: Path) -> None:
    template = json.loads((package / "sam.json").read_text())
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
    template = json.loads((package / "sam.json").read_text())
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
