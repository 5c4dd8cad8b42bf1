"""Flatten: an image (N, C, *spatial) to rows (N, C*prod(spatial)), channel-first or channel-last order."""

from __future__ import annotations

import math

import numpy as np

from scratch.errors import check_float_array, check_shape
from scratch.layers.base import Layer, LayerType

ORDERS = ("channels_first", "channels_last")


class Flatten(Layer):
    """y[n] = x[n].ravel() (channels_first: c, h, w order, torch nn.Flatten) or x[n] with the channel axis
    moved last, ravelled (channels_last: h, w, c order, keras Flatten on channel-last images).

    The two orders give rows of the same length with the same values, permuted: weights of a Dense
    layer after a flatten must be permuted the same way to port them between the two.
    """

    kind = "flatten"

    def __init__(self, order: str = "channels_first") -> None:
        super().__init__()
        if order not in ORDERS:
            raise ValueError(f"Flatten: order must be one of {', '.join(ORDERS)}, got {order!r}")
        self.order = order
        self.input_shape: tuple[int, ...] | None = None

    @property
    def name(self) -> str:
        """'Flatten(order)', used in error messages."""
        return f"Flatten({self.order})"

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """(N, C, *spatial) -> (N, C*prod(spatial)), channel-first or channel-last order."""
        check_float_array(self.name, "input", inputs)
        if inputs.ndim < 2:
            raise ValueError(f"{self.name}: input must be (N, C, ...) with at least 2 axes, "
                             f"got shape {inputs.shape}")
        self.input_shape = inputs.shape
        moved = np.moveaxis(inputs, 1, -1) if self.order == "channels_last" else inputs
        return moved.reshape(len(inputs), -1)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dx = dy reshaped back to the (moved) input shape, channel axis moved back to 1."""
        if self.input_shape is None:
            raise RuntimeError(f"{self.name}: backward before forward")
        n, channels, *spatial = self.input_shape
        check_shape(self.name, "grad_output", grad_output, (n, channels * math.prod(spatial)))
        if self.order == "channels_last":
            return np.moveaxis(grad_output.reshape(n, *spatial, channels), -1, 1)
        return grad_output.reshape(self.input_shape)

    def __repr__(self) -> str:
        return f"Flatten(order={self.order!r})"


RECORDS = (LayerType(
    "flatten", lambda spec, dtype: Flatten(spec.get("order", "channels_first")), options=("order",),
    output_shape=lambda spec, shape: (math.prod(shape),), input_keys=lambda shape: {}, ends_image=True,
    notes="y = x.reshape(N, -1), c-h-w (channels_first) or h-w-c (channels_last) order"),)
