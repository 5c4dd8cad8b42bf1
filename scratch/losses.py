"""Losses: value(pred, target) -> 0-d array of pred's dtype, gradient -> dL/dpred.

The batch is reduced by its mean, unless a loss takes reduction="sum" (categorical cross-entropy).

Predictions are (N, k) float arrays. Regression and binary targets must have exactly pred's shape
(no broadcasting: an (N,) target against (N, 1) predictions is an error, not an (N, N) loss);
categorical labels are sparse (N,) integers or one-hot (N, k).
"""

from __future__ import annotations

import numpy as np

from scratch.activations import log_softmax, sigmoid, softmax
from scratch.errors import all_finite, check_float_array, check_number, check_shape


def class_indices(component: str, labels: np.ndarray, n_samples: int, n_classes: int) -> np.ndarray:
    """Return integer class indices from sparse (N,) or one-hot (N, k) labels, checking both."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        if labels.shape != (n_samples, n_classes):
            raise ValueError(
                f"{component}: one-hot labels must have shape ({n_samples}, {n_classes}), "
                f"got {labels.shape}"
            )
        _check_one_hot(component, labels)
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


def _check_one_hot(component: str, labels: np.ndarray) -> None:
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


def _check_predictions(component: str, pred: np.ndarray, probabilities: bool) -> None:
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


def _dense_targets(component: str, pred: np.ndarray, target: np.ndarray,
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


def _scalar(value: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """A 0-d array of the given dtype (the reduced loss keeps the predictions' dtype)."""
    return np.asarray(value, dtype=dtype)


REDUCTIONS = ("mean", "sum")


class Loss:
    """Base loss with mean reduction: value(pred, target) -> 0-d array, gradient(pred, target) -> dL/dpred."""

    kind = "loss"
    reduction = "mean"

    @property
    def name(self) -> str:
        return type(self).__name__

    def value(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Mean loss of the batch, a 0-d array of pred's dtype."""
        raise NotImplementedError

    def gradient(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """dL/dpred, pred's shape and dtype."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _ElementwiseRegressionLoss(Loss):
    """Shared input handling of MSE and MAE: the error ŷ - y, (N, k), in pred's dtype."""

    def _error(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        _check_predictions(self.name, pred, probabilities=False)
        return pred - _dense_targets(self.name, pred, target)  # (N, k)


class MeanSquaredError(_ElementwiseRegressionLoss):
    """L = scale * mean over all N*k elements of (y - ŷ)^2, dL/dŷ = 2 scale (ŷ - y) / (N k) (nn.MSELoss).

    scale=0.5 is the squared error 1/2 (y - ŷ)^2 of seed project 07 and sklearn's MLPRegressor
    (kind 'half_mse'; torch 0.5 * nn.MSELoss()).
    """

    kind = "mse"  # per instance: "half_mse" when scale is 0.5

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = check_number(type(self).__name__, "scale", scale, low=0.0, low_open=True)
        self.kind = "half_mse" if self.scale == 0.5 else "mse"

    def value(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """scale * mean((ŷ - y)^2)."""
        return _scalar(self.scale * np.mean(self._error(pred, target) ** 2), pred.dtype)

    def gradient(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """2 scale (ŷ - y) / numel."""
        error = self._error(pred, target)
        return 2 * self.scale * error / error.size

    def __repr__(self) -> str:
        return f"MeanSquaredError(scale={self.scale})"


class MeanAbsoluteError(_ElementwiseRegressionLoss):
    """L = mean |ŷ - y|, dL/dŷ = sign(ŷ - y) / (N k) (torch.nn.L1Loss / keras MeanAbsoluteError).

    NOTE: nnfs writes sign(y - ŷ), the wrong sign (docs/conventions.md §3); sign(0) = 0 as in torch and Keras.
    """

    kind = "mae"

    def value(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """mean |ŷ - y|."""
        return _scalar(np.mean(np.abs(self._error(pred, target))), pred.dtype)

    def gradient(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """sign(ŷ - y) / numel."""
        error = self._error(pred, target)
        return np.sign(error) / error.size


class BinaryCrossEntropy(Loss):
    """L = -mean[y log p + (1 - y) log(1 - p)], p clipped to [1e-7, 1 - 1e-7] (keras BinaryCrossentropy).

    The mean runs over all N*k elements (nnfs: over k, then over N). The gradient
    -(y / p - (1 - y) / (1 - p)) / (N k) uses the clipped p, like nnfs.
    NOTE: torch BCELoss clamps log at -100 instead of clipping p, so saturated p differ
    (docs/conventions.md §3).
    With from_logits=True the input is logits z and L = mean[max(z, 0) - z y + log(1 + exp(-|z|))],
    dL/dz = (sigmoid(z) - y) / (N k) (torch BCEWithLogitsLoss / keras BinaryCrossentropy(from_logits=True)).
    """

    kind = "binary_crossentropy"  # per instance: "binary_crossentropy_logits" when from_logits
    clip = 1e-7

    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = bool(from_logits)
        self.kind = "binary_crossentropy_logits" if self.from_logits else "binary_crossentropy"

    def _checked(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        _check_predictions(self.name, pred, probabilities=not self.from_logits)
        return _dense_targets(self.name, pred, target, low=0.0, high=1.0)

    @np.errstate(under="ignore")
    def value(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Mean binary cross-entropy, a 0-d array of pred's dtype."""
        target = self._checked(pred, target)
        if self.from_logits:
            # NOTE: log(1 + exp(-|z|)) never overflows; exp(-|z|) may underflow to 0, which is exact enough.
            elementwise = np.maximum(pred, 0) - pred * target + np.log1p(np.exp(-np.abs(pred)))
        else:
            p = np.clip(pred, self.clip, 1 - self.clip)
            elementwise = -(target * np.log(p) + (1 - target) * np.log(1 - p))
        return _scalar(np.mean(elementwise), pred.dtype)

    def gradient(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """dL/dpred: (sigmoid(z) - y) / numel on logits, -(y/p - (1-y)/(1-p)) / numel on clipped p."""
        target = self._checked(pred, target)
        if self.from_logits:
            return (sigmoid(pred) - target) / pred.size
        p = np.clip(pred, self.clip, 1 - self.clip)
        return -(target / p - (1 - target) / (1 - p)) / pred.size

    def __repr__(self) -> str:
        return f"BinaryCrossEntropy(from_logits={self.from_logits})"


class CategoricalCrossEntropy(Loss):
    """L = mean_n -log(clip(p[n, y_n], 1e-7, 1 - 1e-7)) on probabilities (nnfs); labels sparse or one-hot.

    NOTE: the clip changes the value only for saturated predictions; the gradient -1/p ignores it,
    as in the textbook (and divides by 0 for p = 0: use the fused softmax path). With
    from_logits=True the input is logits and log-softmax is used
    (torch.nn.functional.cross_entropy, keras CategoricalCrossentropy(from_logits=True)).
    reduction='sum' sums over the batch instead (no 1/N): the david-palma seed's cost,
    torch cross_entropy(reduction='sum'), keras reduction='sum'.
    """

    kind = "categorical_crossentropy"  # per instance: + "_logits" when from_logits, + "_sum" when summed
    clip = 1e-7

    def __init__(self, from_logits: bool = False, reduction: str = "mean") -> None:
        self.from_logits = bool(from_logits)
        self.reduction = check_reduction(type(self).__name__, reduction)
        self.kind = ("categorical_crossentropy" + ("_logits" if self.from_logits else "")
                     + ("_sum" if self.reduction == "sum" else ""))

    def _indices(self, pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
        _check_predictions(self.name, pred, probabilities=not self.from_logits)
        return class_indices(self.name, labels, pred.shape[0], pred.shape[1])

    def value(self, pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Mean (or summed) cross-entropy of the batch, a 0-d array of pred's dtype."""
        idx = self._indices(pred, labels)
        rows = np.arange(pred.shape[0])
        if self.from_logits:
            per_sample = -log_softmax(pred)[rows, idx]
        else:
            per_sample = -np.log(np.clip(pred[rows, idx], self.clip, 1 - self.clip))
        return _scalar(per_sample.sum() if self.reduction == "sum" else per_sample.mean(), pred.dtype)

    def gradient(self, pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """dL/dpred: -onehot / p / N on probabilities, (softmax(z) - onehot) / N on logits (no /N summed)."""
        idx = self._indices(pred, labels)
        rows = np.arange(pred.shape[0])
        if self.from_logits:
            grad = softmax(pred)
            grad[rows, idx] -= 1
        else:
            grad = np.zeros_like(pred)
            grad[rows, idx] = -1 / pred[rows, idx]
        return grad if self.reduction == "sum" else grad / pred.shape[0]

    def __repr__(self) -> str:
        return f"CategoricalCrossEntropy(from_logits={self.from_logits}, reduction={self.reduction!r})"


def softmax_crossentropy_gradient(probs: np.ndarray, labels: np.ndarray,
                                  reduction: str = "mean") -> np.ndarray:
    """Fused softmax + cross-entropy backward: dL/dz = (softmax(z) - onehot) / N (nnfs); no /N when summed."""
    component = "Softmax+CategoricalCrossEntropy"
    _check_predictions(component, probs, probabilities=True)
    idx = class_indices(component, labels, probs.shape[0], probs.shape[1])
    grad = probs.copy()  # (N, k); probs itself is the Softmax layer's output and stays as it is
    grad[np.arange(probs.shape[0]), idx] -= 1
    if check_reduction(component, reduction) == "mean":
        grad /= probs.shape[0]  # in place: the same rounding as grad / N, without a second array
    return grad


def check_reduction(component: str, reduction: str) -> str:
    """Return reduction if it is one of REDUCTIONS ('mean', 'sum'), else raise a ValueError naming them."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{component}: unknown reduction {reduction!r}; known: {', '.join(REDUCTIONS)}")
    return reduction
