"""The sklearn perceptron reference: one epoch per call equals one long fit, inputs are not mutated."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from reference.sklearn_models import perceptron, train_perceptron  # noqa: E402
from scratch.datasets import and_gate  # noqa: E402


def iris_like(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.vstack([rng.normal(-1, 0.7, (20, 2)), rng.normal(1, 0.7, (20, 2))])
    return x, np.repeat([0, 1], 20)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_epoch_by_epoch_equals_one_fit_with_max_iter(dtype):
    x, y = iris_like()
    x = x.astype(dtype)
    weight, bias = np.array([0.4, -0.3], dtype), np.array([0.2], dtype)
    history = train_perceptron(x, y, weight, bias, lr=0.25, epochs=6)
    model = perceptron(0.25).set_params(max_iter=6)
    model.fit(x, y, coef_init=weight.copy(), intercept_init=bias.copy())
    np.testing.assert_array_equal(history[-1][0], model.coef_[0])
    np.testing.assert_array_equal(history[-1][1], model.intercept_)
    assert len(history) == 6 and history[-1][0].dtype == dtype


def test_initial_weights_are_not_mutated():
    x, y = and_gate()
    weight, bias = np.array([0.3, -0.2]), np.array([0.1])
    train_perceptron(x, y, weight, bias, lr=1.0, epochs=3)
    np.testing.assert_array_equal(weight, [0.3, -0.2])
    np.testing.assert_array_equal(bias, [0.1])


def test_float32_keeps_the_intercept_in_float64():
    # NOTE: sklearn's _plain_sgd32 holds the intercept as a C double; only coef_ is float32.
    x, y = and_gate()
    coef, intercept = train_perceptron(x.astype(np.float32), y, np.array([0.3, -0.2], np.float32),
                                       np.array([0.1], np.float32), lr=1.0, epochs=1)[0]
    assert coef.dtype == np.float32 and intercept.dtype == np.float64
