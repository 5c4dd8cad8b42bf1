"""Loss landscapes: the loss over a 2-D grid of parameter sets, computed by scratch and by a framework.

A landscape case (kind "landscape") is not a trajectory: every implementation evaluates its own
inference-mode loss at the same parameter sets, and the whole grid is compared as one tensor.
Grids (case.options["grid"]):
  "weight_bias": a 1-1 dense model (y = w*x + b) at every (w, b) of options["ranges"] (seed 06);
  "directions":  theta* + alpha*d1 + beta*d2 for alpha, beta in [-span, span], d1 and d2 random
                 filter-normalized directions (Li et al. 2018), theta* = scratch-trained weights.
grid[i, j] is the loss at (axis_1[j], axis_2[i]), the layout of np.meshgrid(axis_1, axis_2).
"""

from __future__ import annotations

import numpy as np

from comparisons.adapters import get_adapter
from comparisons.adapters.cache import case_adapter
from comparisons.core.case import Case, run_length
from comparisons.core.rows import CaseOutcome, CaseRun, describe
from comparisons.data.parameters import draw_params
from comparisons.data.training import training_set

# make_trainer is used only for set_params and loss on one built model: no step is ever taken.
NO_STEP = {"optimizer": "sgd", "hyper": {"lr": 0.0}}


def filter_normalized(direction: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """d[:, j] * ||W[:, j]|| / (||d[:, j]|| + 1e-10): every neuron's incoming weights (a 'filter',
    a row of torch's (out, in) weight) get the norm of the same neuron's weights (Li et al. 2018)."""
    return direction * np.linalg.norm(weight, axis=0) / (np.linalg.norm(direction, axis=0) + 1e-10)


def random_direction(params: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A filter-normalized N(0, 1) direction for every weight; bias directions are zero."""
    return {key: filter_normalized(rng.standard_normal(value.shape), value) if key.endswith(".weight")
            else np.zeros_like(value) for key, value in params.items()}


def trained_center(spec: dict, data: dict, center: dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """theta*: harness-drawn weights trained full-batch by the bundled scratch library (a tool here, not
    the implementation under test) for center['steps'] steps, in float64."""
    params = draw_params(spec["layers"], rng)
    trainer = get_adapter("scratch").make_trainer(
        spec, params, {"optimizer": center["optimizer"], "hyper": center["hyper"]}, "float64")
    for _ in range(center["steps"]):
        trainer.step(data["x"], data["y"])
    return trainer.model.get_params()


_GRIDS: dict[tuple, tuple] = {}  # (the case as plain data, full) -> grid_points: one per process


def case_grid(case: Case, spec: dict, data: dict, rng: np.random.Generator, full: bool):
    """grid_points of the case, computed once per process (theta* is trained by scratch: the same for every
    framework and dtype the case runs on)."""
    key = (repr(case), full)  # every field, the options and seed included
    if key not in _GRIDS:
        _GRIDS[key] = grid_points(case, spec, data, rng, full)
    return _GRIDS[key]


def grid_points(case: Case, spec: dict, data: dict, rng: np.random.Generator, full: bool = False):
    """(axis_1, axis_2, parameter sets in row-major grid order), all float64; `full` picks the grid size."""
    options = {**case.options, "points": run_length(case.options["points"], full)}
    if options["grid"] == "weight_bias":
        (w_low, w_high), (b_low, b_high) = options["ranges"]
        axis_1 = np.linspace(w_low, w_high, options["points"])
        axis_2 = np.linspace(b_low, b_high, options["points"])
        points = [{"0.weight": np.array([[w]]), "0.bias": np.array([b])} for b in axis_2 for w in axis_1]
        return axis_1, axis_2, points
    if options["grid"] == "directions":
        center = trained_center(spec, data, options["center"], rng)
        first, second = random_direction(center, rng), random_direction(center, rng)
        axis = np.linspace(-options["span"], options["span"], options["points"])
        points = [{k: center[k] + alpha * first[k] + beta * second[k] for k in center}
                  for beta in axis for alpha in axis]
        return axis, axis, points
    raise KeyError(f"unknown landscape grid {options['grid']!r}; known: weight_bias, directions")


def loss_grid(adapter, spec: dict, points: list[dict], x: np.ndarray, targets: np.ndarray,
              dtype: str) -> tuple[np.ndarray, dict, dict]:
    """(loss at every point from the implementation's (adapter's) own inference forward, params read back
    after loading the first point, that point in the dtype), the losses in the dtype."""
    spec = {**spec, "training": False, "backward": False}
    cast = [{k: v.astype(dtype) for k, v in p.items()} for p in points]
    trainer = adapter.make_trainer(spec, cast[0], NO_STEP, dtype)
    copied = adapter.read_params(trainer.model)
    x, targets = x.astype(dtype), targets.astype(dtype)
    losses = []
    for params in cast:
        trainer.set_params(params)
        losses.append(trainer.loss(x, targets))
    return np.asarray(losses, dtype=dtype), copied, cast[0]


def compare_landscape(run: CaseRun) -> CaseOutcome:
    """param_copy at the first grid point, then ONE 'loss' row comparing the whole loss grid."""
    case, dtype = run.case, run.dtype
    rng = np.random.default_rng(case.seed)
    spec = case.model_spec()
    data = training_set(case.data, rng)
    axis_1, axis_2, points = case_grid(case, spec, data, rng, run.settings.full)
    shape = (len(axis_2), len(axis_1))
    try:
        run.version = case_adapter(run).version()
        theirs, copied, loaded = loss_grid(case_adapter(run), spec, points, data["x"], data["y"], dtype)
    except Exception as exc:  # noqa: BLE001 - a framework fault becomes a crash row
        return run.crash(run.framework, exc)
    rows = run.rows("param_copy", copied, loaded)
    try:
        mine = loss_grid(get_adapter(run.implementation), spec, points, data["x"], data["y"], dtype)[0]
    except Exception as exc:  # noqa: BLE001
        rows.append(run.status_row("crash", describe(run.implementation, exc)))
        return run.finish(CaseOutcome(rows))
    rows.append(run.row("loss", case.options["tensor"], mine.reshape(shape), theirs.reshape(shape)))
    outcome = run.finish(CaseOutcome(rows))
    outcome.extras = {"axis_1": axis_1, "axis_2": axis_2, "scratch": mine.reshape(shape),
                      "framework": theirs.reshape(shape), "data": data}
    return outcome
