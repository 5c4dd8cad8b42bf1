"""--impl micrograd:PATH.py and the expression case kind: graphs drawn deterministically with shared
subexpressions; a correct micrograd-style engine (tests/helpers/micrograd_style.py, our own code) agrees
with torch and TensorFlow on every expression case and the MLP case; what its Value lacks is skipped
with the reason; kinds it does not run are deselected at collection, as scratch's are."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from comparisons.adapters import SpecError, get_adapter, implementation_label
from comparisons.cases import all_cases, case_by_id
from comparisons.core.settings import RunSettings
from comparisons.data.expressions import (
    DOMAIN,
    VALUE_BOUND,
    base_op,
    draw_graph,
    evaluate,
    graph_ops,
    reads,
)
from comparisons.kinds.dispatch import compare_case

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "tests" / "helpers" / "micrograd_style.py"
MICROGRAD = f"micrograd:{ENGINE}"
EXPRESSIONS = [case for case in all_cases() if case.kind == "expression"]


def engine_copy(tmp_path: Path, name: str, *changes: tuple[str, str]) -> str:
    """A SPEC of a copy of the test engine with each (old, new) replaced (each old found exactly once)."""
    text = ENGINE.read_text()
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    return f"micrograd:{path}"


def run(case_id: str, spec: str = MICROGRAD, framework: str = "torch", dtype: str = "float64"):
    return compare_case(case_by_id(case_id), framework, dtype, settings=RunSettings(implementation=spec))


def successors(graph: dict) -> dict[str, set[str]]:
    edges = {name: set() for name in reads(graph)}
    for name, _, operands in graph["nodes"]:
        for operand in operands:
            if isinstance(operand, str):
                edges[operand].add(name)
    return edges


@pytest.mark.parametrize("case", EXPRESSIONS, ids=lambda c: c.id)
def test_graphs_are_deterministic_safe_and_reach_the_output_from_everywhere(case):
    graph = draw_graph(case.options, case.seed)
    assert graph == draw_graph(case.options, case.seed)
    assert graph != draw_graph(case.options, case.seed + 1)
    assert graph_ops(graph) == set(case.options["ops"]), "every op of the case, and no other"
    values = evaluate(graph)
    drawn = graph["nodes"][: case.options["nodes"]]  # then the adds of what nothing else read
    assert all(abs(values[name]) <= VALUE_BOUND for name, _, _ in drawn)
    for _, op, operands in drawn:
        domain = DOMAIN.get(base_op(op))
        args = [values[o] if isinstance(o, str) else o for o in operands]
        assert domain is None or domain[1](args[0], args[1] if len(args) > 1 else None), (op, args)
    edges, reached, stack = successors(graph), set(), [graph["output"]]
    parents = {name: {o for o in operands if isinstance(o, str)} for name, _, operands in graph["nodes"]}
    while stack:
        name = stack.pop()
        reached.add(name)
        stack += [p for p in parents.get(name, ()) if p not in reached]
    assert reached == set(edges), "every leaf and node reaches the output"


def test_graphs_really_share_subexpressions():
    graphs = [draw_graph(case.options, case.seed) for case in EXPRESSIONS]
    for case, graph in zip(EXPRESSIONS, graphs, strict=True):
        nodes = {name for name, _, _ in graph["nodes"]}
        assert any(count >= 2 for name, count in reads(graph).items() if name in nodes), \
            f"{case.id}: no node is read twice (no diamond)"
    node_reused = sum(any(c >= 3 for c in reads(g).values()) for g in graphs)
    same_twice = sum(any(len(ops) == 2 and ops[0] == ops[1] for _, _, ops in g["nodes"]) for g in graphs)
    assert node_reused >= len(graphs) // 2 and same_twice >= len(graphs) // 2, (node_reused, same_twice)


@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
@pytest.mark.parametrize("case", EXPRESSIONS, ids=lambda c: c.id)
def test_a_correct_engine_agrees_on_every_expression_case(case, framework):
    outcome = run(case.id, framework=framework)
    graph = draw_graph(case.options, case.seed)
    assert [(r["quantity"], r["tensor"]) for r in outcome.rows] == [("output", "value")] + [
        ("grad_input", name) for name, _ in graph["leaves"]]
    assert {r["status"] for r in outcome.rows} == {"passed"}, outcome.failures
    assert {r["implementation"] for r in outcome.rows} == {implementation_label(MICROGRAD)}


@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
def test_a_correct_engine_agrees_on_the_mlp_case_tensor_by_tensor(framework):
    outcome = run("mlp_relu_mse", framework=framework)
    assert {r["status"] for r in outcome.rows} == {"passed"}, outcome.failures
    compared = {(r["quantity"], r["tensor"]) for r in outcome.rows}
    assert {("activation", "0.dense"), ("activation", "1.relu"), ("loss", "loss"),  # pre-activation via _prev
            ("grad_activation", "1.relu"), ("grad_activation", "2.dense"), ("grad_param", "0.weight"),
            ("grad_param", "2.bias"), ("grad_input", "input")} <= compared
    assert {r["status"] for r in run("dense_plain", framework=framework).rows} == {"passed"}


def test_float32_and_shapes_the_mlp_cannot_take_are_skipped_with_the_reason():
    [row] = run("dense_plain", dtype="float32").rows
    assert row["status"] == "skipped" and "computes in float64 only, not float32" in row["reason"]
    [row] = run("act_relu_normal", dtype="float64").rows
    assert row["status"] == "skipped" and "Dense layers with ReLU between them" in row["reason"]
    [row] = run("mlp_spiral_cce", dtype="float64").rows
    assert row["status"] == "skipped"
    assert row["reason"] == "micrograd:micrograd_style.py has no layer type 'softmax'"


def test_a_value_without_log_skips_the_cases_that_need_it(tmp_path):
    spec = engine_copy(tmp_path, "no_log", ("    def log(self):", "    def _log(self):"))
    assert "log" not in get_adapter(spec).PROFILE.options
    for case in EXPRESSIONS:
        rows = run(case.id, spec).rows
        if "log" in case.options["ops"]:
            [row] = rows
            assert row["status"] == "skipped", case.id
            assert row["reason"] == "micrograd:no_log.py: its Value has no log() (expression op 'log')"
        else:
            assert {r["status"] for r in rows} == {"passed"}, case.id


def test_a_value_that_keeps_no_children_leaves_the_pre_activations_unread(tmp_path):
    spec = engine_copy(tmp_path, "no_prev", ("self._prev = tuple(", "self._kids = tuple("),
                       ("for child in node._prev if", "for child in node._kids if"))
    rows = {(r["quantity"], r["tensor"]): r for r in run("mlp_relu_mse", spec).rows}
    unread = {("activation", "0.dense"), ("grad_activation", "1.relu")}
    for key in unread:
        assert rows[key]["status"] == "skipped", key
        assert "pre-activation act is readable only" in rows[key]["reason"]
    assert {r["status"] for key, r in rows.items() if key not in unread} == {"passed"}


def test_the_profile_names_the_engine_and_what_it_has():
    adapter = get_adapter(MICROGRAD)
    assert adapter.PROFILE.kinds == {"expression", "pass"} and adapter.PROFILE.dtypes == {"float64"}
    assert {"add", "rsub", "rdiv", "pow", "log", "sigmoid", "units"} <= adapter.PROFILE.options
    assert adapter.version().startswith("micrograd-style micrograd_style.py sha256:")
    assert len(adapter.version().rsplit(":", 1)[1]) == 12


@pytest.mark.parametrize(("source", "message"), [
    ("x = 1\n", "has no class Value"),
    ("class Value:\n    def __init__(self, data):\n        self.data = data\n", "has no grad, backward"),
])
def test_a_module_without_a_usable_value_is_refused(tmp_path, source, message):
    path = tmp_path / "engine.py"
    path.write_text(source)
    with pytest.raises(SpecError, match=message):
        get_adapter(f"micrograd:{path}")


def test_a_value_without_mlp_runs_expressions_only(tmp_path):
    spec = engine_copy(tmp_path, "no_mlp", ("class MLP(Module):", "class Network(Module):"))
    assert get_adapter(spec).PROFILE.kinds == {"expression"}
    [row] = run("mlp_relu_mse", spec).rows
    assert row["status"] == "skipped" and "does not run pass cases" in row["reason"]


def collect(*extra: str) -> str:
    done = subprocess.run([sys.executable, "-m", "pytest", "comparisons", "--collect-only", "-q",
                           "-p", "no:cacheprovider", *extra], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_kinds_an_implementation_does_not_run_are_deselected_at_collection():
    default = collect()
    assert "test_expressions.py" not in default and "test_passes.py::test_pass[mlp_relu_mse-torch" in default
    assert (f"nn-parity: {2 * len(EXPRESSIONS)} comparison tests deselected: scratch does not run expression "
            "cases") in default
    mine = collect("--impl", MICROGRAD)
    assert f"test_expressions.py::test_expressions[{EXPRESSIONS[0].id}-tensorflow-float64]" in mine
    assert "test_optimizers.py" not in mine and "test_training.py" not in mine
    assert "comparison tests deselected: micrograd:micrograd_style.py does not run optimizer cases" in mine
    assert "test_passes.py::test_pass[dense_plain-torch-float32]" in mine  # a finer reason: a skipped row
