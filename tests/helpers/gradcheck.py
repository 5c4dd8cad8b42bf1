"""Central finite differences in float64 for checking analytic gradients.

eps 1e-6, rtol 1e-3, atol 1e-5 (docs/conventions.md §8).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

EPS = 1e-6
RTOL = 1e-3
ATOL = 1e-5


def numeric_gradient(f: Callable[[], float], x: np.ndarray, eps: float = EPS) -> np.ndarray:
    """d f / d x by central differences, perturbing x in place (x must be float64)."""
    assert x.dtype == np.float64, "finite differences are run in float64 only"
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        plus = f()
        x[index] = original - eps
        minus = f()
        x[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def assert_gradients_match(analytic: np.ndarray, numeric: np.ndarray, what: str,
                           rtol: float = RTOL, atol: float = ATOL) -> None:
    """|analytic - numeric| <= atol + rtol |numeric|, with the worst element in the message."""
    err = np.abs(analytic - numeric)
    allowed = atol + rtol * np.abs(numeric)
    if np.any(err > allowed):
        worst = np.unravel_index(np.argmax(err - allowed), err.shape)
        raise AssertionError(
            f"{what}: analytic {analytic[worst]!r} vs numeric {numeric[worst]!r} at {worst}; "
            f"max |diff| {err.max():.3e}"
        )


def check_layer_gradients(layer, x: np.ndarray, rng: np.random.Generator, training: bool = False) -> None:
    """Input and parameter gradients of layer.backward against finite differences of sum(out * g)
    (parameter gradients only when x is integer ids).

    The upstream gradient g is random (not ones, which hides softmax and batch-norm bugs).
    """
    out = layer.forward(x, training=training)
    upstream = rng.standard_normal(out.shape)
    grad_input = layer.backward(upstream)
    analytic_params = {name: g.copy() for name, g in layer.grads.items()}

    def objective() -> float:
        return float(np.sum(layer.forward(x, training=training) * upstream))

    if x.dtype.kind in "iu":  # integer ids (an embedding's input): no gradient exists
        assert grad_input is None, f"{layer!r} returned an input gradient for integer ids"
    else:
        assert_gradients_match(grad_input, numeric_gradient(objective, x), f"{layer!r} input gradient")
    for name, value in layer.params.items():
        assert_gradients_match(analytic_params[name], numeric_gradient(objective, value),
                               f"{layer!r} gradient of {name}")
