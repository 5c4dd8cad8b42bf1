"""Imports point one way: comparisons -> scratch, reference. scratch imports NumPy and stdlib only."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = {"torch", "tensorflow", "keras", "jax", "optax", "sklearn"}
STDLIB = set(sys.stdlib_module_names)


def imported_modules(package: str) -> list[tuple[str, str]]:
    """(file, top-level module) for every import statement under a package folder."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found += [(path.name, alias.name.split(".")[0]) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append((path.name, node.module.split(".")[0]))
    return found


def test_scratch_imports_only_numpy_and_the_standard_library():
    allowed = STDLIB | {"numpy", "scratch", "__future__"}
    offending = [(f, m) for f, m in imported_modules("scratch") if m not in allowed]
    assert not offending, f"scratch/ imports outside numpy + stdlib: {offending}"


@pytest.mark.parametrize("package", ["scratch", "reference"])
def test_scratch_and_reference_never_import_the_harness_or_each_other(package):
    other = {"scratch": "reference", "reference": "scratch"}[package]
    offending = [(f, m) for f, m in imported_modules(package) if m in {"comparisons", other}]
    assert not offending, f"{package}/ imports {offending}"


def test_the_rule_checker_sees_a_framework_import(tmp_path, monkeypatch):
    fake_root = tmp_path
    (fake_root / "scratch").mkdir()
    (fake_root / "scratch" / "leak.py").write_text("import numpy\nfrom torch import nn\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", fake_root)
    assert ("leak.py", "torch") in imported_modules("scratch")
    assert {m for _, m in imported_modules("scratch")} & FRAMEWORKS == {"torch"}
