"""Optimizer cases: identical parameters and gradients, parameters compared after every step."""

from __future__ import annotations

import inspect

import numpy as np

from comparisons.adapters import get_adapter, profile
from comparisons.adapters.cache import case_adapter
from comparisons.core.case import Case
from comparisons.core.hints import add_step_hints
from comparisons.core.rows import CaseOutcome, CaseRun
from comparisons.core.spec import active_options
from comparisons.core.tolerances import Tolerance, update_tolerance
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
    if options.get("scratch_variant"):  # a planted bug of the detection catalogue (benchmarks/detection.py)
        scratch["scratch_variant"] = options["scratch_variant"]
    return spec, scratch


def step_update(dtype: str, mine: tuple, reference: tuple,
                allowance=0.0) -> tuple[np.ndarray, np.ndarray, Tolerance]:
    """(mine, framework's, tolerance) of one update, after - before in float64, from (before, after) pairs;
    allowance: the gradient allowance where the sides computed their own gradients (training)."""
    ours, theirs = (np.asarray(after, np.float64) - np.asarray(before, np.float64) for before, after in
                    (mine, reference))
    return ours, theirs, update_tolerance(dtype, theirs, reference[1], allowance)


def update_rows(run: CaseRun, step: int, mine: tuple[dict, dict], reference: tuple[dict, dict],
                allowances: dict | None = None) -> list[dict]:
    """update rows of every parameter of the framework's `after`: (before, after) dicts of each side,
    and in training each parameter's gradient allowance. harness=True: the differences are the
    harness's, the param_after_step rows check the returned dtype."""
    pairs = {key: step_update(run.dtype, (mine[0][key], mine[1][key]), (reference[0][key], after),
                              (allowances or {}).get(key, 0.0))
             for key, after in reference[1].items()}
    return [run.row("update", key, ours, theirs, tol, step, harness=True)
            for key, (ours, theirs, tol) in pairs.items()]


def step_series(history: list[dict]) -> list[dict]:
    """The updates of a parameter history, in float64: zeros at step 0, then after - before per step."""
    if not history:
        return []
    zeros = {key: np.zeros(np.shape(value)) for key, value in history[0].items()}
    return [zeros, *({key: np.asarray(after[key], np.float64) - np.asarray(before[key], np.float64)
                      for key in after} for before, after in zip(history[:-1], history[1:], strict=True))]


def completed_steps(implementation, spec: dict, params: dict, grads: list[dict]) -> list[dict]:
    """After a raise: the history of the longest prefix grads[:k] that completes ([] if none does)."""
    for k in range(len(grads) - 1, 0, -1):
        try:
            return implementation.run_optimizer(spec, params, grads[:k])
        except Exception:  # noqa: BLE001 - this prefix raises too: try a shorter one
            continue
    return []


def compare_optimizer(run: CaseRun) -> CaseOutcome:
    """param_copy, then param_after_step and update of every parameter at steps 1..n (the step column).

    When the implementation raises, the steps it completes (rerun on shorter gradient lists) keep their
    rows, a NaN step among them as status nan, and the crash row names the step that raised."""
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
    crash = None
    try:
        mine = implementation.run_optimizer(scratch_spec, params, grads)
    except Exception as exc:  # noqa: BLE001 - blamed on the implementation, at the step that raised
        crash, mine = exc, completed_steps(implementation, scratch_spec, params, grads)
    for step in range(1, len(mine) if crash is not None else len(reference)):  # a short history raises
        rows += run.rows("param_after_step", mine[step], reference[step], step=step)
        rows += update_rows(run, step, (mine[step - 1], mine[step]), (reference[step - 1], reference[step]))
    for quantity, series in (("param_after_step", lambda h: h), ("update", step_series)):
        add_step_hints([r for r in rows if r["quantity"] == quantity], series(mine), series(reference))
    if crash is not None:
        return run.crash(run.implementation, crash, rows, step=max(len(mine), 1))
    return run.finish(CaseOutcome(rows))
