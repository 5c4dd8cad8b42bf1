"""Activation layers: forward keeps what backward needs, backward is one chain-rule line."""

from __future__ import annotations

import numpy as np

from scratch.errors import check_float_array
from scratch.layers import Layer


class Activation(Layer):
    """Parameter-free elementwise (or row-wise) function of its input."""

    @property
    def name(self) -> str:
        return type(self).__name__


class ReLU(Activation):
    """relu(x) = max(x, 0); relu'(0) = 0 (torch.nn.ReLU, keras.layers.ReLU)."""

    kind = "relu"

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        check_float_array(self.name, "input", inputs)
        self.inputs = inputs
        return np.maximum(inputs, 0).astype(inputs.dtype, copy=False)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output * (self.inputs > 0)


class Softmax(Activation):
    """softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x) over axis 1 (nn.Softmax(dim=1))."""

    kind = "softmax"

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        check_float_array(self.name, "input", inputs)
        exp = np.exp(inputs - inputs.max(axis=1, keepdims=True))
        self.output = exp / exp.sum(axis=1, keepdims=True)
        return self.output

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Vector-Jacobian product s * (g - sum(g * s)): (diag(s) - s s^T) g per sample."""
        s = self.output
        return s * (grad_output - (grad_output * s).sum(axis=1, keepdims=True))
