"""Negative controls of the image layers: flatten in the wrong order, max-pool gradient to every tie."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from comparisons.adapters.variants.base import recast_every
from scratch.layers import Flatten, MaxPool2D
from scratch.model import Sequential


class FlattenWrongOrder(Flatten):
    """Porting bug: rows flattened in the other order (h, w, c for c, h, w and back), shapes unchanged."""

    def _swapped(self, call: Callable[[], np.ndarray]) -> np.ndarray:
        asked = self.order
        self.order = "channels_last" if asked == "channels_first" else "channels_first"
        try:
            return call()
        finally:
            self.order = asked

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """The correct flatten of the other order."""
        return self._swapped(lambda: super(FlattenWrongOrder, self).forward(inputs, training))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """The correct backward of the other order (consistent with the wrong forward)."""
        return self._swapped(lambda: super(FlattenWrongOrder, self).backward(grad_output))


class MaxPoolGradientToEveryTie(MaxPool2D):
    """Common bug: mask = (x == window max), so every tied maximum gets the whole upstream gradient."""

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """The correct forward; keeps the windows and the output for the wrong backward."""
        windows = self._windows(inputs)
        output = super().forward(inputs, training)  # a fresh cache, to which the two are added
        self.cache.update(windows=windows, output=output)
        return output

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dx = g added at every element equal to its window's maximum (not only the first one)."""
        windows, output = self.cache["windows"], self.cache["output"]
        return self._scatter(grad_output, lambda g: np.where(
            windows == output[:, :, None, None], g[:, :, None, None], 0))


# Variant name -> patch(model) -> number of components patched (0 means the case does not fit it).
VARIANTS: dict[str, Callable[[Sequential], int]] = {
    "flatten_wrong_order": recast_every(FlattenWrongOrder),
    "maxpool_gradient_to_every_tie": recast_every(MaxPoolGradientToEveryTie),
}
