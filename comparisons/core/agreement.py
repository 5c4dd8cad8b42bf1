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
    atol = np.broadcast_to(atol, a.shape).ravel() if np.ndim(atol) else atol
    return compare_parts(a.ravel(), r.ravel(), atol, rtol, [(slice(0, a.size), a.shape)])[0]


def compare_parts(actual: np.ndarray, expected: np.ndarray, atol, rtol: float,
                  parts: list[tuple[slice, tuple[int, ...]]]) -> list[Agreement]:
    """compare() of each part (a slice and its tensor's shape) of two flat float64 vectors, from one
    elementwise pass over them; atol a number or a vector like them."""
    finite = np.isfinite(actual) & np.isfinite(expected)
    with np.errstate(all="ignore"):  # non-finite elements make their part's status nan, nothing else
        err = np.abs(actual - expected)
        ratio = np.where(err == 0, 0.0, err / (atol + rtol * np.abs(expected)))
        rel = np.where(err == 0, 0.0, err / np.abs(expected))
    return [_agreement(actual[part], expected[part], finite[part], err[part], ratio[part], rel[part], shape)
            for part, shape in parts]


def _agreement(a, r, finite, err, ratio, rel, shape: tuple[int, ...]) -> Agreement:
    """One part's Agreement from its elementwise arrays: the worst element by |a - r| / (atol + rtol |r|)."""
    if a.size == 0:
        return Agreement("passed", 0.0, 0.0, 0.0, (), np.nan, np.nan, "empty tensor")
    if not finite.all():
        bad = ~finite
        flat = int(np.flatnonzero(bad)[0])
        return Agreement("nan", np.nan, np.nan, np.nan, _index(flat, shape), float(a[flat]), float(r[flat]),
                         f"{int(bad.sum())} non-finite element(s)")
    flat = int(np.argmax(ratio))
    worst = float(ratio[flat])
    return Agreement(
        status="passed" if worst <= 1.0 else "failed",
        max_abs_err=float(err.max()),
        max_rel_err=float(rel.max()),
        worst_ratio=worst,
        worst_index=_index(flat, shape),
        actual_value=float(a[flat]),
        expected_value=float(r[flat]),
    )
