"""Diagnosis hints of a failed row: what the evidence shows the difference is, or '' when it is not clear.

Each hint is a model of the implementation's values `a` against the framework's `r` that the agreement
rule itself accepts (docs/conventions.md §8): sign flipped (-a agrees), one scale factor for every
element (a agrees with c*r, and the offset model a = r + b does not), transposed (a.T agrees), one step
early or late (the neighbouring step agrees), or a recorded convention the row falls under. Only rows that
failed are examined, so the cost is paid where something is already wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from comparisons.core.agreement import compare
from comparisons.core.case import Case

# A fitted scale is named when it lies within this relative distance of a named factor (or 10 * rtol).
FACTOR_RTOL = 1e-4
MIN_SIGNIFICANT = 2  # a scale needs at least two elements far from zero: one pair fits any factor
CONVENTION_DOC = "docs/conventions.md §6"


def _agrees(a: np.ndarray, r: np.ndarray, atol: float, rtol: float) -> bool:
    return compare(a, r, atol, rtol).status == "passed"


def case_factors(case: Case | None) -> dict[str, float]:
    """Named factors a scale hint may be: 2, 1/2, the batch size N and 1/N, 1/(1-p) and 1-p per dropout
    rate p, the learning rate lr and 1/lr of an optimizer or training case."""
    factors = {"2": 2.0, "1/2": 0.5}
    if case is None:
        return factors
    batch = case.data.get("batch")
    if isinstance(batch, int) and batch > 1:
        factors.update({f"N={batch}": float(batch), f"1/N (N={batch})": 1.0 / batch})
    for layer in case.layers:
        rate = layer.get("rate") if layer.get("type") == "dropout" else None
        if isinstance(rate, float) and 0.0 < rate < 1.0:
            factors.update({f"1/(1-p) (p={rate:g})": 1.0 / (1.0 - rate), f"1-p (p={rate:g})": 1.0 - rate})
    optimizer = case.options.get("optimizer")
    hyper = case.options.get("hyper") or (optimizer.get("hyper", {}) if isinstance(optimizer, dict) else {})
    lr = hyper.get("lr", hyper.get("learning_rate"))
    if isinstance(lr, (int, float)) and lr > 0 and lr != 1:
        factors.update({f"lr={lr:g}": float(lr), f"1/lr (lr={lr:g})": 1.0 / lr})
    return factors


def name_factor(c: float, factors: Mapping[str, float], rtol: float = 0.0) -> str:
    """' (= name, ...)' for the named factors c equals within max(FACTOR_RTOL, 10 rtol); '' for none."""
    close = max(FACTOR_RTOL, 10 * rtol)
    names = [name for name, value in factors.items() if abs(c - value) <= close * abs(value)]
    return f" (= {', '.join(names)})" if names else ""


def scale_hint(a: np.ndarray, r: np.ndarray, atol: float, rtol: float,
               factors: Mapping[str, float] | None = None) -> str:
    """'scaled: a ~ c*r ...' when one least-squares c = (a.r)/(r.r) makes every element agree and a
    constant offset does not; c = -1 is reported as a flipped sign."""
    significant = np.abs(r) > 10 * atol
    if significant.sum() < MIN_SIGNIFICANT or np.ptp(r[significant]) == 0:
        return ""
    c = float(np.dot(a.ravel(), r.ravel()) / np.dot(r.ravel(), r.ravel()))
    if not np.isfinite(c) or c == 0 or not _agrees(a, c * r, atol, rtol):
        return ""
    if _agrees(a, r + float(np.mean(a - r)), atol, rtol):  # an offset explains it as well: not clear
        return ""
    if abs(c + 1) <= max(FACTOR_RTOL, 10 * rtol):
        return "sign flipped: a ~ -r for every element"
    named = name_factor(c, case_factors(None) if factors is None else factors, rtol)
    return f"scaled: a ~ c*r with one c = {c:.6g} for every element{named}"


def array_hint(actual, expected, atol: float, rtol: float, case: Case | None = None) -> str:
    """The hint two arrays of a failed row support: transposed, sign flipped, one scale factor; else ''."""
    a, r = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if a.size == 0 or not (np.isfinite(a).all() and np.isfinite(r).all()):
        return ""
    if a.ndim == 2 and a.size > 1 and a.T.shape == r.shape and _agrees(a.T, r, atol, rtol):
        return "transposed: a.T ~ r" + ("" if a.shape == r.shape else f" (shapes {a.shape} and {r.shape})")
    if a.shape != r.shape:
        return ""
    if _agrees(-a, r, atol, rtol):
        return "sign flipped: a ~ -r for every element"
    return scale_hint(a, r, atol, rtol, case_factors(case))


def row_hint(status: str, actual, expected, atol: float, rtol: float, case: Case | None = None) -> str:
    """array_hint for a failed row; '' for every other status (nothing to explain, or no values)."""
    return array_hint(actual, expected, atol, rtol, case) if status == "failed" else ""


def step_hint(actual, by_step: Mapping[int, object], step: int, atol: float, rtol: float) -> str:
    """'one step late/early' when the implementation's step `step` agrees with the framework's step
    step-1 / step+1 (`by_step`: the framework's tensor per step) and not with its own step."""
    a = np.asarray(actual, dtype=np.float64)
    found = [f"one step {word}: a at step {step} ~ r at step {neighbour}"
             for neighbour, word in ((step - 1, "late"), (step + 1, "early"))
             if (r := by_step.get(neighbour)) is not None and np.shape(r) == a.shape
             and _agrees(a, np.asarray(r, np.float64), atol, rtol)]
    return found[0] if len(found) == 1 else ""  # both neighbours agreeing is no evidence of either


def add_step_hints(rows: Sequence[dict], mine: Sequence[Mapping], reference: Sequence[Mapping]) -> None:
    """Sets `hint` on failed per-step rows (mine[step][tensor] vs reference[step][tensor], steps from 1)
    that have none when the implementation is one step early or late: what optimizer and training call."""
    for row in rows:
        if row.get("status") != "failed" or row.get("hint") or not 0 < row["step"] < len(mine):
            continue
        tensor = row["tensor"]
        by_step = {s: ref[tensor] for s, ref in enumerate(reference) if tensor in ref}
        row["hint"] = step_hint(mine[row["step"]][tensor], by_step, row["step"], row["atol"], row["rtol"])


def convention_hint(row: dict, known: Sequence, case: Case | None = None) -> str:
    """For a row still failed after known differences: the entry whose patterns it matches but whose
    bound it exceeds, else the convention options the case itself gives the implementation."""
    for entry in known:
        if entry.matches(row):
            return (f"matches known difference {entry.key} but |a - r| = {row['max_abs_err']:.3g} exceeds "
                    f"its bound {entry.expected_magnitude:g}")
    options = (case.options if case is not None else {})
    optimizer = options.get("optimizer")
    given = {**(options.get("scratch_conventions") or {}),
             **(optimizer.get("scratch_conventions") or {} if isinstance(optimizer, dict) else {})}
    for layer_type, layer_options in (options.get("scratch_layer_conventions") or {}).items():
        given.update({f"{layer_type}.{k}": v for k, v in layer_options.items()})
    if given:
        shown = ", ".join(f"{k}={v!r}" for k, v in sorted(given.items()))
        return f"the case runs the implementation with convention option(s) {shown} ({CONVENTION_DOC})"
    return ""
