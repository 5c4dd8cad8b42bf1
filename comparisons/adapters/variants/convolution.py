"""Negative controls of the convolution layers: a flipped kernel, 'same' padding split on the wrong side."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from comparisons.adapters.variants.base import recast_every
from scratch.layers import Conv2D
from scratch.model import Sequential


class TrueConvolution2D(Conv2D):
    """Textbook convolution: y = sum W[kH-1-i, kW-1-j] x[o*s + (i, j)*d], the kernel flipped in both
    spatial axes, where torch and Keras cross-correlate (no flip). dW comes back flipped the same way."""

    def _flip(self) -> None:
        self.params["weight"][...] = self.params["weight"][::-1, ::-1].copy()

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """Cross-correlation with the flipped kernel, i.e. a true convolution with the kernel."""
        self._flip()
        try:
            return super().forward(inputs, training)
        finally:
            self._flip()

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """The flipped kernel's gradients, flipped back onto the stored kernel."""
        self._flip()
        try:
            grad_input = super().backward(grad_output)
        finally:
            self._flip()
        self.grads["weight"] = self.grads["weight"][::-1, ::-1].copy()
        return grad_input


class SamePaddingBefore2D(Conv2D):
    """'same' padding with the odd pixel before (top/left), TensorFlow's rule mirrored (JAX 'SAME_LOWER'):
    the output shape is unchanged, every window shifted by one pixel where the total padding is odd."""

    def pads(self, spatial: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
        """(after, before) of the correct split when padding is 'same'; other paddings unchanged."""
        pads = super().pads(spatial)
        return tuple((a, b) for b, a in pads) if self.padding == "same" else pads


# Variant name -> patch(model) -> number of components patched (0 means the case does not fit it).
VARIANTS: dict[str, Callable[[Sequential], int]] = {
    "conv_true_convolution": recast_every(TrueConvolution2D),
    "conv_same_padding_wrong_side": recast_every(SamePaddingBefore2D),
}
