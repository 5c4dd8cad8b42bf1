"""Losses: value(pred, target) -> scalar with mean reduction, gradient(pred, target) -> dL/dpred."""

from __future__ import annotations

import numpy as np

from scratch.errors import check_float_array


def class_indices(component: str, labels: np.ndarray, n_samples: int, n_classes: int) -> np.ndarray:
    """Return integer class indices from sparse (N,) or one-hot (N, k) labels, checking both."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        if labels.shape != (n_samples, n_classes):
            raise ValueError(
                f"{component}: one-hot labels must have shape ({n_samples}, {n_classes}), "
                f"got {labels.shape}"
            )
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


class Loss:
    """Base loss with mean reduction over the batch."""

    reduction = "mean"

    @property
    def name(self) -> str:
        return type(self).__name__


class CategoricalCrossEntropy(Loss):
    """L = mean_n -log(clip(p[n, y_n], 1e-7, 1 - 1e-7)) on probabilities (nnfs); labels sparse or one-hot.

    NOTE: the clip changes the value only for saturated predictions; the gradient -1/p ignores it,
    as in the textbook. With from_logits=True the input is logits and log-softmax is used
    (torch.nn.functional.cross_entropy, keras CategoricalCrossentropy(from_logits=True)).
    """

    kind = "categorical_crossentropy"
    clip = 1e-7

    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = from_logits

    def value(self, pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Mean cross-entropy of the batch, a 0-d array of pred's dtype."""
        check_float_array(self.name, "predictions", pred)
        idx = class_indices(self.name, labels, pred.shape[0], pred.shape[1])
        rows = np.arange(pred.shape[0])
        if self.from_logits:
            shifted = pred - pred.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            return -log_probs[rows, idx].mean()
        picked = np.clip(pred[rows, idx], self.clip, 1 - self.clip)
        return -np.log(picked).mean()

    def gradient(self, pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """dL/dpred: -onehot / p / N on probabilities, (softmax(z) - onehot) / N on logits."""
        idx = class_indices(self.name, labels, pred.shape[0], pred.shape[1])
        rows, n = np.arange(pred.shape[0]), pred.shape[0]
        if self.from_logits:
            exp = np.exp(pred - pred.max(axis=1, keepdims=True))
            grad = exp / exp.sum(axis=1, keepdims=True)
            grad[rows, idx] -= 1
            return grad / n
        grad = np.zeros_like(pred)
        grad[rows, idx] = -1 / pred[rows, idx]
        return grad / n


def softmax_crossentropy_gradient(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Fused softmax + cross-entropy backward: dL/dz = (softmax(z) - onehot) / N (nnfs combined)."""
    idx = class_indices("Softmax+CategoricalCrossEntropy", labels, probs.shape[0], probs.shape[1])
    grad = probs.copy()
    grad[np.arange(probs.shape[0]), idx] -= 1
    return grad / probs.shape[0]
