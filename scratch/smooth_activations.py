"""Smooth activations: GELU (exact and tanh), softplus, log_softmax; and the erf GELU needs.

NumPy has no erf, so `erf` is built here once, at import, from the standard library's math.erf and
math.erfc: Chebyshev interpolants of erf(z)/z in z^2 on |z| < 2 and of erfc(z) exp(z^2) on 2 <= z <= 6,
evaluated vectorized (Clenshaw). Absolute error below 5e-15 against math.erf on [-8, 8]
(tests/unit/layers/test_smooth_activations.py). Values are computed in float64 and returned in the
input's dtype.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import Chebyshev

from scratch.activations import Activation, log_softmax, sigmoid
from scratch.errors import check_number, check_shape

SQRT_HALF = math.sqrt(0.5)
SQRT_PI = math.sqrt(math.pi)
TANH_SCALE, TANH_CUBIC = math.sqrt(2 / math.pi), 0.044715  # tanh GELU: sqrt(2/pi) (x + 0.044715 x^3)
SMALL, LARGE = 2.0, 6.0  # |z| < SMALL: z g(z^2); up to LARGE: 1 - exp(-z^2) h(z); beyond, erf = +-1


def _erf_over_z(t: float) -> float:
    """erf(sqrt t) / sqrt t, its limit 2/sqrt(pi) at t = 0."""
    return math.erf(math.sqrt(t)) / math.sqrt(t) if t > 0 else 2 / math.sqrt(math.pi)


# NOTE: interpolated once at import (46 math calls); every erf below is array arithmetic only.
_ERF_OVER_Z = Chebyshev.interpolate(np.vectorize(_erf_over_z), 18, domain=[0.0, SMALL**2])
_SCALED_ERFC = Chebyshev.interpolate(np.vectorize(lambda z: math.erfc(z) * math.exp(z * z)), 28,
                                     domain=[SMALL, LARGE])


@np.errstate(under="ignore")
def erf(x: np.ndarray) -> np.ndarray:
    """erf(x), elementwise, in float64 (math.erf to within 5e-15 absolute)."""
    z = np.asarray(x, dtype=np.float64)
    a = np.abs(z)
    small = z * _ERF_OVER_Z(np.minimum(z * z, SMALL**2))
    large = np.sign(z) * (1 - np.exp(-a * a) * _SCALED_ERFC(np.clip(a, SMALL, LARGE)))
    return np.where(a < SMALL, small, large)


class GELU(Activation):
    """gelu(x) = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2 (approximate="none", torch.nn.GELU() /
    keras.activations.gelu(approximate=False)), or x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2
    (approximate="tanh", nn.GELU(approximate='tanh') / gelu(approximate=True)).

    gelu'(x) = Phi(x) + x phi(x) exactly; the tanh form's derivative is that of the tanh formula.
    float32_constants=True rounds 1/sqrt(2) (exact form) and 0.044715 (tanh form) to float32 first, as
    tf.nn.gelu does even in float64 (it casts them from Python floats, which TensorFlow makes float32):
    a relative 1.7e-8 / 3.5e-8 change in the constant (docs/conventions.md §19). NOTE: keras.ops.gelu
    and jax.nn.gelu default to the tanh form, torch and keras.activations.gelu to the exact one.
    """

    kind = "gelu"

    def __init__(self, approximate: str = "none", float32_constants: bool = False) -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate, self.float32_constants = approximate, bool(float32_constants)
        rounded = (lambda c: float(np.float32(c))) if self.float32_constants else float
        self.erf_scale, self.cubic = rounded(SQRT_HALF), rounded(TANH_CUBIC)  # 1/sqrt(2) and 0.044715

    def _forward(self, x: np.ndarray) -> np.ndarray:
        if self.approximate == "tanh":
            self.tanh_inner = np.tanh(TANH_SCALE * (x + self.cubic * x * x * x))
            return 0.5 * x * (1 + self.tanh_inner)
        self.cdf = (0.5 * (1 + erf(x * self.erf_scale))).astype(x.dtype)  # Phi(x) = (1 + erf(x/sqrt 2))/2
        return x * self.cdf

    @np.errstate(under="ignore")
    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        x = self.inputs
        if self.approximate == "tanh":
            t = self.tanh_inner
            slope = TANH_SCALE * (1 + 3 * self.cubic * x * x)
            return grad_output * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * slope)
        c = self.erf_scale  # d/dx (1 + erf(c x))/2 = c/sqrt(pi) exp(-(c x)^2), = phi(x) at c = 1/sqrt 2
        return grad_output * (self.cdf + x * ((c / SQRT_PI) * np.exp(-(c * x) * (c * x))))

    def __repr__(self) -> str:
        return f"GELU(approximate={self.approximate!r}, float32_constants={self.float32_constants})"


class Softplus(Activation):
    """softplus(x) = ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|), softplus' = sigmoid(x)
    (torch.nn.Softplus(threshold=...) / keras.activations.softplus).

    threshold=None (default): that stable formula everywhere (TF, JAX). threshold=t: x, with gradient
    1, where x > t, torch's form (its default t = 20; there ln(1 + e^-x) < 2.1e-9 is dropped, and the
    gradient 1 - sigmoid(-x) is rounded to 1).
    """

    kind = "softplus"

    def __init__(self, threshold: float | None = None) -> None:
        super().__init__()
        self.threshold = None if threshold is None else check_number("Softplus", "threshold", threshold)

    @np.errstate(under="ignore")
    def _forward(self, x: np.ndarray) -> np.ndarray:
        out = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
        return out if self.threshold is None else np.where(x > self.threshold, x, out)

    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        slope = sigmoid(self.inputs)
        if self.threshold is not None:
            slope = np.where(self.inputs > self.threshold, 1, slope).astype(slope.dtype)
        return grad_output * slope

    def __repr__(self) -> str:
        return f"Softplus(threshold={self.threshold})"


class LogSoftmax(Activation):
    """log_softmax(x)_i = (x_i - max x) - ln sum_j e^(x_j - max x), axis 1 (nn.LogSoftmax(dim=1) /
    keras.activations.log_softmax); never the log of an underflowed softmax.

    Backward: g - exp(output) sum_j g_j per sample (exp(output) = softmax(x), torch's backward).
    """

    kind = "log_softmax"

    def _forward(self, x: np.ndarray) -> np.ndarray:
        check_shape(self.name, "input", x, (None, None))
        return log_softmax(x)

    @np.errstate(under="ignore")
    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output - np.exp(self.output) * grad_output.sum(axis=1, keepdims=True)
