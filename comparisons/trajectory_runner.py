"""Training trajectories: scratch and a framework trained side by side from identical weights and batches.

Modes: 'free' (each implementation trains on its own) and 'teacher' (after every step the framework
is reset to scratch's parameters, so every step is compared from the same start).
"""

from __future__ import annotations

import time

import numpy as np

from comparisons.adapters import get_adapter
from comparisons.agreement import Agreement, compare
from comparisons.cases import Case
from comparisons.data import draw_params
from comparisons.known_differences import KnownDifference
from comparisons.runner import CaseOutcome, base_row, describe, finish, make_row, status_row
from comparisons.tolerances import FREE_RUNNING, tolerance_for
from comparisons.training_data import batch_accuracy, batch_schedule, training_set

CHECKPOINTS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)


def initial_params(spec: dict, init: dict | None, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Harness default (random, non-zero biases), or a project's: weight_scale * N(0,1), zero biases."""
    params = draw_params(spec["layers"], rng)
    # {"legacy_seed": s}: every parameter in order from RandomState(s), i.e. np.random.seed(s) + randn
    # (seed 07); "fan_in": True divides the weights by sqrt(fan_in) (david-palma).
    if init and "legacy_seed" in init:
        legacy = np.random.RandomState(init["legacy_seed"])  # a local legacy stream, not the global one
        return {key: legacy.standard_normal(value.shape) for key, value in params.items()}
    if init:
        for key, value in params.items():
            if key.endswith(".weight"):
                scale = init["weight_scale"] / (np.sqrt(value.shape[0]) if init.get("fan_in") else 1.0)
                params[key] = scale * rng.standard_normal(value.shape)
            elif key.endswith(".bias") and init.get("bias") == "zeros":
                params[key] = np.zeros_like(value)
    return params


def optimizer_for(case: Case, framework: str) -> tuple[dict, dict]:
    """(framework optimizer spec, scratch optimizer spec with the matching convention options)."""
    opt = case.options["optimizer"]
    conventions = opt.get("scratch_conventions", {}).get(framework, {})
    return ({"optimizer": opt["name"], "hyper": opt["hyper"]},
            {"optimizer": opt["name"], "hyper": {**opt["hyper"], **conventions}})


def _step_rows(base: dict, step: int, mine: dict, ref: dict, tol) -> list[dict]:
    rows = [make_row({**base, "step": step}, "loss", "loss", mine["loss"], ref["loss"], tol)]
    for quantity, field in (("grad_param", "grads"), ("param_after_step", "params")):
        rows += [make_row({**base, "step": step}, quantity, key, mine[field][key], value, tol)
                 for key, value in ref[field].items()]
    return rows


def _flat(result: dict, field: str, keys) -> np.ndarray:
    return np.concatenate([np.ravel(result[field][key]) for key in keys])


def step_check(mine: dict, ref: dict, tol) -> dict[str, Agreement]:
    """The agreement rule on the loss, on all gradients together and on all parameters together.

    Every tensor of a step has the same tolerance, so a step agrees exactly when these three do;
    the per-tensor rows (_step_rows) are built only for the steps the report keeps.
    """
    keys = list(ref["params"])
    return {"loss": compare(mine["loss"], ref["loss"], tol.atol, tol.rtol),
            "grads": compare(_flat(mine, "grads", keys), _flat(ref, "grads", keys), tol.atol, tol.rtol),
            "params": compare(_flat(mine, "params", keys), _flat(ref, "params", keys), tol.atol, tol.rtol)}


def _trajectory_row(base: dict, mode: str, step: int, mine: dict, ref: dict, targets,
                    check: dict[str, Agreement]) -> dict:
    return {"case": base["case"], "suite": base["suite"], "framework": base["framework"],
            "dtype": base["dtype"], "seed": base["seed"], "mode": mode, "step": step,
            "loss_scratch": float(mine["loss"]), "loss_framework": float(ref["loss"]),
            "loss_abs_err": abs(float(mine["loss"]) - float(ref["loss"])),
            "max_grad_abs_err": check["grads"].max_abs_err,
            "max_param_abs_err": check["params"].max_abs_err,
            "max_param_rel_err": check["params"].max_rel_err,
            "accuracy_scratch": batch_accuracy(mine["output"], targets),
            "accuracy_framework": batch_accuracy(ref["output"], targets),
            "within_tolerance": all(c.status == "passed" for c in check.values())}


def compare_training(case: Case, framework: str, dtype: str,
                     known: list[KnownDifference] = ()) -> CaseOutcome:
    """param_copy, then per step loss / grad_param / param_after_step; every step in the trajectory."""
    adapter, scratch = get_adapter(framework), get_adapter("scratch")
    base = base_row(case, framework, dtype, "")
    started, mode = time.perf_counter(), case.options["mode"]
    rng = np.random.default_rng(case.seed)
    spec = case.model_spec()
    params = {k: v.astype(dtype) for k, v in initial_params(spec, case.options.get("init"), rng).items()}
    data = training_set(case.data, rng)
    x, y = data["x"].astype(dtype), data["y"] if data["y"].dtype.kind in "iu" else data["y"].astype(dtype)
    shuffle = np.random.default_rng(case.seed + 1) if case.options.get("shuffle") else None
    schedule = batch_schedule(len(x), case.options.get("batch_size"), case.options["epochs"], shuffle)
    fw_opt, scratch_opt = optimizer_for(case, framework)
    tol = FREE_RUNNING[dtype] if mode == "free" else tolerance_for(dtype, "param_after_step")
    try:
        base["framework_version"] = adapter.version()
        reference = adapter.make_trainer(spec, params, fw_opt, dtype)
        mine_trainer = scratch.make_trainer(spec, params, scratch_opt, dtype)
    except Exception as exc:  # noqa: BLE001 - a framework fault becomes a crash row
        return finish(CaseOutcome([status_row(base, "crash", describe(framework, exc))]),
                      case, framework, dtype, known, started)
    rows = [make_row(base, "param_copy", k, v, params[k])
            for k, v in adapter.read_params(reference.model).items()]
    trajectory, first_bad = [], None
    history = []  # per-step parameters of both sides, kept when the case asks (record_params)
    for step, index in enumerate(schedule, start=1):
        try:
            ref = reference.step(x[index], y[index])
            mine = mine_trainer.step(x[index], y[index], ref.get("shared"))
        except Exception as exc:  # noqa: BLE001
            rows.append(status_row({**base, "step": step}, "crash", describe(framework, exc)))
            break
        trajectory.append(_trajectory_row(base, mode, step, mine, ref, y[index], step_check(mine, ref, tol)))
        if first_bad is None and not trajectory[-1]["within_tolerance"]:
            first_bad = step
        if step in CHECKPOINTS or step == len(schedule) or step == first_bad:
            rows += _step_rows(base, step, mine, ref, tol)
        if case.options.get("record_params"):
            history.append({"step": step, "scratch": mine["params"], "framework": ref["params"]})
        if mode == "teacher":
            reference.set_params(mine["params"])
    outcome = finish(CaseOutcome(rows), case, framework, dtype, known, started)
    outcome.trajectory = trajectory
    outcome.extras = {"history": history, "params": params, "data": data,
                      "final": {"scratch": mine_trainer.model.get_params(),
                                "framework": adapter.read_params(reference.model)}}
    return outcome
