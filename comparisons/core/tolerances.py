"""The one tolerance table: |a - r| <= atol + rtol * |r|, by dtype and kind of quantity."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

QUANTITY_KIND = {
    "param_copy": "copy",
    "output": "forward",
    "activation": "forward",
    "internal": "forward",  # a layer's own intermediate tensor (attention weights), protocol.layer_internals
    "loss": "forward",
    "metric": "forward",
    "buffer": "forward",  # running statistics: computed by the forward pass from the batch
    "grad_input": "gradient",
    "grad_param": "gradient",
    "grad_activation": "gradient",
    "param_after_step": "step",
    "update": "update",  # theta_after - theta_before: a per-row tolerance, update_tolerance() below
}


@dataclass(frozen=True)
class Tolerance:
    """An (atol, rtol) pair and why it is that number."""

    atol: float  # or an array of the compared tensor's shape: a per-element allowance (update_tolerance)
    rtol: float
    reason: str


TOLERANCES: dict[tuple[str, str], Tolerance] = {
    ("float64", "copy"): Tolerance(0.0, 0.0, "a parameter copy is exact: same dtype, no arithmetic"),
    ("float32", "copy"): Tolerance(0.0, 0.0, "a parameter copy is exact: same dtype, no arithmetic"),
    ("float64", "forward"): Tolerance(
        1e-12, 1e-10,
        "identical formula in float64: measured floor 1e-16..1e-12 (docs/conventions.md §8); "
        "rtol 1e-10 is the project's float64 bar",
    ),
    ("float64", "gradient"): Tolerance(
        1e-12, 1e-10,
        "identical formula in float64; gradients sum over the batch, still far below 1e-12 absolute",
    ),
    ("float64", "step"): Tolerance(
        1e-12, 1e-10, "one optimizer update in float64 from identical parameters and gradients"
    ),
    ("float32", "forward"): Tolerance(
        1e-5, 1.3e-6, "torch.testing.assert_close float32 defaults: single ops differ by ~1 ulp"
    ),
    ("float32", "gradient"): Tolerance(
        1e-5, 1.3e-6,
        "torch.testing.assert_close float32 defaults; gradients of this size of network "
        "(fan-in <= 32) stay within them",
    ),
    ("float32", "step"): Tolerance(
        1e-5, 1.3e-6, "torch.testing.assert_close float32 defaults for one update"
    ),
}


def tolerance_for(dtype: str, quantity: str) -> Tolerance:
    """The table entry for this dtype and quantity; KeyError names what is missing."""
    try:
        return TOLERANCES[(dtype, QUANTITY_KIND[quantity])]
    except KeyError:
        per_row = " (its tolerance is per row: update_tolerance)" if quantity == "update" else ""
        raise KeyError(f"no tolerance for dtype {dtype!r} and quantity {quantity!r}{per_row}") from None


# Update rows (quantity "update"): the step itself, dtheta = theta_after - theta_before, per parameter.
# param_after_step hides a wrong step inside theta's magnitude: with lr 1e-4 and theta ~ 1 a 1% error of
# the step is 1e-6 absolute, below float32's atol 1e-5. So the update gets a tolerance scaled by the
# update's own size: rtol = rtol_q and atol = rtol_q * max|dtheta_framework| (the step's arithmetic
# carries relative rounding, as one step of the table does), with rtol_q the dtype's one-step rtol.
# One more term is not relative to the update: each side rounds theta_after = theta_before + dtheta to
# the dtype, an error of up to half an ulp of theta_after, and ulp(x) <= eps * |x|; both sides together
# give eps * max|theta_after|. UPDATE_ULPS = 2 allows two such roundings per side (a step applied as two
# in-place operations, e.g. a decay term then the gradient step). dtheta is computed by the harness in
# float64 from the returned parameters, which is exact for two values of the dtype that are this close.
# In training the two sides also step from different gradients (each computes its own; grad_param rows
# judge that difference), so atol adds, per element, the step's gain times that element's gradient gap
# |g_mine_i - g_fw_i|. The gain of element i is max over both sides of |dtheta_i| / |g_i|: exactly lr for
# plain SGD, and for Adam's first step, dtheta = lr*g/(|g| + eps), it bounds d(dtheta)/dg =
# lr*eps/(|g| + eps)^2 <= lr/(|g| + eps); the per-element gain is large exactly where |g| ~ eps, where
# float32 rounding of g moves Adam's step most. Both sides count, since a side's step may round to 0
# (a step below half an ulp of theta); the tensor's gain max|dtheta|/max|g| (either side) is a floor for
# elements whose own ratio says nothing (g_i = 0). Later steps carry earlier gradients in the optimizer's
# state (Adam's m and v): the allowance keeps a memory, gain_i the running max over the steps and gap_i =
# max(this gap, GAP_MEMORY * the previous gap_i). A bug cannot hide in it: at a step without memory the
# allowance is |dtheta_i| times the relative gradient gap |dg_i|/|g_i|, so an element whose step is off
# by a relative r passes only if its gradients disagree by as much; the memory loosens that by the ratio
# of the element's largest earlier gain to its current one (large only where |g| was once ~ eps). A 1%
# learning-rate error fails on the elements whose gradients agree to better than 1%: all but near-zero
# ones (docs/conventions.md §8).
UPDATE_ULPS = 2
GAP_MEMORY = 0.9  # Adam's default beta_1: the fraction of earlier gradients its first moment keeps per step
UPDATE_REASON = ("update: rtol = the one-step rtol of the dtype, atol = rtol * max|dtheta_framework| + "
                 f"{UPDATE_ULPS} * eps(dtype) * max|theta_after| (each side rounds theta_after to the dtype: "
                 "half an ulp, ulp <= eps*|theta|); relative to the update's own size, so a wrong step "
                 "cannot hide inside theta's magnitude; in training + per element gain_i * |g_mine_i - "
                 "g_fw_i|, gain_i = max over sides of |dtheta_i|/|g_i| (at least the tensor's max|dtheta|/"
                 "max|g|): the step's sensitivity to that element's gradient times the measured gap; "
                 f"over the steps gain_i keeps its max and the gap decays by {GAP_MEMORY}")


def _largest(x) -> float:
    return float(np.max(np.abs(np.asarray(x, np.float64)), initial=0.0))


def _ratio(num, den) -> np.ndarray:
    """|num| / |den| elementwise in float64, 0 where den is 0."""
    num, den = np.abs(np.asarray(num, np.float64)), np.abs(np.asarray(den, np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def tensor_largest(x) -> np.ndarray:
    """x's largest |element| in the place of each element (x one tensor)."""
    return np.full(np.shape(x), _largest(x))


def step_gain(updates: tuple, grads: tuple, largest=tensor_largest) -> np.ndarray:
    """Per element max(|dtheta_i|/|g_i| over both sides, max|dtheta|/max|g| over both sides); `largest`
    gives each element its tensor's max|x| (several tensors in one vector: kinds/step_state.py)."""
    pairs = list(zip(updates, grads, strict=True))
    (mine, theirs) = (_ratio(largest(u), largest(g)) for u, g in pairs)
    floor = np.where(theirs > mine, theirs, mine)  # Python's max(mine, theirs), NaN included
    gain = np.maximum.reduce([_ratio(u, g) for u, g in pairs] + [floor])
    return np.where(np.isfinite(gain), gain, 0.0)  # a NaN gradient: its grad_param row is status nan


def gradient_allowance(updates: tuple, grads: tuple, memory: tuple | None = None,
                       largest=tensor_largest) -> tuple:
    """(allowance, memory): allowance = gain_i * gap_i, gain_i the running max of step_gain, gap_i =
    max(|g_mine_i - g_fw_i|, GAP_MEMORY * the previous gap_i); memory = (gain, gap) for the next step."""
    gap = np.abs(np.asarray(grads[0], np.float64) - np.asarray(grads[1], np.float64))
    gap, gain = np.where(np.isfinite(gap), gap, 0.0), step_gain(updates, grads, largest)
    if memory is not None and np.shape(memory[0]) == np.shape(gain):
        gain, gap = np.maximum(gain, memory[0]), np.maximum(gap, GAP_MEMORY * memory[1])
    return gain * gap, (gain, gap)


def update_atol(dtype: str, scale, size):
    """rtol_q*scale + UPDATE_ULPS*eps*size, scale = max|dtheta_fw| and size = max|theta_after| of a tensor
    (numbers, or arrays of several tensors'); 0 where either is not finite (a NaN step: its row is nan)."""
    rtol = tolerance_for(dtype, "param_after_step").rtol
    finite = np.isfinite(scale) & np.isfinite(size)
    with np.errstate(invalid="ignore"):
        return np.where(finite, rtol * scale + UPDATE_ULPS * float(np.finfo(dtype).eps) * size, 0.0)


def update_tolerance(dtype: str, framework_update, theta_after, allowance=0.0) -> Tolerance:
    """atol = update_atol of the tensor + allowance (in training the gradient_allowance, per element),
    rtol = rtol_q (the one-step rtol)."""
    atol = float(update_atol(dtype, _largest(framework_update), _largest(theta_after))) + allowance
    return Tolerance(atol, tolerance_for(dtype, "param_after_step").rtol, UPDATE_REASON)


# Distribution statistics (initializer cases, quantity "metric"): two independent seeded draws of
# n values each, scratch's and the framework's. Random streams cannot be matched element by
# element, so these tolerances come from sampling theory: each entry is a number of standard
# errors (or a false-alarm rate), and statistic_tolerance() turns it into (atol, rtol) for the n
# and the spread sigma (the framework draw's std) of a row. sigma = 0 (zeros, constant) gives
# atol = rtol = 0: constant draws compare exactly. float32 rounding (relative 6e-8) is orders of
# magnitude below these sampling errors, so both dtypes share one rule.
STANDARD_ERRORS = 5.0  # two-sided tail of a normal statistic beyond 5 SE: 5.7e-7 per row
FALSE_ALARM = 5.7e-7
KS_ALPHA = 1e-3


@dataclass(frozen=True)
class SamplingRule:
    """A statistic's tolerance in sampling-theory units; statistic_tolerance() scales it."""

    level: float  # standard errors, mean gaps at a bound, or the KS test's false-alarm rate
    reason: str


_SAMPLING_RULES = {
    "mean": SamplingRule(
        STANDARD_ERRORS,
        "difference of two sample means of n draws has SE sigma*sqrt(2/n); atol = 5 SE "
        "(false alarm 5.7e-7 per row), sigma = the framework draw's std",
    ),
    "std": SamplingRule(
        STANDARD_ERRORS,
        "sample std has relative SE sqrt((kurtosis-1)/(4n)); for the difference of two draws and "
        "the normal's kurtosis 3 (uniform 1.8 and truncated normal 2.4 are smaller) that is "
        "sqrt(1/n); rtol = 5 SE",
    ),
    "bound": SamplingRule(
        -math.log(FALSE_ALARM),
        "min/max of a bounded draw (uniform, 2-sigma truncated normal): the gap to the bound is "
        "Exp(n*f), f the density at the bound; the difference of two gaps is Laplace, so "
        "atol = ln(1/5.7e-7)/(n*f) = 14.4 mean gaps (same false alarm as 5 SE)",
    ),
    "ks_statistic": SamplingRule(
        KS_ALPHA,
        "two-sample Kolmogorov-Smirnov distance D (scipy ks_2samp, asymptotic): atol = "
        "kstwo.isf(alpha, n/2), so the row passes exactly when p >= alpha. alpha = 1e-3 keeps "
        "power (n = 120000: D_crit = 0.0080; a 5% change of scale gives D = 0.012, a missing "
        "2-sigma truncation 0.017) at a 4% chance of one false alarm over ~40 KS rows, which "
        "seeded draws would make a fixed, reproducible row, never a flake",
    ),
}
STATISTIC_TOLERANCES: dict[tuple[str, str], SamplingRule] = {
    (dtype, statistic): rule for dtype in ("float32", "float64")
    for statistic, rule in _SAMPLING_RULES.items()
}


def statistic_tolerance(dtype: str, statistic: str, n: int, sigma: float,
                        edge_density: float | None = None) -> Tolerance:
    """Two n-value draws: mean atol 5*sigma*sqrt(2/n), std rtol 5/sqrt(n), min/max 14.4/(n*f), KS D_crit."""
    kind = "bound" if statistic in ("min", "max") else statistic
    try:
        rule = STATISTIC_TOLERANCES[(dtype, kind)]
    except KeyError:
        raise KeyError(f"no statistic tolerance for dtype {dtype!r} and statistic {statistic!r}") from None
    if kind == "mean":
        return Tolerance(rule.level * sigma * math.sqrt(2 / n), 0.0, rule.reason)
    if kind == "std":
        return Tolerance(0.0, rule.level / math.sqrt(n) if sigma > 0 else 0.0, rule.reason)
    if kind == "bound":
        return Tolerance(rule.level / (n * edge_density) if sigma > 0 else 0.0, 0.0, rule.reason)
    from scipy.stats import kstwo

    return Tolerance(float(kstwo.isf(rule.level, round(n / 2))), 0.0, rule.reason)
