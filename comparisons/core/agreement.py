"""The agreement rule of torch.testing.assert_close: |a - r| <= atol + rtol * |r|, r the framework's."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Agreement:
    """Outcome of comparing one tensor: status, errors, and the worst element."""

    status: str  # passed | failed | nan
    max_abs_err: float
    max_rel_err: float
    worst_ratio: float  # max of |a - r| / (atol + rtol |r|); <= 1 means agreement
    worst_index: tuple[int, ...]
    actual_value: float
    expected_value: float
    detail: str = ""


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def compare(actual: np.ndarray, expected: np.ndarray, atol, rtol: float) -> Agreement:
    """Compare scratch's `actual` with the framework's `expected` elementwise, in float64; atol a number
    or an array of their shape (a per-element allowance)."""
    a = np.asarray(actual, dtype=np.float64)
    r = np.asarray(expected, dtype=np.float64)
    if a.shape != r.shape:
        return Agreement("failed", np.inf, np.inf, np.inf, (), np.nan, np.nan,
                         f"shape mismatch: scratch {a.shape}, framework {r.shape}")
    if a.size == 0:
        return Agreement("passed", 0.0, 0.0, 0.0, (), np.nan, np.nan, "empty tensor")
    bad = ~np.isfinite(a) | ~np.isfinite(r)
    if bad.any():
        flat = int(np.flatnonzero(bad.ravel())[0])
        idx = _index(flat, a.shape)
        return Agreement("nan", np.nan, np.nan, np.nan, idx, float(a.ravel()[flat]),
                         float(r.ravel()[flat]), f"{int(bad.sum())} non-finite element(s)")
    err = np.abs(a - r)
    allowed = np.asarray(atol, np.float64) + rtol * np.abs(r)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(err == 0, 0.0, err / allowed)
        rel = np.where(err == 0, 0.0, err / np.abs(r))
    flat = int(np.argmax(ratio))
    worst = float(ratio.ravel()[flat])
    return Agreement(
        status="passed" if worst <= 1.0 else "failed",
        max_abs_err=float(err.max()),
        max_rel_err=float(rel.max()),
        worst_ratio=worst,
        worst_index=_index(flat, a.shape),
        actual_value=float(a.ravel()[flat]),
        expected_value=float(r.ravel()[flat]),
    )
