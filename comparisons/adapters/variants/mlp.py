"""Negative controls of the MLP components: losses, dropout, L1 subgradients, softmax, sigmoid, Dense."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from comparisons.adapters.variants.base import recast, recast_every, replace_loss
from scratch.activations import Sigmoid, Softmax
from scratch.layers import Dense, Dropout
from scratch.losses import MeanAbsoluteError, MeanSquaredError
from scratch.model import Sequential


class MSEGradientWithoutMean(MeanSquaredError):
    """Seed projects 02/04/09: dL/dŷ = 2 (ŷ - y), the 1/N of the mean left out (the value keeps it)."""

    def gradient(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """2 (ŷ - y): N k times the gradient of the mean squared error."""
        return 2 * self._error(pred, target)


class MAEGradientWrongSign(MeanAbsoluteError):
    """nnfs Loss_MeanAbsoluteError.backward: dL/dŷ = sign(y - ŷ) / (N k), the sign flipped."""

    def gradient(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """sign(y - ŷ) / numel = -(the correct sign(ŷ - y) / numel)."""
        error = self._error(pred, target)
        return np.sign(-error) / error.size


class Project09Dropout(Dropout):
    """Seed project 09: dx = dy * mask, the 1/(1 - p) of the forward's inverted scaling left out."""

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """The correct inverted dropout; keeps its output for Project09Sigmoid's wrong derivative."""
        self.output = super().forward(inputs, training)
        return self.output

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dy * mask (no 1/(1 - p)); dy at inference."""
        return grad_output if self.mask is None else grad_output * self.mask


class Project09Sigmoid(Sigmoid):
    """Seed project 09: sigmoid' taken on the dropped, rescaled activation d = s*mask/(1-p): d (1 - d)."""

    dropout: Project09Dropout  # the dropout layer right after this sigmoid, set by apply_variant

    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        dropped = self.dropout.output  # a1 after `a1 *= mask; a1 /= 1 - p` in the seed's code
        return grad_output * dropped * (1 - dropped)


class SigmoidDerivativeOfPreactivation(Sigmoid):
    """Common XOR-tutorial bug: sigmoid_derivative(z) = z (1 - z) on the pre-activation z, not s (1 - s)."""

    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output * self.inputs * (1 - self.inputs)


class SoftmaxDiagonalBackward(Softmax):
    """Common bug: softmax' = s (1 - s) elementwise (the Jacobian's diagonal), not s * (g - sum(g s))."""

    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        s = self.output
        return grad_output * s * (1 - s)


class NnfsL1SubgradientDense(Dense):
    """nnfs Layer_Dense.backward: dL1/dW = 1 where W >= 0 and -1 below, so +1 (not 0) at W = 0."""

    def regularization_gradient(self, key: str) -> np.ndarray | float:
        """l1 * s with s = ones, s[theta < 0] = -1 (nnfs's dL1), plus 2 l2 theta."""
        value = self.params[key]
        grad: np.ndarray | float = 0.0
        if self.l1[key]:
            sign = np.ones_like(value)
            sign[value < 0] = -1
            grad = grad + sign * value.dtype.type(self.l1[key])
        if self.l2[key]:
            grad = grad + value.dtype.type(2 * self.l2[key]) * value
        return grad


class SignZeroL1SubgradientDense(Dense):
    """dL1/dW = sign(W), 0 at W = 0 (torch, Keras), where the spec asks for +1 there (JAX's |w|')."""

    def regularization_gradient(self, key: str) -> np.ndarray | float:
        """l1 * sign(theta) (0 at theta = 0), plus 2 l2 theta."""
        value = self.params[key]
        grad: np.ndarray | float = 0.0
        if self.l1[key]:
            grad = grad + np.sign(value) * value.dtype.type(self.l1[key])
        if self.l2[key]:
            grad = grad + value.dtype.type(2 * self.l2[key]) * value
        return grad


class BiasGradientMeanDense(Dense):
    """Common bug: db = mean_n dz instead of sum_n dz, dividing by N again after the loss's 1/N."""

    def param_backward(self, grad_output: np.ndarray) -> None:
        """dW correct; db = mean over the batch (1/N of the right value). Dense.backward calls this too."""
        super().param_backward(grad_output)
        self.grads["bias"] = grad_output.mean(axis=0) + self.regularization_gradient("bias")


def _project09_dropout(model: Sequential) -> int:
    """Every Sigmoid -> Dropout pair gets project 09's backward: mask without 1/(1-p), d(1-d) on the drop."""
    pairs = [(a, b) for a, b in zip(model.layers, model.layers[1:], strict=False)
             if type(a) is Sigmoid and type(b) is Dropout]
    for sigmoid_layer, dropout_layer in pairs:
        recast(sigmoid_layer, Project09Sigmoid)
        sigmoid_layer.dropout = dropout_layer
    dropouts = [layer for layer in model.layers if type(layer) is Dropout]  # alone too (the localizer's)
    for layer in dropouts:
        recast(layer, Project09Dropout)
    return len(pairs) if len(model.layers) > 1 else len(dropouts)


# Variant name -> patch(model) -> number of components patched (0 means the case does not fit it).
VARIANTS: dict[str, Callable[[Sequential], int]] = {
    "mse_gradient_without_mean": replace_loss(MSEGradientWithoutMean),
    "mae_gradient_wrong_sign": replace_loss(MAEGradientWrongSign),
    "project09_dropout_backward": _project09_dropout,
    "l1_subgradient_one_at_zero": recast_every(NnfsL1SubgradientDense),
    "l1_subgradient_zero_at_zero": recast_every(SignZeroL1SubgradientDense),
    "softmax_backward_diagonal": recast_every(SoftmaxDiagonalBackward),
    "sigmoid_derivative_of_preactivation": recast_every(SigmoidDerivativeOfPreactivation),
    "bias_gradient_mean": recast_every(BiasGradientMeanDense),
}
