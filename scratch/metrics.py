"""Accuracy metrics of a batch of predictions (nnfs Accuracy_Categorical / _Binary / _Regression)."""

from __future__ import annotations

import numpy as np

from scratch.losses import Loss

ACCURACY_KINDS = ("categorical", "binary", "regression")
REGRESSION_DIVISOR = 250.0  # nnfs: precision = std(y) / 250

# Loss kind -> accuracy kind used when Sequential(accuracy=None).
_ACCURACY_OF_LOSS = {
    "categorical_crossentropy": "categorical",
    "categorical_crossentropy_logits": "categorical",
    "categorical_crossentropy_sum": "categorical",
    "categorical_crossentropy_logits_sum": "categorical",
    "binary_crossentropy": "binary",
    "binary_crossentropy_logits": "binary",
    "mse": "regression",
    "half_mse": "regression",
    "mae": "regression",
}


def default_accuracy(loss: Loss | None) -> str | None:
    """Accuracy kind implied by the loss: CCE -> categorical, BCE -> binary, MSE/MAE -> regression."""
    return _ACCURACY_OF_LOSS.get(getattr(loss, "kind", None))


def binary_threshold(loss: Loss | None) -> float:
    """Binary-accuracy threshold: 0.5 on probabilities, 0 on logits (sigmoid(z) > 0.5 iff z > 0)."""
    return 0.0 if getattr(loss, "from_logits", False) else 0.5


def check_accuracy_kind(component: str, kind: str | None) -> str | None:
    """Return kind if it is None or one of ACCURACY_KINDS, else raise a ValueError listing them."""
    if kind is not None and kind not in ACCURACY_KINDS:
        raise ValueError(f"{component}: unknown accuracy {kind!r}; known: {', '.join(ACCURACY_KINDS)}")
    return kind


def categorical_accuracy(pred: np.ndarray, labels: np.ndarray) -> float:
    """mean(argmax_k pred == y), y sparse (N,) or one-hot (N, k) (keras (sparse_)categorical_accuracy)."""
    labels = np.asarray(labels)
    if labels.shape == pred.shape:
        labels = labels.argmax(axis=1)
    if labels.shape != (pred.shape[0],):
        raise ValueError(
            f"categorical_accuracy: labels must have shape ({pred.shape[0]},) or {pred.shape}, "
            f"got {labels.shape}"
        )
    return float(np.mean(pred.argmax(axis=1) == labels))


def _check_same_shape(metric: str, pred: np.ndarray, targets: np.ndarray) -> None:
    # NOTE: (N, 1) against (N,) would broadcast to (N, N) and give a meaningless number.
    if pred.shape != targets.shape:
        raise ValueError(
            f"{metric}: targets must have the predictions' shape {pred.shape}, got {targets.shape}"
        )


def binary_accuracy(pred: np.ndarray, targets: np.ndarray, threshold: float = 0.5) -> float:
    """mean((pred > threshold) == (y > 0.5)) elementwise, targets (N, 1) of 0/1 (keras binary_accuracy)."""
    targets = np.asarray(targets)
    _check_same_shape("binary_accuracy", pred, targets)
    return float(np.mean((pred > threshold) == (targets > 0.5)))


def regression_precision(targets: np.ndarray, divisor: float = REGRESSION_DIVISOR) -> float:
    """nnfs regression precision: std(y) / 250."""
    return float(np.std(targets) / divisor)


def regression_accuracy(pred: np.ndarray, targets: np.ndarray, precision: float | None = None) -> float:
    """mean(|pred - y| < precision), precision = std(y)/250 unless given (nnfs Accuracy_Regression)."""
    targets = np.asarray(targets)
    _check_same_shape("regression_accuracy", pred, targets)
    if precision is None:
        precision = regression_precision(targets)
    return float(np.mean(np.abs(pred - targets) < precision))


def accuracy(
    kind: str, pred: np.ndarray, targets: np.ndarray, precision: float | None = None, threshold: float = 0.5
) -> float:
    """Dispatch to categorical_accuracy, binary_accuracy (threshold) or regression_accuracy (precision)."""
    if kind == "categorical":
        return categorical_accuracy(pred, targets)
    if kind == "binary":
        return binary_accuracy(pred, targets, threshold)
    if kind == "regression":
        return regression_accuracy(pred, targets, precision)
    raise ValueError(f"unknown accuracy {kind!r}; known: {', '.join(ACCURACY_KINDS)}")
