"""Optimizer cases: identical parameters and gradients, parameters compared after every step."""

from __future__ import annotations

import inspect

import numpy as np

from comparisons.adapters import get_adapter, profile
from comparisons.adapters.cache import case_adapter
from comparisons.core.case import Case
from comparisons.core.rows import CaseOutcome, CaseRun
from comparisons.core.spec import active_options
from scratch.optimizers import OPTIMIZERS


def draw_optimizer_data(options: dict, seed: int) -> tuple[dict, list[dict]]:
    """Parameters and one gradient per step, all from default_rng(seed), in float64."""
    rng = np.random.default_rng(seed)
    params = {key: rng.standard_normal(shape) for key, shape in options["shapes"].items()}
    scale = options.get("grad_scale", 1.0)
    grads = [{key: scale * rng.standard_normal(shape) for key, shape in options["shapes"].items()}
             for _ in range(options["steps"])]
    return params, grads


def scratch_conventions(optimizer: dict | str, framework: str, given: dict | None) -> dict:
    """The scratch options a case gives for this framework, else the framework profile's conventions."""
    if given is not None:
        return given
    name = optimizer["name"] if isinstance(optimizer, dict) else optimizer
    return dict(profile(framework).optimizer_conventions.get(name, {}))


def active_conventions(optimizer: dict | str, framework: str, given: dict | None, hyper: dict) -> dict:
    """scratch_conventions less the float32-rounding options that these hyperparameters, completed by
    scratch's defaults (Adam's beta_2 0.999 when none is given), make inert."""
    name = optimizer["name"] if isinstance(optimizer, dict) else optimizer
    defaults = {key: p.default for key, p in inspect.signature(OPTIMIZERS[name]).parameters.items()
                if p.default is not inspect.Parameter.empty} if name in OPTIMIZERS else {}
    return active_options({**defaults, **hyper}, scratch_conventions(optimizer, framework, given))


def optimizer_spec(case: Case, framework: str) -> tuple[dict, dict]:
    """(framework spec, scratch spec): same hyperparameters; scratch adds its convention options."""
    options = case.options
    spec = {"optimizer": options["optimizer"], "hyper": dict(options["hyper"])}
    conventions = active_conventions(options["optimizer"], framework, options.get("scratch_conventions"),
                                     options["hyper"])
    scratch_hyper = {k: v for k, v in options["hyper"].items() if k != "keras_decay_kwarg"}
    scratch = {"optimizer": options["optimizer"], "hyper": {**scratch_hyper, **conventions}}
    return spec, scratch


def compare_optimizer(run: CaseRun) -> CaseOutcome:
    """param_copy, then param_after_step for every parameter at steps 1..n (the step column)."""
    case, dtype = run.case, run.dtype
    adapter, implementation = case_adapter(run), get_adapter(run.implementation)
    params64, grads64 = draw_optimizer_data(case.options, case.seed)
    params = {k: v.astype(dtype) for k, v in params64.items()}
    grads = [{k: v.astype(dtype) for k, v in g.items()} for g in grads64]
    spec, scratch_spec = optimizer_spec(case, run.framework)
    try:
        run.version = adapter.version()
        reference = adapter.run_optimizer(spec, params, grads)
    except Exception as exc:  # noqa: BLE001 - a framework fault becomes a crash row
        return run.crash(run.framework, exc)
    rows = run.rows("param_copy", reference[0], params)
    if any(r["status"] != "passed" for r in rows):
        return run.finish(CaseOutcome(rows))
    try:
        mine = implementation.run_optimizer(scratch_spec, params, grads)
    except Exception as exc:  # noqa: BLE001
        return run.crash(run.implementation, exc)
    for step in range(1, len(reference)):
        rows += run.rows("param_after_step", mine[step], reference[step], step=step)
    return run.finish(CaseOutcome(rows))
