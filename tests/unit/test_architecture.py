"""Layering rules that keep the core testable: the domain imports only the standard library and itself."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from tests.conftest import ROOT

if TYPE_CHECKING:
    from pathlib import Path

FORBIDDEN = {"boto3", "botocore", "pynamodb", "requests", "chalice", "urllib3", "moto"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_domain_imports_no_aws_http_or_framework_code() -> None:
    for path in (ROOT / "chalicelib" / "domain").glob("*.py"):
        assert not _imports(path) & FORBIDDEN, path.name


def test_services_reach_adapters_only_through_ports() -> None:
    for path in (ROOT / "chalicelib" / "services").glob("*.py"):
        assert not _imports(path) & FORBIDDEN, path.name
        assert "chalicelib.adapters" not in path.read_text(), path.name


def test_http_blueprints_contain_no_storage_code() -> None:
    for path in (ROOT / "functions").glob("*.py"):
        assert not _imports(path) & (FORBIDDEN - {"chalice"}), path.name


def test_the_webhook_ack_path_does_not_import_requests() -> None:
    import subprocess
    import sys

    code = "import sys, app; import chalicelib.services.ingest; print('requests' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
