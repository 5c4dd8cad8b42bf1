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


def class_indices(component: str, labels: np.ndarray, n_samples: int, n_classes: int) -> np.ndarray:
    """Return integer class indices from sparse (N,) or one-hot (N, k) labels, checking both."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        if labels.shape != (n_samples, n_classes):
            raise ValueError(
                f"{component}: one-hot labels must have shape ({n_samples}, {n_classes}), "
                f"got {labels.shape}"
            )
        check_one_hot(component, labels)
        return labels.argmax(axis=1)
    if labels.ndim != 1 or labels.shape[0] != n_samples:
        raise ValueError(
            f"{component}: labels must have shape ({n_samples},) or ({n_samples}, {n_classes}), "
            f"got {labels.shape}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{component}: sparse labels must be integers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"{component}: labels must lie in [0, {n_classes - 1}], "
            f"got values in [{labels.min()}, {labels.max()}]"
        )
    return labels


def check_one_hot(component: str, labels: np.ndarray) -> None:
    """Require a numeric, finite, one-hot (N, k) array: a single 1 per row, 0 elsewhere."""
    if labels.dtype.kind not in "biuf":
        raise TypeError(f"{component}: one-hot labels must be numeric, got dtype {labels.dtype}")
    if not all_finite(labels):
        raise ValueError(f"{component}: one-hot labels contain NaN or Inf")
    if not (np.all((labels == 0) | (labels == 1)) and np.all(labels.sum(axis=1) == 1)):
        raise ValueError(
            f"{component}: 2-D labels must be one-hot (one 1 per row, 0 elsewhere); "
            "soft labels are not supported"
        )


def check_predictions(component: str, pred: np.ndarray, probabilities: bool) -> None:
    """Require non-empty, finite (N, k) float predictions; probabilities must lie in [0, 1]."""
    check_float_array(component, "predictions", pred)
    check_shape(component, "predictions", pred, (None, None))
    if pred.shape[1] == 0:
        raise ValueError(f"{component}: predictions have no outputs (shape {pred.shape})")
    if probabilities and (pred.min() < 0 or pred.max() > 1):
        raise ValueError(
            f"{component}: predictions must be probabilities in [0, 1], got values in "
            f"[{pred.min()}, {pred.max()}] (logits need the *_logits loss)"
        )


def dense_targets(component: str, pred: np.ndarray, target: np.ndarray,
                   low: float = -np.inf, high: float = np.inf) -> np.ndarray:
    """Targets of exactly pred's shape, real and finite, in [low, high]; returned in pred's dtype."""
    target = np.asarray(target)
    if target.shape != pred.shape:
        hint = " (reshape(-1, 1) for one output)" if target.ndim == 1 else ""
        raise ValueError(
            f"{component}: targets must have the predictions' shape {pred.shape}, got {target.shape}{hint}"
        )
    if target.dtype.kind not in "biuf":
        raise TypeError(f"{component}: targets must be real numbers, got dtype {target.dtype}")
    if not all_finite(target):
        raise ValueError(f"{component}: targets contain NaN or Inf")
    if target.min() < low or target.max() > high:
        raise ValueError(
            f"{component}: targets must lie in [{low}, {high}], "
            f"got values in [{target.min()}, {target.max()}]"
        )
    return target.astype(pred.dtype, copy=False)  # a float64 target must not upcast float32 work
