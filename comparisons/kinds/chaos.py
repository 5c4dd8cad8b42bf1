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

from comparisons.core.rows import CaseRun, make_row
from comparisons.core.tolerances import Tolerance, tolerance_for

K = 1e6  # the chaos allowance: K x the baseline (docs/conventions.md §9: the measured ratios and margin)
BULK_K = 100.0  # the bulk allowance: median excess <= BULK_K x median baseline (docs/conventions.md §9)
STATE = ("grad_param", "param_after_step", "buffer")  # the training state the verdicts read
HORIZON_FACTOR = 20.0  # a run may leave the tolerance up to this factor earlier than its baseline
CHAOS_STREAM = 14  # the perturbation signs come from np.random.default_rng((case seed, CHAOS_STREAM))
FIELDS = (("grad_param", "grads"), ("param_after_step", "params"), ("buffer", "buffers"))


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


def excess_ratio(actual: np.ndarray, expected: np.ndarray, tol: Tolerance, baseline: float) -> float:
    """max over elements of (|a - r| - atol - rtol*|r|) / B: the K this tensor needs (0 when within tol)."""
    a, r = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if a.shape != r.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(r))):
        return math.inf
    excess = float(np.max(np.abs(a - r) - tol.atol - tol.rtol * np.abs(r), initial=0.0))
    if excess <= 0:
        return 0.0
    return excess / baseline if baseline > 0 else math.inf


def median(values: np.ndarray) -> float:
    """np.median of a float64 array, bit for bit: the middle element, or the mean (a + b) / 2 of the middle
    two, found by one np.partition (np.median's own checks cost 4x that on these small tensors); + 0.0 as
    np.mean's sum starts from +0.0, so a middle -0.0 gives +0.0."""
    flat = values.ravel()
    if flat.size == 0 or not np.isfinite(flat).all():
        return float(np.median(flat))  # NaN propagation and the empty case stay np.median's
    half = flat.size // 2
    if flat.size % 2:
        return float(np.partition(flat, half)[half] + 0.0)
    low, high = np.partition(flat, (half - 1, half))[half - 1:half + 1]
    return float((low + high) / 2 + 0.0)


def bulk_excess(actual: np.ndarray, expected: np.ndarray, tol: Tolerance) -> float:
    """median over elements of |a - r| - atol - rtol*|r|: > 0 when more than half the elements are off."""
    a, r = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if a.shape != r.shape or a.size == 0 or not (np.isfinite(a).all() and np.isfinite(r).all()):
        return 0.0  # shapes and non-finite values are excess_ratio's (K = inf)
    return median(np.abs(a - r) - tol.atol - tol.rtol * np.abs(r))


def _float64(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {key: np.asarray(value, dtype=np.float64) for key, value in params.items()}


class Shadow:
    """The implementation under test once more, perturbed at the rounding level: the run's own chaos."""

    def __init__(self, implementation, spec: dict, params: dict, optimizer: dict, dtype: str,
                 seed: int) -> None:
        self.rng = np.random.default_rng((seed, CHAOS_STREAM))
        start = perturb(params, self.rng)
        self.trainer = implementation.make_trainer(spec, start, optimizer, dtype)
        self.every_step = callable(getattr(self.trainer, "set_params", None))
        self.baseline: dict[tuple[str, str], float] = {}  # running max of |impl - shadow| per tensor
        self.before = {"mine": _float64(params), "shadow": _float64(start), "framework": _float64(params)}
        self.current: dict[str, dict] = {}  # this step's tensors per side
        self.gap: dict[tuple[str, str], float] = {}  # this step's |impl - shadow| per tensor
        self.bulk_baseline: dict[tuple[str, str], float] = {}  # running max of median |impl - shadow|
        self.bulk_open: dict[tuple[str, str], bool] = {}  # the shadow's median element never left the tol
        self.tol = tolerance_for(dtype, "param_after_step")  # the teacher-forced tolerance of the run
        self._bulk: dict = {}  # this step's bulk ratios, per (tensor key, tolerance)

    def step(self, x, targets, shared, mine: dict, ref: dict) -> dict:
        """One shadow step on the run's batch and masks with the samples in another order (batch sums then
        round differently, as another library's do); updates the baseline; re-perturbs its parameters."""
        order = self.rng.permutation(len(x))
        masks = {index: np.asarray(mask)[order]
                 for index, mask in (shared or {}).get("dropout_masks", {}).items()}
        out = self.trainer.step(x[order], targets[order], {**(shared or {}), "dropout_masks": masks})
        self.current = {side: tensors(result, self.before[side])
                        for side, result in (("mine", mine), ("shadow", out), ("framework", ref))}
        self.before["shadow"] = _float64(out["params"])
        if self.every_step:
            perturbed = perturb(out["params"], self.rng)
            self.trainer.set_params(perturbed)
            self.before["shadow"] = _float64(perturbed)
        self.before["mine"], self.before["framework"] = _float64(mine["params"]), _float64(ref["params"])
        shadow, self._bulk, self.gap = self.current["shadow"], {}, {}
        for key, value in self.current["mine"].items():
            if key not in shadow:
                continue
            mine = np.asarray(value, np.float64)
            distance = np.abs(mine - shadow[key])
            self.gap[key] = float(np.max(distance, initial=0.0))
            self.baseline[key] = max(self.baseline.get(key, 0.0), self.gap[key])
            if key[0] in STATE:
                self.bulk_baseline[key] = max(self.bulk_baseline.get(key, 0.0), median(distance))
                inside = bulk_excess(mine, shadow[key], self.tol) <= 0
                self.bulk_open[key] = self.bulk_open.get(key, True) and inside
        return out

    def bulk(self, key: tuple[str, str], tol: Tolerance) -> float:
        """The bulk ratio of a state tensor: bulk_excess(impl, framework) / its median baseline (0 when the
        median element is within the tolerance, inf when it is not and the shadow's median never moved;
        0 once the shadow's own median element has left the tolerance: chaos has reached the bulk)."""
        mine, ref = self.current["mine"], self.current["framework"]
        if key[0] not in STATE or key not in mine or key not in ref or not self.bulk_open.get(key, False):
            return 0.0
        if (key, tol) not in self._bulk:  # asked by the trajectory row, then by the step's rows
            excess, baseline = bulk_excess(mine[key], ref[key], tol), self.bulk_baseline.get(key, 0.0)
            self._bulk[key, tol] = 0.0 if excess <= 0 else excess / baseline if baseline > 0 else math.inf
        return self._bulk[key, tol]

    def bulk_ratio(self, tol: Tolerance) -> float:
        """The largest bulk ratio of this step's state tensors (the verdict asks <= BULK_K)."""
        return max((self.bulk(key, tol) for key in self.current["framework"]), default=0.0)

    def ratio(self, tol: Tolerance) -> float:
        """The K this step needs: max over the framework's state tensors (gradients, parameters, buffers,
        updates; not the loss value, as the horizons) of excess_ratio against the baseline."""
        mine = self.current["mine"]
        return max((excess_ratio(mine[key], value, tol, self.baseline.get(key, 0.0))
                    for key, value in self.current["framework"].items() if key in mine and key[0] != "loss"),
                   default=0.0)

    def trajectory_columns(self, tol: Tolerance, baseline_within: bool) -> dict:
        """The baseline's per-step columns of trajectories.csv (this step's gaps, not running maxima)."""
        params = [gap for (quantity, _), gap in self.gap.items() if quantity == "param_after_step"]
        return {"baseline_loss_abs_err": self.gap.get(("loss", "loss"), math.nan),
                "baseline_param_abs_err": max(params, default=math.nan),
                "baseline_within_tolerance": baseline_within, "chaos_ratio": self.ratio(tol),
                "bulk_ratio": self.bulk_ratio(tol)}

    def allowance(self, quantity: str, tensor: str, tol: Tolerance) -> Tolerance:
        """The teacher-forced tolerance with atol + K x this tensor's baseline so far; for a tensor whose
        median element is off by more than BULK_K x its median baseline, atol + BULK_K x that baseline
        (which its worst element then exceeds: the row fails)."""
        bulk = self.bulk((quantity, tensor), tol)
        if bulk > BULK_K:
            typical = self.bulk_baseline.get((quantity, tensor), 0.0)  # not `median`: the function above
            return Tolerance(tol.atol + BULK_K * typical, tol.rtol,
                             f"bulk off: the median element's excess is {bulk:.3g} x the median "
                             f"|impl - perturbed shadow| so far ({typical:.3g}), allowed {BULK_K:g}x")
        baseline = self.baseline.get((quantity, tensor), 0.0)
        return Tolerance(tol.atol + K * baseline, tol.rtol,
                         f"chaos allowance: atol {tol.atol:g} + K={K:g} x baseline {baseline:.3g} "
                         "(max |impl - perturbed shadow| so far)")

    def rejudge(self, rows: list[dict], tol: Tolerance, case=None) -> list[dict]:
        """Rows of one step judged again with the chaos allowance (rows of other quantities unchanged)."""
        mine, ref = self.current["mine"], self.current["framework"]
        judged = []
        for row in rows:
            key = (row["quantity"], row["tensor"])
            if key not in mine or key not in ref:
                judged.append(row)
                continue
            allowed = self.allowance(*key, tol)
            base = {name: row[name] for name in ("case", "suite", "component", "implementation", "framework",
                                                 "dtype", "seed", "step", "framework_version",
                                                 "expected_divergence")}
            new = make_row(base, *key, mine[key], ref[key], allowed, case, harness=key[0] == "update")
            new["reason"] = "; ".join(filter(None, (allowed.reason, new["reason"])))
            judged.append({**row, **new})
        return judged


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
