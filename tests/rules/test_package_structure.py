"""The house rules of comparisons/: pipeline order between packages, no import cycle, no lazy import of
a project module, small modules and folders (docs/architecture.md §1)."""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Pipeline stages of comparisons/, earliest first: a module may import its own stage or earlier ones.
STAGES = ("core", "data", "adapters", "kinds", "report", "projects", "cases", "harness", "render", "")
# The heavy optional libraries: the only imports allowed inside functions, directly or through a
# project module that imports one of them when it is imported (a reference module, the renderers).
HEAVY = {"torch", "tensorflow", "keras", "jax", "jaxlib", "optax", "sklearn", "scipy", "matplotlib", "pandas",
         "PIL", "rich", "pytest", "xdist"}
MAX_LINES, MAX_MODULES_PER_FOLDER = 310, 13  # "about 300 lines", "about 12 loose modules"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, inside a function?) for every absolute import of a file; `from a import b`
    gives 'a.b' when that is a module of the repository, else 'a'."""
    tree = ast.parse(path.read_text(), filename=str(path))
    lazy_nodes = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                  for n in ast.walk(f)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in lazy_nodes) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                is_module = (ROOT / Path(*candidate.split("."))).with_suffix(".py").exists() or \
                    (ROOT / Path(*candidate.split(".")) / "__init__.py").exists()
                found.append((candidate if is_module else node.module, id(node) in lazy_nodes))
    return found


def graph(package: str = "comparisons") -> dict[str, set[str]]:
    """module -> the project modules it imports (at any depth of the file)."""
    edges = defaultdict(set)
    for path in sorted((ROOT / package).rglob("*.py")):
        for target, _ in imports(path):
            if target.split(".")[0] in ("comparisons", "scratch", "reference"):
                edges[module_name(path)].add(target)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node], _ = 1, stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node], _ = 2, stack.pop()
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def stage(module: str) -> int:
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 and parts[1] in STAGES else ""
    return STAGES.index(name)


def test_comparisons_has_no_import_cycle_even_through_function_level_imports():
    assert find_cycle(graph()) is None


def test_packages_import_only_their_own_or_earlier_pipeline_stages():
    offending = [f"{source} -> {target}" for source, targets in graph().items() for target in targets
                 if target.startswith("comparisons.") and stage(target) > stage(source)]
    assert not offending, "later stage imported by an earlier one: " + "; ".join(offending)


def module_path(module: str) -> Path | None:
    base = ROOT / Path(*module.split("."))
    return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)


@cache
def is_heavy(module: str, seen: frozenset = frozenset()) -> bool:
    """A heavy library, or a project module importing one at module level (directly or through others)."""
    if module.split(".")[0] in HEAVY:
        return True
    path = module_path(module)
    if path is None or module in seen:
        return False
    return any(is_heavy(target, seen | {module}) for target, lazy in imports(path) if not lazy)


@pytest.mark.parametrize("package", ["comparisons", "scratch", "reference"])
def test_only_heavy_optional_libraries_are_imported_inside_functions(package):
    offending = sorted({f"{path.relative_to(ROOT)}: {target}" for path in (ROOT / package).rglob("*.py")
                        for target, lazy in imports(path) if lazy and not is_heavy(target)})
    assert not offending, f"function-level imports of light modules (dodging a cycle?): {offending}"


@pytest.mark.parametrize("package", ["comparisons", "scratch", "reference", "benchmarks"])
def test_modules_stay_small_and_folders_few(package):
    too_long = [f"{p.relative_to(ROOT)} ({n} lines)" for p in sorted((ROOT / package).rglob("*.py"))
                if (n := len(p.read_text().splitlines())) > MAX_LINES]
    folders = sorted({p.parent for p in (ROOT / package).rglob("*.py")})
    crowded = [f"{d.relative_to(ROOT)} ({n} modules)" for d in folders
               if (n := len([m for m in d.glob("*.py") if m.name != "__init__.py"])) > MAX_MODULES_PER_FOLDER]
    assert not too_long and not crowded, f"split by concept: {too_long + crowded}"


def test_the_cycle_finder_and_the_stage_rule_see_what_they_must():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert stage("comparisons.core.case") < stage("comparisons.kinds.passes") < stage("comparisons.cli")
    assert is_heavy("reference.torch_models") and not is_heavy("comparisons.core.case")
