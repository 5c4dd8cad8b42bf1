"""Scratch models expressed with scikit-learn estimators: the perceptron (sklearn.linear_model.Perceptron).

Perceptron(eta0=lr, shuffle=False, tol=None, penalty=None, fit_intercept=True) updates
w += lr*y*x, b += lr*y whenever y*(w.x + b) <= 0 with y in {-1, +1}, sample by sample in order.
One epoch per call: epoch 1 is fit(max_iter=1, coef_init=, intercept_init=), every later epoch
one partial_fit. partial_fit continues from coef_ and intercept_ with the same constant learning
rate and no shuffling, so E epochs this way equal fit(max_iter=E) from the same start bit for bit
(tests/harness/test_sklearn_reference.py checks it), and unlike one fit every epoch's weights can be read.
Refitting with max_iter=1, 2, ... would give the same numbers at O(E^2) cost.
sklearn cannot load weights without training (sample_weight all 0 is refused), so there is no
param_copy read-back; epoch 1 starting from the given weights is what shows the copy worked.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import Perceptron


def perceptron(lr: float) -> Perceptron:
    """sklearn Perceptron configured for parity: eta0=lr, shuffle=False, tol=None, no penalty."""
    return Perceptron(eta0=lr, shuffle=False, tol=None, penalty=None, fit_intercept=True, max_iter=1)


def train_perceptron(x: np.ndarray, y: np.ndarray, weight: np.ndarray, bias: np.ndarray, lr: float,
                     epochs: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(coef_[0], intercept_) after each epoch: fit(max_iter=1, coef_init=, intercept_init=), partial_fit."""
    model = perceptron(lr)
    # NOTE: sklearn keeps coef_init as its coef_ and updates it in place: pass copies.
    model.fit(x, y, coef_init=np.array(weight), intercept_init=np.array(bias).reshape(1))
    history = [(model.coef_[0].copy(), model.intercept_.copy())]
    for _ in range(epochs - 1):
        model.partial_fit(x, y)
        history.append((model.coef_[0].copy(), model.intercept_.copy()))
    return history
