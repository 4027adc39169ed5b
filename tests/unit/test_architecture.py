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
    for path in (ROOT / "chalicelib" / "domain").rglob("*.py"):
        assert not _imports(path) & FORBIDDEN, path.name


def test_services_reach_adapters_only_through_ports() -> None:
    for path in (ROOT / "chalicelib" / "services").rglob("*.py"):
        assert not _imports(path) & FORBIDDEN, path.name
        assert "chalicelib.adapters" not in path.read_text(), path.name


def test_http_blueprints_contain_no_storage_code() -> None:
    for path in (ROOT / "functions").glob("*.py"):
        assert not _imports(path) & (FORBIDDEN - {"chalice"}), path.name


def test_the_webhook_ack_path_does_not_import_requests() -> None:
    import subprocess
    import sys

    code = "import sys, app; import chalicelib.services.messages.ingest; print('requests' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(tree: ast.AST, package: str) -> set[str]:
    """Every name imported at run time (lazy imports included; ``if TYPE_CHECKING:`` blocks not)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and isinstance(child.test, ast.Name) and child.test.id == "TYPE_CHECKING":
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in child.names)
            visit(child)

    visit(tree)
    return found


def _runtime_imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The project modules ``path`` imports when it runs."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    modules = set()
    for imported in _imported_names(ast.parse(path.read_text()), package):
        module = imported
        while module and module not in known:
            module = module.rpartition(".")[0]
        if module and module != name:
            modules.add(module)
    return modules


def test_the_import_graph_has_no_cycles() -> None:
    paths = [*ROOT.glob("chalicelib/**/*.py"), *ROOT.glob("functions/*.py"), ROOT / "app.py"]
    names = {_module_name(path): path for path in paths}
    graph = {name: _runtime_imports(path, name, set(names)) for name, path in names.items()}
    done: set[str] = set()

    def walk(name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = [*trail[trail.index(name) :], name]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for imported in sorted(graph[name]):
            walk(imported, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        walk(name, [])
