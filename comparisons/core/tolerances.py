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

    atol: float
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


# Free-running training: each implementation trains on its own for many steps.
FREE_RUNNING: dict[str, Tolerance] = {
    "float64": Tolerance(
        1e-10, 1e-8,
        "free-running float64: rounding differences compound over steps (docs/conventions.md §9: ~1e-8 "
        "after 200 Adam steps); 1e-8 relative on the loss at every step is the project's bar",
    ),
    "float32": Tolerance(
        1e-5, 1.3e-6,
        "free-running float32 is held to the single-step bar; where chaotic drift crosses it the "
        "crossing step is reported (trajectory_break_step), docs/conventions.md §9",
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
# judge that difference): the measured gap max|g_mine - g_fw| moves the step by the step's gain, estimated
# as max|dtheta_fw| / max|g_fw| (exactly lr for plain SGD), so atol adds gain * gap. A wrong step is still
# seen: a learning rate off by 1% moves every element by 1% of the step, the gap by the gradients' own
# disagreement. Adam's per-element gain (lr / sqrt(v), large where |g| is small) exceeds that estimate:
# those cases are known differences.
UPDATE_ULPS = 2
UPDATE_REASON = ("update: rtol = the one-step rtol of the dtype, atol = rtol * max|dtheta_framework| + "
                 f"{UPDATE_ULPS} * eps(dtype) * max|theta_after| (each side rounds theta_after to the dtype: "
                 "half an ulp, ulp <= eps*|theta|); relative to the update's own size, so a wrong step "
                 "cannot hide inside theta's magnitude; in training + max|dtheta_fw|/max|g_fw| * "
                 "max|g_mine - g_fw| (the step's gain times the gradients' measured gap)")


def _largest(x) -> float:
    return float(np.max(np.abs(np.asarray(x, np.float64)), initial=0.0))


def update_tolerance(dtype: str, framework_update, theta_after, grads: tuple | None = None) -> Tolerance:
    """atol = rtol_q*max|dtheta_fw| + UPDATE_ULPS*eps*max|theta_after| (+ gain*max|g_mine - g_fw| given
    grads = (g_mine, g_fw), gain = max|dtheta_fw|/max|g_fw|), rtol = rtol_q (the one-step rtol)."""
    rtol = tolerance_for(dtype, "param_after_step").rtol
    scale, size = _largest(framework_update), _largest(theta_after)
    gap = 0.0
    if grads is not None and _largest(grads[1]) > 0:
        gap = scale / _largest(grads[1]) * _largest(np.asarray(grads[0], np.float64) - grads[1])
    if not all(math.isfinite(v) for v in (scale, size, gap)):  # a NaN step: the row is status nan anyway
        scale = size = gap = 0.0
    atol = rtol * scale + UPDATE_ULPS * float(np.finfo(dtype).eps) * size + gap
    return Tolerance(atol, rtol, UPDATE_REASON)


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
