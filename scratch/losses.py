"""Losses: value(pred, target) -> 0-d array of pred's dtype, gradient -> dL/dpred.

The batch is reduced by its mean, unless a loss takes reduction="sum" (categorical cross-entropy).

Predictions are (N, k) float arrays. Regression and binary targets must have exactly pred's shape
(no broadcasting: an (N,) target against (N, 1) predictions is an error, not an (N, N) loss);
categorical labels are sparse (N,) integers or one-hot (N, k).
"""

from __future__ import annotations

import numpy as np

from scratch.activations import log_softmax, sigmoid, softmax
from scratch.errors import check_number, check_predictions, class_indices, dense_targets


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
        check_predictions(self.name, pred, probabilities=False)
        return pred - dense_targets(self.name, pred, target)  # (N, k)


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


PROBABILITY_CLIPS = ("textbook", "zero_gradient", None)
RENORMALISE = (None, "before_clip", "after_clip", "keras")


def _clipped(probability_clip: str | None, pred: np.ndarray, eps: float):
    """(p clipped to [eps, 1 - eps] unless probability_clip is None, the clip's gradient mask: 1 inside
    the interval; 0 outside only for 'zero_gradient', docs/conventions.md §3)."""
    if probability_clip is None:
        return pred, np.ones_like(pred)
    inside = (pred >= eps) & (pred <= 1 - eps)
    mask = inside.astype(pred.dtype) if probability_clip == "zero_gradient" else np.ones_like(pred)
    return np.clip(pred, eps, 1 - eps), mask


def _choice(component: str, name: str, value, known: tuple):
    """value if it is one of known, else a ValueError naming the known ones."""
    if value not in known:
        raise ValueError(f"{component}: unknown {name} {value!r}; known: {', '.join(map(repr, known))}")
    return value


class BinaryCrossEntropy(Loss):
    """L = -mean[y log p + (1 - y) log(1 - p)], p clipped to [1e-7, 1 - 1e-7] (keras BinaryCrossentropy).

    The mean runs over all N*k elements (nnfs: over k, then over N). The gradient
    -(y / p - (1 - y) / (1 - p)) / (N k) uses the clipped p, like nnfs.
    Options computing a framework's formula (docs/conventions.md §3): probability_clip 'textbook' (the
    default above), 'zero_gradient' (the clip passes no gradient outside the interval: Keras, JAX) or
    None (no clip: torch); log_floor clamps each log term from below (torch: -100); denominator_floor
    writes the gradient (p - y) / max(p (1 - p), floor) / (N k) (torch: 1e-12).
    With from_logits=True the input is logits z and L = mean[max(z, 0) - z y + log(1 + exp(-|z|))],
    dL/dz = (sigmoid(z) - y) / (N k) (torch BCEWithLogitsLoss / keras BinaryCrossentropy(from_logits=True)).
    """

    kind = "binary_crossentropy"  # per instance: "binary_crossentropy_logits" when from_logits
    clip = 1e-7

    def __init__(self, from_logits: bool = False, probability_clip: str | None = "textbook",
                 log_floor: float | None = None, denominator_floor: float | None = None) -> None:
        self.from_logits = bool(from_logits)
        self.kind = "binary_crossentropy_logits" if self.from_logits else "binary_crossentropy"
        self.probability_clip = _choice(self.name, "probability_clip", probability_clip, PROBABILITY_CLIPS)
        self.log_floor = None if log_floor is None else check_number(self.name, "log_floor", log_floor)
        self.denominator_floor = None if denominator_floor is None else check_number(
            self.name, "denominator_floor", denominator_floor, low=0.0, low_open=True)

    def _checked(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        check_predictions(self.name, pred, probabilities=not self.from_logits)
        return dense_targets(self.name, pred, target, low=0.0, high=1.0)

    @np.errstate(under="ignore", divide="ignore")
    def value(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Mean binary cross-entropy, a 0-d array of pred's dtype."""
        target = self._checked(pred, target)
        if self.from_logits:
            # NOTE: log(1 + exp(-|z|)) never overflows; exp(-|z|) may underflow to 0, which is exact enough.
            elementwise = np.maximum(pred, 0) - pred * target + np.log1p(np.exp(-np.abs(pred)))
        else:
            p = _clipped(self.probability_clip, pred, self.clip)[0]
            log_p, log_q = np.log(p), np.log(1 - p)
            if self.log_floor is not None:  # torch: max(log p, -100), max(log(1 - p), -100)
                log_p, log_q = np.maximum(log_p, self.log_floor), np.maximum(log_q, self.log_floor)
            elementwise = -(target * log_p + (1 - target) * log_q)
        return _scalar(np.mean(elementwise), pred.dtype)

    @np.errstate(divide="ignore")
    def gradient(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """dL/dpred: (sigmoid(z) - y) / numel on logits, -(y/p - (1-y)/(1-p)) / numel on clipped p
        (times the clip's mask; (p - y) / max(p (1 - p), denominator_floor) / numel when that is set)."""
        target = self._checked(pred, target)
        if self.from_logits:
            return (sigmoid(pred) - target) / pred.size
        p, mask = _clipped(self.probability_clip, pred, self.clip)
        if self.denominator_floor is not None:
            grad = (p - target) / np.maximum((1 - p) * p, np.asarray(self.denominator_floor, pred.dtype))
        else:
            grad = -(target / p - (1 - target) / (1 - p))
        return mask * grad / pred.size

    def __repr__(self) -> str:
        return (f"BinaryCrossEntropy(from_logits={self.from_logits}, "
                f"probability_clip={self.probability_clip!r}, log_floor={self.log_floor}, "
                f"denominator_floor={self.denominator_floor})")


class CategoricalCrossEntropy(Loss):
    """L = mean_n -log(clip(p[n, y_n], 1e-7, 1 - 1e-7)) on probabilities (nnfs); labels sparse or one-hot.

    NOTE: the clip changes the value only for saturated predictions; the gradient -1/p ignores it,
    as in the textbook (and divides by 0 for p = 0: use the fused softmax path). Options computing a
    framework's formula (docs/conventions.md §3): probability_clip 'zero_gradient' (no gradient where
    the clip acts: Keras, JAX) or None (no clip: torch); renormalise divides p by its row sum S
    'before_clip' (L = -log clip(p_y / S)), 'after_clip' (c = clip(p): L = log sum(c) - log c_y) or
    'keras' (before the clip for one-hot labels, after it for sparse ones). With
    from_logits=True the input is logits and log-softmax is used
    (torch.nn.functional.cross_entropy, keras CategoricalCrossentropy(from_logits=True)).
    reduction='sum' sums over the batch instead (no 1/N): the david-palma seed's cost,
    torch cross_entropy(reduction='sum'), keras reduction='sum'.
    """

    kind = "categorical_crossentropy"  # per instance: + "_logits" when from_logits, + "_sum" when summed
    clip = 1e-7

    def __init__(self, from_logits: bool = False, reduction: str = "mean",
                 probability_clip: str | None = "textbook", renormalise: str | None = None) -> None:
        self.from_logits = bool(from_logits)
        self.reduction = check_reduction(type(self).__name__, reduction)
        self.kind = ("categorical_crossentropy" + ("_logits" if self.from_logits else "")
                     + ("_sum" if self.reduction == "sum" else ""))
        self.probability_clip = _choice(self.name, "probability_clip", probability_clip, PROBABILITY_CLIPS)
        self.renormalise = _choice(self.name, "renormalise", renormalise, RENORMALISE)

    def _indices(self, pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
        check_predictions(self.name, pred, probabilities=not self.from_logits)
        return class_indices(self.name, labels, pred.shape[0], pred.shape[1])

    def _order(self, labels: np.ndarray) -> str | None:
        """Where the row sum divides: None, 'before_clip' or 'after_clip' ('keras' by the labels' form)."""
        if self.renormalise == "keras":
            return "after_clip" if np.ndim(labels) == 1 else "before_clip"
        return self.renormalise

    def _terms(self, pred: np.ndarray, labels: np.ndarray):
        """(rows, idx, the per-sample loss, dL_n/dp (N, k)) on probabilities, before the reduction."""
        idx, rows, order = self._indices(pred, labels), np.arange(pred.shape[0]), self._order(labels)
        total = pred.sum(axis=1, keepdims=True)
        if order == "before_clip":  # q = p / S; L = -log clip(q_y); dL/dp_j = mask(q_y) (1/S - [j = y] / p_y)
            c, mask = _clipped(self.probability_clip, pred / total, self.clip)
            grad = np.zeros_like(pred) + 1 / total
            grad[rows, idx] -= 1 / pred[rows, idx]
            return rows, idx, -np.log(c[rows, idx]), mask[rows, idx][:, None] * grad
        c, mask = _clipped(self.probability_clip, pred, self.clip)
        if order == "after_clip":  # L = log sum(c) - log c_y; dL/dp_j = mask_j (1/sum(c) - [j = y] / c_y)
            total_c = c.sum(axis=1, keepdims=True)
            grad = np.zeros_like(pred) + 1 / total_c
            grad[rows, idx] -= 1 / c[rows, idx]
            return rows, idx, np.log(total_c[:, 0]) - np.log(c[rows, idx]), mask * grad
        grad = np.zeros_like(pred)
        grad[rows, idx] = -mask[rows, idx] / pred[rows, idx]
        return rows, idx, -np.log(c[rows, idx]), grad

    @np.errstate(divide="ignore")
    def value(self, pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Mean (or summed) cross-entropy of the batch, a 0-d array of pred's dtype."""
        if self.from_logits:
            idx = self._indices(pred, labels)
            per_sample = -log_softmax(pred)[np.arange(pred.shape[0]), idx]
        else:
            per_sample = self._terms(pred, labels)[2]
        return _scalar(per_sample.sum() if self.reduction == "sum" else per_sample.mean(), pred.dtype)

    @np.errstate(divide="ignore")
    def gradient(self, pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """dL/dpred: -onehot / p / N on probabilities, (softmax(z) - onehot) / N on logits (no /N summed)."""
        if self.from_logits:
            idx = self._indices(pred, labels)
            grad = softmax(pred)
            grad[np.arange(pred.shape[0]), idx] -= 1
        else:
            grad = self._terms(pred, labels)[3]
        return grad if self.reduction == "sum" else grad / pred.shape[0]

    def __repr__(self) -> str:
        return (f"CategoricalCrossEntropy(from_logits={self.from_logits}, reduction={self.reduction!r}, "
                f"probability_clip={self.probability_clip!r}, renormalise={self.renormalise!r})")


def softmax_crossentropy_gradient(probs: np.ndarray, labels: np.ndarray,
                                  reduction: str = "mean") -> np.ndarray:
    """Fused softmax + cross-entropy backward: dL/dz = (softmax(z) - onehot) / N (nnfs); no /N when summed."""
    component = "Softmax+CategoricalCrossEntropy"
    check_predictions(component, probs, probabilities=True)
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
