"""Realistic planted bugs of the detection catalogue (benchmarks/detection.py), one formula each.

Layer and loss bugs patch a built model like the negative controls; optimizer bugs patch a built scratch
optimizer (OPTIMIZER_VARIANTS), initializer bugs transform a draw (INITIALIZER_VARIANTS).
"""

from __future__ import annotations

import numpy as np

from comparisons.adapters.variants.base import recast_every
from scratch.activations import LeakyReLU, ReLU, Softmax, Tanh
from scratch.layers import Conv2D, Dense, Dropout
from scratch.layers.embedding import Embedding
from scratch.layers.normalization import LayerNorm
from scratch.layers.pooling import AvgPool2D
from scratch.losses import BinaryCrossEntropy, CategoricalCrossEntropy
from scratch.optimizers import SGD, Adam


def recast_loss(wrong: type):
    """A variant that gives the model's loss (options kept) its wrong subclass."""
    correct = wrong.__bases__[0]

    def patch(model) -> int:
        if type(model.loss) is not correct:
            return 0
        model.loss.__class__ = wrong
        return 1

    return patch


class ReLUGradientOneAtZero(ReLU):
    """relu'(x) = 1 where x >= 0: the kink at 0 passes the gradient (frameworks: relu'(0) = 0)."""

    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output * (self.inputs >= 0)


class TanhDerivativeOfInput(Tanh):
    """tanh' = 1 - x^2 on the input x instead of 1 - tanh(x)^2."""

    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output * (1 - self.inputs**2)


class LeakyReLUBackwardZeroSlope(LeakyReLU):
    """Backward copied from ReLU: 0 for x <= 0 where the slope alpha is due."""

    def _backward(self, grad_output: np.ndarray) -> np.ndarray:
        return np.where(self.inputs > 0, grad_output, 0 * grad_output)


class SoftmaxWithoutMaxShift(Softmax):
    """exp(x) / sum exp(x) without subtracting the row maximum: overflows for large logits."""

    @np.errstate(over="ignore", invalid="ignore")
    def _forward(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(x)
        return e / e.sum(axis=1, keepdims=True)


class CrossEntropyGradientWithoutMean(CategoricalCrossEntropy):
    """dL/dp of the mean cross-entropy without its 1/N (the value keeps the mean)."""

    def gradient(self, pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
        return super().gradient(pred, labels) * len(pred)


class BinaryCrossEntropySum(BinaryCrossEntropy):
    """The loss value summed over the elements instead of averaged (the gradient keeps the mean)."""

    def value(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        return super().value(pred, target) * pred.dtype.type(pred.size)


class L2GradientWithoutTwo(Dense):
    """d(l2 W^2)/dW = l2 W, the factor 2 left out."""

    def regularization_gradient(self, key: str) -> np.ndarray | float:
        grad = super().regularization_gradient(key)
        if self.l2[key]:
            grad = grad - self.params[key].dtype.type(self.l2[key]) * self.params[key]
        return grad


class DropoutNotInverted(Dropout):
    """Training forward x * mask without 1/(1 - p) (classic, not inverted, dropout); backward alike."""

    def _apply(self, values: np.ndarray) -> np.ndarray:
        return values * self.mask


class ConvBiasGradientMean(Conv2D):
    """db = mean over the batch of the summed output gradient, 1/N of the right value."""

    def param_backward(self, grad_output: np.ndarray) -> None:
        """Also what backward calls, so the lowest trainable layer of a training step has the bug too."""
        super().param_backward(grad_output)
        if "bias" in self.grads:
            self.grads["bias"] = self.grads["bias"] / self.grads["bias"].dtype.type(grad_output.shape[0])


class AvgPoolOtherPaddingCount(AvgPool2D):
    """'same' windows divided by the other count: padding counted where it is excluded, and back."""

    def _flipped(self, call):
        self.count_include_pad = not self.count_include_pad
        try:
            return call()
        finally:
            self.count_include_pad = not self.count_include_pad

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        return self._flipped(lambda: super(AvgPoolOtherPaddingCount, self).forward(inputs, training))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return self._flipped(lambda: super(AvgPoolOtherPaddingCount, self).backward(grad_output))


class LayerNormGammaGradientMean(LayerNorm):
    """dgamma averaged over the batch instead of summed."""

    def _gamma_grad(self, grad_output: np.ndarray, xhat: np.ndarray) -> np.ndarray:
        dxhat = super()._gamma_grad(grad_output, xhat)
        self.grads["gamma"] = self.grads["gamma"] / self.grads["gamma"].dtype.type(grad_output.shape[0])
        return dxhat


class EmbeddingPaddingRowUpdated(Embedding):
    """padding_idx's row receives its gradient like any other (the zeroing left out)."""

    def backward(self, grad_output: np.ndarray) -> None:
        padding, self.padding_idx = self.padding_idx, None
        try:
            return super().backward(grad_output)
        finally:
            self.padding_idx = padding


VARIANTS = {
    "relu_gradient_one_at_zero": recast_every(ReLUGradientOneAtZero),
    "tanh_derivative_of_input": recast_every(TanhDerivativeOfInput),
    "leaky_relu_backward_zero_slope": recast_every(LeakyReLUBackwardZeroSlope),
    "softmax_without_max_shift": recast_every(SoftmaxWithoutMaxShift),
    "cce_gradient_without_mean": recast_loss(CrossEntropyGradientWithoutMean),
    "bce_value_sum": recast_loss(BinaryCrossEntropySum),
    "l2_gradient_without_two": recast_every(L2GradientWithoutTwo),
    "dropout_not_inverted": recast_every(DropoutNotInverted),
    "conv_bias_gradient_mean": recast_every(ConvBiasGradientMean),
    "avgpool_other_padding_count": recast_every(AvgPoolOtherPaddingCount),
    "layernorm_gamma_gradient_mean": recast_every(LayerNormGammaGradientMean),
    "embedding_padding_row_updated": recast_every(EmbeddingPaddingRowUpdated),
}


class AdamWithoutBiasCorrection(Adam):
    """theta -= lr m / (sqrt(v) + eps): m and v used without 1/(1 - beta^t)."""

    def _update(self, param, grad, state, lr_t, t, dtype):
        b1, b2, eps = dtype(self.beta_1), dtype(self.beta_2), dtype(self.epsilon)
        m = b1 * state["m"] + (dtype(1) - b1) * grad
        v = b2 * state["v"] + (dtype(1) - b2) * (grad * grad)
        return dtype(lr_t) * m / (np.sqrt(v) + eps), {"m": m, "v": v}


class SGDMomentumWrongSign(SGD):
    """Momentum v = mu v + lr g, theta += v: the velocity's sign flipped, the step goes uphill."""

    def _update(self, param, grad, state, lr_t, t, dtype):
        step, new_state = super()._update(param, grad, state, lr_t, t, dtype)
        return -step, new_state


OPTIMIZER_VARIANTS = {"adam_without_bias_correction": AdamWithoutBiasCorrection,
                      "sgd_momentum_wrong_sign": SGDMomentumWrongSign}


def he_normal_lecun_variance(name: str, draw: np.ndarray) -> np.ndarray:
    """he_normal drawn with LeCun's variance 1/fan_in instead of 2/fan_in (std 1/sqrt(2) too small)."""
    return draw / np.sqrt(2.0) if name == "he_normal" else draw


INITIALIZER_VARIANTS = {"he_normal_lecun_variance": he_normal_lecun_variance}
