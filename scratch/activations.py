"""Activation layers: forward keeps what backward needs, backward is one chain-rule line.

Every activation returns its input's dtype (float32 stays float32) and checks its input with
check_float_array. Elementwise derivatives at a kink follow torch: relu'(0) = 0,
leaky_relu'(0) = prelu'(0) = alpha, elu'(0) = alpha.
"""

from __future__ import annotations

import numpy as np

from scratch.errors import check_float_array, check_number, check_shape
from scratch.layers import Layer

# NOTE: exp of a very negative number underflows to 0 (or to a subnormal). That is the correctly
# rounded result, not an error, so the functions below silence only the underflow flag with
# @np.errstate(under="ignore"); overflow, invalid and divide still warn or raise as configured.


@np.errstate(under="ignore")
def sigmoid(x: np.ndarray) -> np.ndarray:
    """sigmoid(x) = 1 / (1 + exp(-x)) via exp(-|x|), which never overflows (torch.sigmoid)."""
    exp_neg_abs = np.exp(-np.abs(x))  # in (0, 1]
    return np.where(x >= 0, 1 / (1 + exp_neg_abs), exp_neg_abs / (1 + exp_neg_abs))


@np.errstate(under="ignore")
def softmax(x: np.ndarray) -> np.ndarray:
    """softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x) over axis 1 (torch.softmax(dim=1))."""
    exp = np.exp(x - x.max(axis=1, keepdims=True))  # max subtracted: exp <= 1, no overflow
    return exp / exp.sum(axis=1, keepdims=True)


@np.errstate(under="ignore")
def log_softmax(x: np.ndarray) -> np.ndarray:
    """log_softmax(x) = (x - max x) - log sum_j exp(x_j - max x) over axis 1 (torch.log_softmax)."""
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _positive_int(component: str, name: str, value: object) -> int:
    """Require an integer >= 1 (bools rejected); return it as a Python int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{component}: {name} must be an integer >= 1, got {value!r}")
    return int(value)


class Activation(Layer):
    """Parameter-free (except PReLU) function of its input; subclasses write _forward and _backward."""

    parametric = False  # True when the activation has learnable params (build_layer passes dtype)

    def __init__(self) -> None:
        super().__init__()
        self.inputs: np.ndarray | None = None
        self.output: np.ndarray | None = None

    @property
    def name(self) -> str:
        return type(self).__name__

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """Check the input, keep it and the output for backward, return the output (input's dtype)."""
        check_float_array(self.name, "input", inputs)
        self.inputs = inputs
        self.output = self._forward(inputs)
        return self.output

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dL/dinput from dL/doutput (a vector-Jacobian product; elementwise for all but Softmax)."""
        if self.inputs is None:
            raise RuntimeError(f"{self.name}: backward called before forward")
        check_shape(self.name, "grad_output", grad_output, self.inputs.shape)
        return self._backward(grad_output)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Step(Activation):
    """step(x) = 1 if x >= 0 else 0, gradient 0 (np.heaviside(x, 1); torch.heaviside(x, 1.)).

    NOTE: not differentiable (the derivative is 0 almost everywhere and undefined at 0); it is the
    perceptron's threshold, trained with the perceptron rule, not by backpropagation. sklearn's
    Perceptron.predict picks class 1 only for a score > 0, so it differs from step at exactly 0.
    """

    kind = "step"

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return (x >= 0).astype(x.dtype)

    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        return np.zeros_like(grad_output)


class Linear(Activation):
    """linear(x) = x, derivative 1 (torch.nn.Identity / keras.activations.linear)."""

    kind = "linear"

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return x.copy()  # a copy, so callers that edit the output in place cannot edit the input

    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output.copy()


class Sigmoid(Activation):
    """sigmoid(x) = 1 / (1 + exp(-x)), sigmoid' = s (1 - s) (torch.nn.Sigmoid / keras.activations.sigmoid).

    NOTE: computed from exp(-|x|), so no overflow for any finite x (nnfs's 1/(1+exp(-x)) overflows
    for x < -709 in float64 and x < -89 in float32, with the same result).
    """

    kind = "sigmoid"

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(x)

    @np.errstate(under="ignore")
    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        s = self.output
        return grad_output * s * (1 - s)


class Tanh(Activation):
    """tanh(x), tanh' = 1 - tanh(x)^2 (torch.nn.Tanh / keras.activations.tanh)."""

    kind = "tanh"

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output * (1 - self.output**2)


class ReLU(Activation):
    """relu(x) = max(x, 0); relu'(0) = 0 (torch.nn.ReLU / keras.layers.ReLU)."""

    kind = "relu"

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_input = (self.inputs > 0).astype(grad_output.dtype)  # relu'(x): 1 where x > 0, else 0
        grad_input *= grad_output  # dx = relu'(x) * g in place: a float * float loop, no bool cast in it
        return grad_input


class LeakyReLU(Activation):
    """leaky_relu(x) = x if x > 0 else alpha x, alpha 0.01 (torch.nn.LeakyReLU / keras.layers.LeakyReLU).

    NOTE: Keras 3 LeakyReLU defaults to negative_slope=0.3; torch and this class to 0.01.
    float32_slope rounds alpha to float32 first: tf.nn.leaky_relu's alpha is a float32 op attribute.
    kink_derivative: the derivative at x = 0 (None: alpha, torch; 1.0: jax.nn.leaky_relu's where(x >= 0)).
    """

    kind = "leaky_relu"

    def __init__(self, alpha: float = 0.01, float32_slope: bool = False,
                 kink_derivative: float | None = None) -> None:
        super().__init__()
        self.alpha = check_number(self.name, "alpha", alpha)  # a Python float: no float64 upcast
        self.float32_slope = bool(float32_slope)
        self.kink_derivative = None if kink_derivative is None else check_number(
            self.name, "kink_derivative", kink_derivative)
        if self.float32_slope:
            self.alpha = float(np.float32(self.alpha))

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x, self.alpha * x)

    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad = np.where(self.inputs > 0, grad_output, self.alpha * grad_output)
        return _at_kink(self.inputs, grad_output, grad, self.kink_derivative)

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"


def _at_kink(x: np.ndarray, grad_output: np.ndarray, grad: np.ndarray,
             derivative: float | None) -> np.ndarray:
    """grad, with derivative * grad_output where x == 0 when a kink derivative is given."""
    return grad if derivative is None else np.where(x == 0, derivative * grad_output, grad)


class PReLU(Activation):
    """prelu(x) = x if x > 0 else a x, a learnable (torch.nn.PReLU / keras.layers.PReLU).

    num_parameters=1: one shared a, initialised to 0.25 (torch nn.PReLU default; Keras
    PReLU(shared_axes=[1]) on (N, k) input). num_parameters=k: one a per feature, the input must be
    (N, k) (torch nn.PReLU(k); Keras PReLU, whose alpha_initializer defaults to zeros, not 0.25).
    params["alpha"] has shape (num_parameters,); grads["alpha"] = sum of g * min(x, 0).
    kink_derivative: dprelu/dx at x = 0 (None: a, torch; 0.0: Keras's relu(x) - a relu(-x)).
    """

    kind = "prelu"
    parametric = True

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype: str | type = "float64",
                 kink_derivative: float | None = None) -> None:
        super().__init__()
        self.kink_derivative = None if kink_derivative is None else check_number(
            self.name, "kink_derivative", kink_derivative)
        self.num_parameters = _positive_int(self.name, "num_parameters", num_parameters)
        init = check_number(self.name, "init", init)
        self.params["alpha"] = np.full(self.num_parameters, init, dtype=dtype)  # (num_parameters,)

    def _alpha_for(self, x: np.ndarray) -> np.ndarray:
        """alpha in x's dtype, shaped to broadcast: 0-d when shared, (k,) against (N, k) per feature."""
        alpha = self.params["alpha"].astype(x.dtype, copy=False)
        return alpha.reshape(()) if self.num_parameters == 1 else alpha

    def _forward(self, x: np.ndarray) -> np.ndarray:
        if self.num_parameters > 1:
            check_shape(self.name, "input", x, (None, self.num_parameters))
        return np.where(x > 0, x, self._alpha_for(x) * x)

    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        x = self.inputs
        grad_alpha = grad_output * np.minimum(x, 0)  # d prelu / d a = x where x <= 0, else 0
        grad_alpha = grad_alpha.sum(axis=0) if self.num_parameters > 1 else grad_alpha.sum().reshape(1)
        self.grads["alpha"] = grad_alpha.astype(self.params["alpha"].dtype, copy=False)
        return _at_kink(x, grad_output, np.where(x > 0, grad_output, self._alpha_for(x) * grad_output),
                        self.kink_derivative)

    def __repr__(self) -> str:
        return f"PReLU(num_parameters={self.num_parameters})"


class ELU(Activation):
    """elu(x) = x if x > 0 else alpha (exp(x) - 1), alpha 1.0 (torch.nn.ELU / keras.layers.ELU).

    elu'(x) = 1 for x > 0, alpha exp(x) otherwise (torch's backward formula).
    """

    kind = "elu"

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = check_number(self.name, "alpha", alpha)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        # NOTE: exp only of min(x, 0), so large positive x cannot overflow; expm1 keeps small |x| exact.
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    @np.errstate(under="ignore")
    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        x = self.inputs
        return np.where(x > 0, grad_output, grad_output * (self.alpha * np.exp(np.minimum(x, 0))))

    def __repr__(self) -> str:
        return f"ELU(alpha={self.alpha})"


class Swish(Activation):
    """swish(x) = x sigmoid(x) = SiLU, swish' = s (1 + x (1 - s)) (torch.nn.SiLU / keras.activations.silu)."""

    kind = "swish"

    @np.errstate(under="ignore")
    def _forward(self, x: np.ndarray) -> np.ndarray:
        self.sigmoid_of_input = sigmoid(x)
        return x * self.sigmoid_of_input

    @np.errstate(under="ignore")
    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        s = self.sigmoid_of_input
        return grad_output * (s * (1 + self.inputs * (1 - s)))


class Softmax(Activation):
    """softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x), axis 1 (nn.Softmax(1) / keras Softmax)."""

    kind = "softmax"

    def _forward(self, x: np.ndarray) -> np.ndarray:
        check_shape(self.name, "input", x, (None, None))
        return softmax(x)

    @np.errstate(under="ignore")
    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Vector-Jacobian product s * (g - sum(g * s)): (diag(s) - s s^T) g per sample."""
        s = self.output
        return s * (grad_output - (grad_output * s).sum(axis=1, keepdims=True))
