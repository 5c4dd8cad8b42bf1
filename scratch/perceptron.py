"""Rosenblatt perceptron with the Heaviside step, trained sample by sample (sklearn.linear_model.Perceptron).

Classic rule (default): y_hat = step(w.x + b) with step(z) = 1 if z > 0 else 0 (sklearn's predict
threshold), then w += lr*(y - y_hat)*x and b += lr*(y - y_hat).
sklearn rule (update_on_zero_margin=True): with s = 2y - 1 in {-1, +1}, update w += lr*s*x,
b += lr*s whenever s*(w.x + b) <= 0, INCLUDING margin 0 (Perceptron(eta0=lr, shuffle=False,
tol=None, coef_init=w, intercept_init=b)).
The two differ only at margin 0 for a y = 0 sample: the classic rule predicts 0 (correct, no update),
sklearn counts it as a mistake and subtracts x. From zero weights they differ at the very first sample.
"""

from __future__ import annotations

import numpy as np

from scratch.errors import check_float_array, check_generator, check_number, check_shape


class Perceptron:
    """Binary perceptron on labels {0, 1}: y_hat = [w.x + b > 0] (sklearn.linear_model.Perceptron)."""

    def __init__(self, n_features: int, lr: float = 1.0, weight: np.ndarray | None = None,
                 bias: float | np.ndarray | None = None, dtype: type = np.float64,
                 update_on_zero_margin: bool = False) -> None:
        self.name = f"Perceptron({n_features})"
        self.n_features = int(n_features)
        self.lr = check_number(self.name, "lr", lr, low=0.0, low_open=True)
        self.dtype = np.dtype(dtype)
        if self.dtype.type not in (np.float32, np.float64):
            raise TypeError(f"{self.name}: dtype must be float32 or float64, got {self.dtype}")
        self.update_on_zero_margin = bool(update_on_zero_margin)
        self.weight = np.zeros(self.n_features, self.dtype) if weight is None else (
            np.asarray(weight, dtype=self.dtype).copy())  # (n_features,) = sklearn coef_[0]
        self.bias = np.zeros(1, self.dtype) if bias is None else (
            np.asarray(bias, dtype=self.dtype).reshape(-1).copy())  # (1,) = sklearn intercept_
        check_shape(self.name, "weight", self.weight, (self.n_features,))
        check_shape(self.name, "bias", self.bias, (1,))
        self.history: list[dict] = []  # one entry per epoch: weight, bias, number of updates

    def decision_function(self, inputs: np.ndarray) -> np.ndarray:
        """z = X @ w + b, shape (N,) (sklearn Perceptron.decision_function)."""
        self._check_inputs(inputs)
        return inputs @ self.weight + self.bias[0]

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """y_hat = step(z) = 1 if z > 0 else 0, as int64 (sklearn Perceptron.predict with classes [0, 1])."""
        return (self.decision_function(inputs) > 0).astype(np.int64)

    def fit(self, inputs: np.ndarray, labels: np.ndarray, epochs: int,
            shuffle_rng: np.random.Generator | None = None) -> Perceptron:
        """Per-sample updates for `epochs` passes, in order (or permuted by shuffle_rng each epoch)."""
        self._check_inputs(inputs)
        labels = self._check_labels(labels, len(inputs))
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"{self.name}: epochs must be a positive integer, got {epochs!r}")
        if shuffle_rng is not None:
            check_generator(self.name, "shuffle_rng", shuffle_rng)
        lr = self.dtype.type(self.lr)
        for _ in range(int(epochs)):
            # NOTE: sklearn shuffles with its own RNG; for parity use shuffle_rng=None and shuffle=False.
            order = np.arange(len(inputs)) if shuffle_rng is None else shuffle_rng.permutation(len(inputs))
            updates = sum(self._update(inputs[i], labels[i], lr) for i in order)
            self.history.append({"weight": self.weight.copy(), "bias": self.bias.copy(), "updates": updates})
        return self

    def _update(self, sample: np.ndarray, label: int, lr: np.floating) -> bool:
        z = sample @ self.weight + self.bias[0]
        if self.update_on_zero_margin:
            sign = 2 * label - 1
            error = sign if sign * z <= 0 else 0  # sklearn: mistake when y*z <= 0, y in {-1, +1}
        else:
            error = label - int(z > 0)  # (y - y_hat) in {-1, 0, 1}
        if error:
            self.weight += lr * error * sample
            self.bias += lr * error
        return bool(error)

    def _check_inputs(self, inputs: np.ndarray) -> None:
        check_float_array(self.name, "X", inputs)
        check_shape(self.name, "X", inputs, (None, self.n_features))
        if inputs.dtype != self.dtype:
            raise TypeError(f"{self.name}: X is {inputs.dtype} but the perceptron is {self.dtype}; "
                            f"cast it with X.astype(np.{self.dtype})")

    def _check_labels(self, labels: np.ndarray, n_samples: int) -> np.ndarray:
        labels = np.asarray(labels)
        if labels.shape != (n_samples,):
            raise ValueError(f"{self.name}: y must have shape ({n_samples},), got {labels.shape}")
        if labels.dtype.kind not in "biuf" or not np.all((labels == 0) | (labels == 1)):
            bad = np.unique(labels[(labels != 0) & (labels != 1)]) if labels.dtype.kind in "biuf" else labels
            raise ValueError(f"{self.name}: y must hold only labels 0 and 1, got {bad[:5]}")
        return labels.astype(np.int64)

    def __repr__(self) -> str:
        return f"Perceptron({self.n_features}, lr={self.lr})"
