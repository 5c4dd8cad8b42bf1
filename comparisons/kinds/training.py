"""Training trajectories: scratch and a framework trained side by side from identical weights and batches.

Modes: 'free' (each implementation trains on its own, judged against a perturbed shadow of itself:
comparisons/kinds/chaos.py) and 'teacher' (after every step the framework is reset to scratch's
parameters, so every step is compared from the same start).
"""

from __future__ import annotations

import numpy as np

from comparisons.adapters import get_adapter
from comparisons.adapters.cache import case_adapter
from comparisons.core.agreement import Agreement, compare, compare_parts
from comparisons.core.case import Case, run_length
from comparisons.core.rows import CaseOutcome, CaseRun, describe
from comparisons.core.tolerances import Tolerance, gradient_allowance, tolerance_for
from comparisons.data.parameters import initial_params
from comparisons.data.training import batch_accuracy, batch_schedule, training_set
from comparisons.kinds import chaos
from comparisons.kinds.optimizer import active_conventions, update_rows
from comparisons.kinds.passes import implementation_spec, replay_step
from comparisons.kinds.step_state import FIELDS, Layout, tensor_shapes, update_check

CHECKPOINTS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)


def optimizer_for(case: Case, framework: str) -> tuple[dict, dict]:
    """(framework optimizer spec, scratch optimizer spec with the matching convention options)."""
    opt = case.options["optimizer"]
    conventions = active_conventions(opt, framework, opt.get("scratch_conventions"), opt["hyper"])
    return ({"optimizer": opt["name"], "hyper": opt["hyper"]},
            {"optimizer": opt["name"], "hyper": {**opt["hyper"], **conventions}})


def teacher_allowance(layout: Layout, vectors: tuple, before: np.ndarray, memory: tuple | None) -> tuple:
    """(allowance, memory): per parameter element the gradient_allowance of this step, given the `memory`
    of the earlier steps: a stateful optimizer (Adam's m and v) carries earlier gradient gaps forward (§8)."""
    span, params = layout.parts["param_after_step"]
    steps = tuple(vector[span] - before for vector in vectors)
    grads = tuple(layout.gradients_of_params(vector) for vector in vectors)
    return gradient_allowance(steps, grads, memory, lambda x: params.spread(params.maxima(np.abs(x))))


def param_tolerances(tol: Tolerance, ref: dict, allowances: dict | None) -> dict[str, Tolerance]:
    """Per parameter: `tol`, in teacher mode plus the parameter's allowance (both sides stepped from the
    same parameters, so theta_after differs by the steps' difference; docs/conventions.md §8)."""
    if allowances is None:
        return {key: tol for key in ref["params"]}
    return {key: Tolerance(tol.atol + allowances[key], tol.rtol, f"{tol.reason}; + the gradient allowance")
            for key in ref["params"]}


def _step_rows(run: CaseRun, step: int, mine: dict, ref: dict, tol, before: dict | None = None,
               allowances: dict | None = None) -> list[dict]:
    """loss, grad_param, param_after_step, buffer rows; update rows when both sides started from `before`
    (teacher mode, with the allowances of teacher_allowance per parameter)."""
    rows = [run.row("loss", "loss", mine["loss"], ref["loss"], tol, step)]
    params = param_tolerances(tol, ref, allowances)
    for quantity, field in FIELDS:
        rows += [run.row(quantity, key, mine[field][key], value, params[key] if field == "params" else tol,
                         step) for key, value in ref.get(field, {}).items()]
    if before is not None:
        rows += update_rows(run, step, (before, mine["params"]), (before, ref["params"]), allowances)
    return rows


def step_check(layout: Layout, losses: tuple, vectors: tuple, tol, before: np.ndarray | None = None,
               dtype: str = "", allowance: np.ndarray | None = None) -> dict[str, Agreement]:
    """The agreement rule on the loss, on all gradients, all parameters (and all buffers) together, and
    with `before` (teacher mode) on each parameter's update (its own tolerance: the worst one).

    Every tensor of a step but the updates (and in teacher mode the parameters: + the allowance) has the
    same tolerance, so a step agrees exactly when these checks do; the per-tensor rows (_step_rows) are
    built only for the steps the report keeps.
    """
    checks = {"loss": compare(losses[0], losses[1], tol.atol, tol.rtol)}
    fields = [(field, layout.parts[quantity][0]) for quantity, field in FIELDS
              if quantity in layout.parts]  # buffers only where a layer keeps running statistics
    atol = tol.atol
    if allowance is not None:  # teacher mode: the parameters' tolerance + their allowance
        atol = np.full(layout.state.size, tol.atol)
        atol[layout.parts["param_after_step"][0]] = tol.atol + allowance
    parts = compare_parts(*vectors, atol, tol.rtol, [(span, (span.stop - span.start,)) for _, span in fields])
    checks.update({field: part for (field, _), part in zip(fields, parts, strict=True)})
    if before is not None:
        checks["updates"] = update_check(layout, vectors, before, dtype, allowance)
    return checks


def _trajectory_row(run: CaseRun, mode: str, step: int, mine: dict, ref: dict, targets,
                    check: dict[str, Agreement]) -> dict:
    return {"case": run.case.id, "suite": run.case.suite, "framework": run.framework,
            "dtype": run.dtype, "seed": run.case.seed, "mode": mode, "step": step,
            "loss_scratch": float(mine["loss"]), "loss_framework": float(ref["loss"]),
            "loss_abs_err": abs(float(mine["loss"]) - float(ref["loss"])),
            "max_grad_abs_err": check["grads"].max_abs_err,
            "max_param_abs_err": check["params"].max_abs_err,
            "max_param_rel_err": check["params"].max_rel_err,
            "accuracy_scratch": batch_accuracy(mine["output"], targets),
            "accuracy_framework": batch_accuracy(ref["output"], targets),
            "within_tolerance": all(c.status == "passed" for c in check.values()),
            "state_within_tolerance": state_agrees(check)}


def state_agrees(check: dict[str, Agreement]) -> bool:
    """The training state (gradients, parameters, buffers, updates) within tolerance: the loss value left
    out, since it feeds nothing back (nnfs's clipped loss differs while every parameter agrees)."""
    return all(c.status == "passed" for name, c in check.items() if name != "loss")


def stable_layout(layout: Layout | None, ref: dict) -> Layout:
    """The layout of the framework's first step, and a clear error when a later step returns other tensors."""
    if layout is None:
        return Layout(ref)
    if not layout.fits(ref):
        raise ValueError("the framework's training step returned other tensors or shapes than at its first "
                         f"step: {layout.signature} then {tensor_shapes(ref)}")
    return layout


def compare_training(run: CaseRun) -> CaseOutcome:
    """param_copy, then per step loss / grad_param / param_after_step; every step in the trajectory."""
    case, dtype, framework = run.case, run.dtype, run.framework
    adapter, implementation = case_adapter(run), get_adapter(run.implementation)
    mode = case.options["mode"]
    rng = np.random.default_rng(case.seed)
    spec = case.model_spec()
    params = {k: v.astype(dtype) for k, v in initial_params(spec, case.options.get("init"), rng).items()}
    data = training_set(case.data, rng)
    x, y = (a if a.dtype.kind in "iu" else a.astype(dtype) for a in (data["x"], data["y"]))  # ids stay int64
    shuffle = np.random.default_rng(case.seed + 1) if case.options.get("shuffle") else None
    epochs = run_length(case.options["epochs"], run.settings.full)
    schedule = batch_schedule(len(x), case.options.get("batch_size"), epochs, shuffle)
    fw_opt, scratch_opt = optimizer_for(case, framework)
    tol = tolerance_for(dtype, "param_after_step")  # free runs: + the chaos allowance, docs/conventions.md §9
    try:
        who, run.version = framework, adapter.version()
        reference = adapter.make_trainer(spec, params, fw_opt, dtype)
        who, mine_spec = run.implementation, implementation_spec(case, framework)
        mine_trainer = implementation.make_trainer(mine_spec, params, scratch_opt, dtype)
        shadow = (chaos.Shadow(implementation, mine_spec, params, scratch_opt, dtype, case.seed)
                  if mode == "free" else None)
    except Exception as exc:  # noqa: BLE001 - the side that raised is named in the crash row
        return run.crash(who, exc)
    rows = run.rows("param_copy", adapter.read_params(reference.model), params)
    trajectory, first_bad, first_nan, start = [], None, None, params  # start: the implementation's state
    layout = allowance = memory = None  # teacher mode: the gradient allowance and what it carries forward
    before = None  # teacher mode: the parameters both sides start the step from, flat (step_state.py)
    history = []  # per-step parameters of both sides, kept when the case asks (record_params)
    for step, index in enumerate(schedule, start=1):
        try:
            who, ref = framework, reference.step(x[index], y[index])
            layout = stable_layout(layout, ref)
            who, mine = run.implementation, mine_trainer.step(x[index], y[index], ref.get("shared"))
            vectors = (layout.state.flatten(mine, run.implementation), layout.state.flatten(ref, framework))
            if shadow is not None:
                shadow.step(x[index], y[index], ref.get("shared"), (mine, ref), layout, vectors)
        except Exception as exc:  # noqa: BLE001 - the side that raised is named in the crash row
            rows.append(run.status_row("crash", describe(who, exc), step))
            break
        params_part = layout.parts["param_after_step"]
        if mode == "teacher":
            before = params_part[1].flatten({"params": params}, "the case") if before is None else before
            allowance, memory = teacher_allowance(layout, vectors, before, memory)
        check = step_check(layout, (mine["loss"], ref["loss"]), vectors, tol, before, dtype, allowance)
        trajectory.append(_trajectory_row(run, mode, step, mine, ref, y[index], check))
        if shadow is not None:
            trajectory[-1].update(shadow.trajectory_columns())
        if first_bad is None and not chaos.step_passes(trajectory[-1]):
            first_bad, first_start = step, start
        if first_nan is None and any(c.status == "nan" for c in check.values()):
            first_nan = step  # the NaN/overflow step keeps its own rows, before any later crash row
        if step in CHECKPOINTS or step == len(schedule) or step in (first_bad, first_nan):
            per_param = (None if v is None else params_part[1].views(v) for v in (before, allowance))
            step_rows = _step_rows(run, step, mine, ref, tol, *per_param)
            rows += shadow.rejudge(step_rows, case) if shadow is not None else step_rows
        if case.options.get("record_params"):
            history.append({"step": step, "scratch": mine["params"], "framework": ref["params"]})
        if mode == "teacher":
            reference.set_params(mine["params"])
            before = vectors[0][params_part[0]]
        start = {**mine["params"], **mine.get("buffers", {})}
    if shadow is not None and trajectory:
        rows.append(chaos.horizon_row(run, trajectory, trajectory[-1]["step"]))
    outcome = run.finish(CaseOutcome(rows))
    if first_bad is not None:  # localize the first bad step to a layer (docs/architecture.md §10)
        index = schedule[first_bad - 1]
        replay_step(run, outcome, first_bad, first_start, x[index], y[index],
                    (fw_opt, {**scratch_opt, "scratch_variant": spec.get("scratch_variant")}))
    outcome.trajectory = trajectory
    outcome.extras = {"history": history, "params": params, "data": data,
                      "final": {"scratch": implementation.read_params(mine_trainer.model),
                                "framework": adapter.read_params(reference.model)}}
    return outcome
