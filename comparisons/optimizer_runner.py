"""Optimizer cases: identical parameters and gradients, parameters compared after every step."""

from __future__ import annotations

import time

import numpy as np

from comparisons.adapters import get_adapter
from comparisons.cases import Case
from comparisons.known_differences import KnownDifference
from comparisons.runner import CaseOutcome, base_row, describe, finish, make_row, status_row


def draw_optimizer_data(options: dict, seed: int) -> tuple[dict, list[dict]]:
    """Parameters and one gradient per step, all from default_rng(seed), in float64."""
    rng = np.random.default_rng(seed)
    params = {key: rng.standard_normal(shape) for key, shape in options["shapes"].items()}
    scale = options.get("grad_scale", 1.0)
    grads = [{key: scale * rng.standard_normal(shape) for key, shape in options["shapes"].items()}
             for _ in range(options["steps"])]
    return params, grads


def optimizer_spec(case: Case, framework: str) -> tuple[dict, dict]:
    """(framework spec, scratch spec): same hyperparameters; scratch adds its convention options."""
    options = case.options
    spec = {"optimizer": options["optimizer"], "hyper": dict(options["hyper"])}
    conventions = options.get("scratch_conventions", {}).get(framework, {})
    scratch_hyper = {k: v for k, v in options["hyper"].items() if k != "keras_decay_kwarg"}
    scratch = {"optimizer": options["optimizer"], "hyper": {**scratch_hyper, **conventions}}
    return spec, scratch


def compare_optimizer(case: Case, framework: str, dtype: str,
                      known: list[KnownDifference] = ()) -> CaseOutcome:
    """param_copy, then param_after_step for every parameter at steps 1..n (the step column)."""
    adapter, scratch = get_adapter(framework), get_adapter("scratch")
    base = base_row(case, framework, dtype, "")
    started = time.perf_counter()
    params64, grads64 = draw_optimizer_data(case.options, case.seed)
    params = {k: v.astype(dtype) for k, v in params64.items()}
    grads = [{k: v.astype(dtype) for k, v in g.items()} for g in grads64]
    spec, scratch_spec = optimizer_spec(case, framework)
    try:
        base["framework_version"] = adapter.version()
        reference = adapter.run_optimizer(spec, params, grads)
    except Exception as exc:  # noqa: BLE001 - a framework fault becomes a crash row
        return finish(CaseOutcome([status_row(base, "crash", describe(framework, exc))]),
                      case, framework, dtype, known, started)
    rows = [make_row(base, "param_copy", k, v, params[k]) for k, v in reference[0].items()]
    if any(r["status"] != "passed" for r in rows):
        return finish(CaseOutcome(rows), case, framework, dtype, known, started)
    try:
        mine = scratch.run_optimizer(scratch_spec, params, grads)
    except Exception as exc:  # noqa: BLE001
        return finish(CaseOutcome([status_row(base, "crash", describe("scratch", exc))]),
                      case, framework, dtype, known, started)
    for step in range(1, len(reference)):
        for key, expected in reference[step].items():
            rows.append(make_row({**base, "step": step}, "param_after_step", key, mine[step][key],
                                 expected))
    return finish(CaseOutcome(rows), case, framework, dtype, known, started)
