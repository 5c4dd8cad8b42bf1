"""Free-running training judged against measured chaos (docs/conventions.md §9).

A shadow of the implementation under test trains beside it from the same parameters, on the same batches
with the same dropout masks, its parameters multiplied by 1 + u*eps (u = +-1 per element, eps of the dtype)
at the start and after every step (at the start only where its trainer cannot set parameters), and each
batch's samples in a random order (same sums, other rounding). The
baseline B(t) of a tensor is the running maximum over steps <= t of max|impl - shadow|; a free-running
row passes when |impl - framework| <= atol + K*B(t) + rtol*|framework|, (atol, rtol) the teacher-forced
tolerance. The bulk rule adds, per state tensor while the shadow's median element has stayed within that
tolerance: median(|impl - framework| - atol - rtol*|framework|) <= BULK_K * M(t), M(t) the running maximum
of median|impl - shadow| (a few near-tie elements move the maximum, a wrong formula moves the median).
The divergence horizon of the run (impl vs framework) and of the baseline (impl vs shadow) is
the first step that leaves the teacher-forced tolerance; the run fails when its horizon comes before the
baseline's divided by HORIZON_FACTOR.
"""

from __future__ import annotations

import math

import numpy as np

from comparisons.core.agreement import compare
from comparisons.core.rows import CaseRun, make_row
from comparisons.core.tolerances import Tolerance, tolerance_for
from comparisons.kinds.step_state import FIELDS, Layout, Segments, outside

K = 1e6  # the chaos allowance: K x the baseline (docs/conventions.md §9: the measured ratios and margin)
BULK_K = 100.0  # the bulk allowance: median excess <= BULK_K x median baseline (docs/conventions.md §9)
HORIZON_FACTOR = 20.0  # a run may leave the tolerance up to this factor earlier than its baseline
CHAOS_STREAM = 14  # the perturbation signs come from np.random.default_rng((case seed, CHAOS_STREAM))


def perturb(params: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """theta * (1 + u*eps), u = +-1 drawn per element, eps = finfo(theta.dtype).eps; dtype kept."""
    out = {}
    for key, value in params.items():
        signs = rng.integers(0, 2, size=np.shape(value)) * 2 - 1
        out[key] = (value * (1 + signs * float(np.finfo(value.dtype).eps))).astype(value.dtype)
    return out


def tensors(result: dict, before: dict[str, np.ndarray]) -> dict[tuple[str, str], np.ndarray]:
    """(quantity, tensor) -> array of a step: loss, gradients, parameters, buffers, update after - before."""
    found = {("loss", "loss"): np.asarray(result["loss"])}
    for quantity, field in FIELDS:
        found.update({(quantity, key): np.asarray(value) for key, value in (result.get(field) or {}).items()})
    found.update({("update", key): np.asarray(value, dtype=np.float64) - before[key]
                  for key, value in result["params"].items() if key in before})
    return found


class Shadow:
    """The implementation under test once more, perturbed at the rounding level: the run's own chaos."""

    def __init__(self, implementation, spec: dict, params: dict, optimizer: dict, dtype: str,
                 seed: int) -> None:
        self.rng = np.random.default_rng((seed, CHAOS_STREAM))
        start = perturb(params, self.rng)
        self.trainer = implementation.make_trainer(spec, start, optimizer, dtype)
        self.every_step = callable(getattr(self.trainer, "set_params", None))
        self.starts = {"mine": params, "shadow": start, "framework": params}  # each side's first parameters
        self.before: dict[str, np.ndarray] | None = None  # per side its parameters before the step, flat
        self.tol = tolerance_for(dtype, "param_after_step")  # the teacher-forced tolerance of the run
        self.baseline: dict[tuple[str, str], float] = {}  # running max of |impl - shadow| per tensor
        self.bulk_baseline: dict[tuple[str, str], float] = {}  # running max of median |impl - shadow|
        self.bulk_open: dict[tuple[str, str], bool] = {}  # the shadow's median element never left the tol
        self.gap: dict[tuple[str, str], float] = {}  # this step's |impl - shadow| per tensor
        self.bulk_ratios: dict[tuple[str, str], float] = {}  # this step's bulk ratio per state tensor
        self.chaos_ratio = 0.0  # this step's K (ratio())
        self.within = True  # this step's impl within the teacher-forced tolerance of its shadow
        self.seen: tuple = ()  # this step's (layout, results, parameters before) per side, for its rows

    def step(self, x, targets, shared, results: tuple[dict, dict], layout: Layout, vectors: tuple) -> dict:
        """One shadow step on the run's batch and masks with the samples in another order (batch sums then
        round differently, as another library's do), then observe(); re-perturbs its parameters."""
        order = self.rng.permutation(len(x))
        masks = {index: np.asarray(mask)[order]
                 for index, mask in (shared or {}).get("dropout_masks", {}).items()}
        out = self.trainer.step(x[order], targets[order], {**(shared or {}), "dropout_masks": masks})
        span, params = layout.parts["param_after_step"]
        before = self.before or {side: params.flatten({"params": start}, "the case")
                                 for side, start in self.starts.items()}
        state = {"mine": vectors[0], "shadow": layout.state.flatten(out, "the perturbed shadow"),
                 "framework": vectors[1]}
        self.before = {side: vector[span] for side, vector in state.items()}
        if self.every_step:
            perturbed = perturb(out["params"], self.rng)
            self.trainer.set_params(perturbed)
            self.before["shadow"] = params.flatten({"params": perturbed}, "the perturbed shadow")
        self.observe(layout, {"mine": results[0], "shadow": out, "framework": results[1]}, state, before)
        return out

    def observe(self, layout: Layout, results: dict, state: dict, before: dict) -> None:
        """A step's gaps |impl - shadow| into the baselines, then its chaos and bulk ratios against the
        framework: results, state vectors (step_state.py) and parameters before the step per side."""
        self.seen = (layout, results, before)
        span, params = layout.parts["param_after_step"]
        updates = {side: vector[span] - before[side] for side, vector in state.items()}
        distance = np.abs(state["mine"] - state["shadow"])
        loss = np.abs(np.asarray(results["mine"]["loss"], np.float64) - np.asarray(results["shadow"]["loss"]))
        moved = np.abs(updates["mine"] - updates["shadow"])
        self.gap = {("loss", "loss"): float(loss),
                    **dict(zip(layout.state.keys, layout.state.maxima(distance).tolist(), strict=True)),
                    **dict(zip(update_keys(params), params.maxima(moved).tolist(), strict=True))}
        for key, gap in self.gap.items():
            self.baseline[key] = max(self.baseline.get(key, 0.0), gap)  # a NaN gap keeps the old
        self.within = compare(state["mine"], state["shadow"], self.tol.atol, self.tol.rtol).status == "passed"
        excess, broken = self._observe_bulk(layout.state, state, distance)
        moves = updates["mine"], updates["framework"]
        moved_off = params.maxima(outside(*moves, self.tol.atol, self.tol.rtol))
        self.chaos_ratio = max(self._excess_ratios(layout.state.keys, layout.state.maxima(excess), broken)
                               + self._excess_ratios(update_keys(params), moved_off, params.broken(*moves)),
                               default=0.0)

    def _observe_bulk(self, tensors: Segments, state: dict, distance: np.ndarray) -> tuple:
        """The bulk rule's step: median baselines and open flags from the shadow, then the bulk ratios
        against the framework; returns the framework's outside() and broken tensors for the chaos ratio."""
        keys, mine, tol = tensors.keys, state["mine"], self.tol
        which = [i for i, key in enumerate(keys) if self.bulk_open.get(key, True)]  # a closed bulk: for good
        typical = np.array([self.bulk_baseline.get(key, 0.0) for key in keys])
        grown = tensors.medians_above(distance, typical, which)  # NaN: the running max stays
        inside = tensors.bulk_excess(outside(mine, state["shadow"], tol.atol, tol.rtol),
                                     tensors.broken(mine, state["shadow"]), which) <= 0
        for i in which:
            self.bulk_baseline[keys[i]] = max(float(typical[i]), float(grown[i]))
            self.bulk_open[keys[i]] = bool(inside[i])
        which = [i for i in which if inside[i]]
        excess = outside(mine, state["framework"], tol.atol, tol.rtol)
        broken = tensors.broken(mine, state["framework"])
        bulk = tensors.bulk_excess(excess, broken, which)
        self.bulk_ratios = dict.fromkeys(keys, 0.0)  # 0 for a closed bulk
        self.bulk_ratios.update({keys[i]: self._ratio(float(bulk[i]), self.bulk_baseline[keys[i]])
                                 for i in which})
        return excess, broken

    @staticmethod
    def _ratio(excess: float, baseline: float) -> float:
        return 0.0 if excess <= 0 else excess / baseline if baseline > 0 else math.inf

    def _excess_ratios(self, keys: list, largest: np.ndarray, broken: np.ndarray) -> list[float]:
        """Per tensor the K it needs: its largest outside() / its baseline (inf when non-finite)."""
        return [math.inf if bad else self._ratio(value, self.baseline.get(key, 0.0))
                for key, bad, value in zip(keys, broken.tolist(), largest.tolist(), strict=True)]

    def trajectory_columns(self) -> dict:
        """The baseline's per-step columns of trajectories.csv (this step's gaps, not running maxima)."""
        params = [gap for (quantity, _), gap in self.gap.items() if quantity == "param_after_step"]
        return {"baseline_loss_abs_err": self.gap.get(("loss", "loss"), math.nan),
                "baseline_param_abs_err": max(params, default=math.nan),
                "baseline_within_tolerance": self.within, "chaos_ratio": self.chaos_ratio,
                "bulk_ratio": max(self.bulk_ratios.values(), default=0.0)}

    def allowance(self, quantity: str, tensor: str) -> Tolerance:
        """The teacher-forced tolerance with atol + K x this tensor's baseline so far; for a tensor whose
        median element is off by more than BULK_K x its median baseline, atol + BULK_K x that baseline
        (which its worst element then exceeds: the row fails)."""
        tol, bulk = self.tol, self.bulk_ratios.get((quantity, tensor), 0.0)
        if bulk > BULK_K:
            typical = self.bulk_baseline.get((quantity, tensor), 0.0)
            return Tolerance(tol.atol + BULK_K * typical, tol.rtol,
                             f"bulk off: the median element's excess is {bulk:.3g} x the median "
                             f"|impl - perturbed shadow| so far ({typical:.3g}), allowed {BULK_K:g}x")
        baseline = self.baseline.get((quantity, tensor), 0.0)
        return Tolerance(tol.atol + K * baseline, tol.rtol,
                         f"chaos allowance: atol {tol.atol:g} + K={K:g} x baseline {baseline:.3g} "
                         "(max |impl - perturbed shadow| so far)")

    def rejudge(self, rows: list[dict], case=None) -> list[dict]:
        """Rows of one step judged again with the chaos allowance (rows of other quantities unchanged)."""
        layout, results, before = self.seen
        views = layout.parts["param_after_step"][1].views
        mine, ref = (tensors(results[side], views(before[side])) for side in ("mine", "framework"))
        judged = []
        for row in rows:
            key = (row["quantity"], row["tensor"])
            if key not in mine or key not in ref:
                judged.append(row)
                continue
            allowed = self.allowance(*key)
            base = {name: row[name] for name in ("case", "suite", "component", "implementation", "framework",
                                                 "dtype", "seed", "step", "framework_version",
                                                 "expected_divergence")}
            new = make_row(base, *key, mine[key], ref[key], allowed, case, harness=key[0] == "update")
            new["reason"] = "; ".join(filter(None, (allowed.reason, new["reason"])))
            judged.append({**row, **new})
        return judged


def update_keys(params: Segments) -> list[tuple[str, str]]:
    """("update", name) of each parameter."""
    return [("update", name) for _, name in params.keys]


def step_passes(row: dict) -> bool:
    """A trajectory row's verdict: within K x baseline and BULK_K x the median baseline (free runs), else
    within the tolerance (teacher)."""
    if "chaos_ratio" not in row:
        return bool(row["within_tolerance"])
    return row["chaos_ratio"] <= K and row["bulk_ratio"] <= BULK_K


def horizon(trajectory: list[dict], column: str) -> int | None:
    """The first step whose `column` is False (None: the run never left the tolerance)."""
    return next((row["step"] for row in trajectory if not row[column]), None)


def horizon_row(run: CaseRun, trajectory: list[dict], steps: int) -> dict:
    """metric 'divergence_horizon': the run's horizon against its baseline's, failing when it comes earlier
    than baseline / HORIZON_FACTOR (a horizon not reached counts as steps + 1)."""
    run_h = horizon(trajectory, "state_within_tolerance") or steps + 1
    base_h = horizon(trajectory, "baseline_within_tolerance") or steps + 1
    tol = Tolerance(0.0, 1 - 1 / HORIZON_FACTOR,
                    f"divergence horizon: fails before baseline horizon / {HORIZON_FACTOR:g}")
    row = run.row("metric", "divergence_horizon", float(min(run_h, base_h)), float(base_h), tol, steps,
                  harness=True)
    row["scratch_value"] = float(run_h)
    row["reason"] = (f"run leaves the teacher-forced tolerance at step {run_h}, the perturbed shadow at "
                     f"{base_h} ({steps + 1} = never in {steps} steps); fails below "
                     f"{base_h / HORIZON_FACTOR:g}")
    return row
