"""Kind 'expression': a random scalar expression graph, its value and every leaf's gradient, compared.

The graph (comparisons/data/expressions.py) is drawn once from the case's seed and handed as plain
data to the framework's own autograd (torch tensors and .backward(), TensorFlow under a GradientTape)
and to the implementation under test (e.g. a micrograd-style Value engine). Rows: `output` 'value'
(the graph's output), then `grad_input` '<leaf>' for every leaf in order (d output / d leaf).
"""

from __future__ import annotations

import numpy as np

from comparisons.adapters import get_adapter
from comparisons.adapters.cache import case_adapter
from comparisons.core.rows import CaseOutcome, CaseRun
from comparisons.data.expressions import draw_graph


def expression_ops(case) -> set[str]:
    """The ops the case's graphs use: every one of case.options['ops'] (draw_graph uses each of them)."""
    return set(case.options["ops"])


def _checked(result, graph: dict) -> dict:
    """The result with the value and one gradient per leaf as float64 scalars; ValueError names a gap."""
    problems = ["no 'value'"] * ("value" not in result) + [
        f"no gradient of leaf {name!r}" for name, _ in graph["leaves"] if name not in result.get("grads", {})]
    if problems:
        raise ValueError(f"run_expression returned {', '.join(problems)} "
                         "(it returns {'value': float, 'grads': {leaf: float}})")
    return {"value": np.float64(result["value"]),
            "grads": {name: np.float64(result["grads"][name]) for name, _ in graph["leaves"]}}


def compare_expression(run: CaseRun) -> CaseOutcome:
    """The framework's value and leaf gradients, then the implementation's, one row per scalar."""
    case, dtype = run.case, run.dtype
    adapter, implementation = case_adapter(run), get_adapter(run.implementation)
    graph = draw_graph(case.options, case.seed)
    try:
        run.version = adapter.version()
        reference = _checked(adapter.run_expression(graph, dtype), graph)
    except Exception as exc:  # noqa: BLE001 - a framework fault becomes a crash row
        return run.crash(run.framework, exc)
    try:
        mine = _checked(implementation.run_expression(graph, dtype), graph)
    except Exception as exc:  # noqa: BLE001 - the implementation's fault, blamed on it
        return run.crash(run.implementation, exc)
    rows = [run.row("output", "value", mine["value"], reference["value"])]
    rows += run.rows("grad_input", mine["grads"], reference["grads"])
    outcome = run.finish(CaseOutcome(rows))
    outcome.extras = {"graph": graph, "results": {"implementation": mine, "framework": reference}}
    return outcome
