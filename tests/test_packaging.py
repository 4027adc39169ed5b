"""The deployment package: ``functions/`` ships at the zip root and every Lambda handler imports from it.

``chalice local`` and pytest import from the project root, so a missing ``vendor/functions`` link only shows in
AWS, as ``No module named 'functions'`` in every blueprint handler. These tests build the real package.
"""

from __future__ import annotations

import json
import os
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
