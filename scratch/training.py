"""Helpers of Sequential's training loop: input checks, batch order, epoch summaries (nnfs Model.train)."""

from __future__ import annotations

import math

import numpy as np

from scratch.errors import check_float_array, check_generator, check_shape


def check_inputs(component: str, x: np.ndarray, dtype: np.dtype | None, n_inputs: int | None) -> None:
    """Require a non-empty, finite float batch x of the model's dtype and input width (N, n_inputs)."""
    check_float_array(component, "x", x)
    if dtype is not None and x.dtype != dtype:
        raise TypeError(
            f"{component}: x has dtype {x.dtype} but the model's parameters are {dtype}; "
            f"cast it with x.astype(np.{dtype}) (no silent up- or down-cast)"
        )
    if n_inputs is not None:
        check_shape(component, "x", x, (None, n_inputs))


def check_targets(component: str, x: np.ndarray, y: np.ndarray, dtype: np.dtype | None = None) -> None:
    """Require targets y with one row per row of x; float targets finite and of the model's dtype
    (x's when not given; x is integer ids for an embedding)."""
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{component}: y must be a numpy.ndarray, got {type(y).__name__}")
    if y.ndim == 0 or y.shape[0] != x.shape[0]:
        raise ValueError(
            f"{component}: y must have {x.shape[0]} rows to match x of shape {x.shape}, "
            f"got y of shape {y.shape}"
        )
    if np.issubdtype(y.dtype, np.floating):
        check_float_array(component, "y", y)
        expected = x.dtype if x.dtype.kind == "f" or dtype is None else dtype  # ids: the model's
        if y.dtype != expected:
            whose = "x's" if expected == x.dtype else "the model's"
            raise TypeError(f"{component}: float targets y must have {whose} dtype {expected}, got {y.dtype}")


def check_positive_int(component: str, name: str, value: int | None, allow_none: bool = False) -> None:
    """Require an int >= 1 (or None when allowed), with a message naming the argument."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{component}: {name} must be an integer >= 1, got {value!r}")


def batch_indices(
    component: str, n_samples: int, batch_size: int | None, shuffle_rng: np.random.Generator | None
) -> list[np.ndarray]:
    """Row indices of each step of one epoch: ceil(N / batch_size) slices, the last one partial.

    Order is 0..N-1 unless a Generator is given, then shuffle_rng.permutation(N) (a fresh one per
    epoch). batch_size=None means one full batch. Like keras fit(shuffle=False) and torch
    DataLoader(shuffle=False, drop_last=False); nnfs never shuffles.
    """
    if shuffle_rng is not None:
        check_generator(component, "shuffle_rng", shuffle_rng)
    order = np.arange(n_samples) if shuffle_rng is None else shuffle_rng.permutation(n_samples)
    size = n_samples if batch_size is None else min(batch_size, n_samples)
    steps = math.ceil(n_samples / size)
    return [order[step * size : (step + 1) * size] for step in range(steps)]


def sample_weighted_mean(values: list[float], counts: list[int]) -> float:
    """sum_s value_s * n_s / sum_s n_s: the epoch mean over samples (nnfs accumulated loss and accuracy)."""
    return float(np.dot(values, counts) / np.sum(counts))


def new_history(with_accuracy: bool, with_validation: bool) -> dict[str, list[float]]:
    """Empty history lists: step_* per optimizer step, the rest per epoch (keras History.history names)."""
    keys = ["step_loss", "step_regularization", "step_total", "loss", "regularization", "total"]
    if with_accuracy:
        keys += ["step_accuracy", "accuracy"]
    if with_validation:
        keys += ["val_loss"] + (["val_accuracy"] if with_accuracy else [])
    return {key: [] for key in keys}
