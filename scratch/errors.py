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
    if not np.all(np.isfinite(array)):
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
