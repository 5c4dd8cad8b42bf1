"""Planted bugs in a micrograd-style engine must be caught, at the right rows: a `+` whose backward sets
.grad instead of adding to it (the classic bug that shared subexpressions expose) and a wrong tanh
derivative. The engine is the tests' own (tests/helpers/micrograd_style.py); each bug is one line of a
copy of it."""

from __future__ import annotations

import pytest

from comparisons.adapters import get_adapter
from comparisons.cases import case_by_id
from comparisons.data.expressions import draw_graph
from tests.own.test_micrograd_adapter import EXPRESSIONS, MICROGRAD, engine_copy, run

SETS_GRAD = ("            self.grad += out.grad\n            other.grad += out.grad\n",
             "            self.grad = out.grad\n            other.grad = out.grad\n")  # in __add__ only
WRONG_TANH = ("self.grad += (1 - t ** 2) * out.grad", "self.grad += (1 - t) * out.grad")


@pytest.fixture(scope="module")
def sets_grad(tmp_path_factory) -> str:
    return engine_copy(tmp_path_factory.mktemp("sets_grad"), "sets_grad", SETS_GRAD)


def wrong_leaves(spec: str, graph: dict) -> set[str]:
    """The leaves whose gradient this engine gets wrong, by its own answer against the correct engine's."""
    mine = get_adapter(spec).run_expression(graph, "float64")["grads"]
    right = get_adapter(MICROGRAD).run_expression(graph, "float64")["grads"]
    return {leaf for leaf, grad in mine.items() if abs(grad - right[leaf]) > 1e-9}


@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
def test_a_plus_that_sets_grad_is_caught_and_the_rows_name_the_wrong_leaves(sets_grad, framework):
    caught = []
    for case in EXPRESSIONS:
        outcome = run(case.id, sets_grad, framework)
        failed = {r["tensor"] for r in outcome.rows if r["status"] == "failed"}
        assert {r["quantity"] for r in outcome.rows if r["status"] == "failed"} <= {"grad_input"}, case.id
        assert outcome.rows[0]["status"] == "passed", "the forward value does not depend on backward"
        assert failed == wrong_leaves(sets_grad, draw_graph(case.options, case.seed)), case.id
        caught += [case.id] * bool(failed)
    assert "expr_shared" in caught and len(caught) >= len(EXPRESSIONS) - 2, caught


def test_a_plus_that_sets_grad_is_harmless_on_a_tree_and_wrong_on_x_plus_x(sets_grad):
    """Without a node read twice, setting and adding are the same: it is the reuse that exposes it."""
    torch = get_adapter("torch")
    tree = {"leaves": [["x0", 0.7], ["x1", -1.3], ["x2", 2.1]], "output": "n1",
            "nodes": [["n0", "add", ["x0", "x1"]], ["n1", "mul", ["n0", "x2"]]]}
    assert get_adapter(sets_grad).run_expression(tree, "float64") == torch.run_expression(tree, "float64")
    twice = {"leaves": [["x0", 0.7]], "output": "n0", "nodes": [["n0", "add", ["x0", "x0"]]]}
    assert torch.run_expression(twice, "float64")["grads"] == {"x0": 2.0}
    assert get_adapter(sets_grad).run_expression(twice, "float64")["grads"] == {"x0": 1.0}


def test_a_plus_that_sets_grad_is_caught_in_the_mlp_at_the_biases(sets_grad):
    """Every sample's first add reads the neuron's bias: only the last sample's share of db is left."""
    outcome = run("mlp_relu_mse", sets_grad)
    assert [(r["quantity"], r["tensor"]) for r in outcome.rows if r["status"] == "failed"] == [
        ("grad_param", "2.bias"), ("grad_param", "0.bias")]
    first = outcome.first_divergence
    assert (first["quantity"], first["tensor"]) == ("grad_param", "2.bias")
    assert f"--impl {sets_grad}" in outcome.failures[0]


def test_a_wrong_tanh_derivative_is_caught_where_tanh_is_used(tmp_path):
    spec = engine_copy(tmp_path, "wrong_tanh", WRONG_TANH)
    outcome = run("expr_tanh", spec, "tensorflow")
    assert outcome.rows[0]["status"] == "passed"
    failed = {r["tensor"] for r in outcome.rows if r["status"] == "failed"}
    case = case_by_id("expr_tanh")
    assert failed == {"x0", "x1", "x2"} == wrong_leaves(spec, draw_graph(case.options, case.seed))
    for case in EXPRESSIONS:
        if "tanh" not in case.options["ops"]:
            assert {r["status"] for r in run(case.id, spec).rows} == {"passed"}, case.id
