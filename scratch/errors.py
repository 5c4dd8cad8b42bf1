"""Input checks shared by every scratch component: clear messages naming the component."""

from __future__ import annotations

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def check_float_array(component: str, name: str, array: np.ndarray) -> np.ndarray:
    """Require a non-empty float32/float64 ndarray of finite values; return it unchanged."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{component}: {name} must be a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.type not in FLOAT_DTYPES:
        raise TypeError(
            f"{component}: {name} must have dtype float32 or float64, got {array.dtype}"
        )
    if array.ndim >= 1 and array.shape[0] == 0:
        raise ValueError(f"{component}: {name} is an empty batch (shape {array.shape})")
    return check_finite(component, name, array)


def all_finite(array: np.ndarray) -> bool:
    """all(isfinite(x)), with the fast path isfinite(sum |x|^2) = isfinite(np.vdot(x, x))."""
    # NOTE: a NaN or Inf always makes sum |x|^2 NaN or Inf (squares cannot cancel an Inf), and one
    # BLAS dot is cheaper than the elementwise test; a sum that overflows although every x is finite
    # (|x| > ~1e19 in float32) falls back to the exact elementwise test.
    return bool(np.isfinite(np.vdot(array, array))) or bool(np.isfinite(array).all())


def check_finite(component: str, name: str, array: np.ndarray) -> np.ndarray:
    """Require every element finite (no NaN, no Inf); return the array unchanged."""
    if not all_finite(array):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{component}: {name} contains NaN or Inf (first at index {tuple(int(i) for i in bad)})"
        )
    return array


def check_shape(component: str, name: str, array: np.ndarray, expected: tuple) -> None:
    """Require array.shape to match expected, where None in expected matches any size."""
    actual = array.shape
    ok = len(actual) == len(expected) and all(
        e is None or e == a for e, a in zip(expected, actual, strict=True)
    )
    if not ok:
        shown = tuple("N" if e is None else e for e in expected)
        raise ValueError(f"{component}: {name} must have shape {shown}, got {actual}")


def check_generator(component: str, name: str, rng: object) -> np.random.Generator:
    """Require an explicit numpy.random.Generator (never global np.random); return it."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{component}: {name} must be a numpy.random.Generator "
            f"(e.g. np.random.default_rng(0)), got {type(rng).__name__}"
        )
    return rng


def check_number(component: str, name: str, value: object, low: float = -np.inf, high: float = np.inf,
                 low_open: bool = False, high_open: bool = False) -> float:
    """Require a finite real number in [low, high] ('(' / ')' when open); return it as a Python float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{component}: {name} must be a real number, got {type(value).__name__}")
    number = float(value)
    too_low = number <= low if low_open else number < low
    too_high = number >= high if high_open else number > high
    if not np.isfinite(number) or too_low or too_high:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{component}: {name} must be a finite number in {interval}, got {value!r}")
    return number
