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


def port_dense_weight(weight: np.ndarray, image_shape: tuple[int, ...], from_order: str, to_order: str
                      ) -> np.ndarray:
    """W' such that flatten(to_order) then x @ W' = flatten(from_order) then x @ W; images (C, *spatial).

    weight is the Dense weight after the flatten in the scratch layout (in, out), in = C*prod(spatial)
    (torch's nn.Linear.weight is its transpose, Keras's Dense kernel is it). Its rows are put back on
    the image axes of from_order, the channel axis moved, and flattened in to_order: e.g. channels_first
    to channels_last, W'[(h*W + w)*C + c] = W[c*H*W + h*W + w] (docs/conventions.md §18).
    """
    label = f"port_dense_weight({from_order!r} -> {to_order!r})"
    for order in (from_order, to_order):
        if order not in ORDERS:
            raise ValueError(f"{label}: order must be one of {', '.join(ORDERS)}, got {order!r}")
    channels, *spatial = (int(size) for size in image_shape)
    if np.ndim(weight) != 2 or weight.shape[0] != channels * math.prod(spatial):
        raise ValueError(f"{label}: weight must be (in, out) with in = {channels * math.prod(spatial)} "
                         f"(image {tuple(image_shape)}), got shape {np.shape(weight)}")
    axes = {"channels_first": (channels, *spatial), "channels_last": (*spatial, channels)}
    rows = weight.reshape(*axes[from_order], weight.shape[1])
    if from_order != to_order:  # the channel axis: first <-> last of the image axes (before `out`)
        rows = np.moveaxis(rows, 0, -2) if from_order == "channels_first" else np.moveaxis(rows, -2, 0)
    return rows.reshape(weight.shape).copy()


RECORDS = (LayerType(
    "flatten", lambda spec, dtype: Flatten(spec.get("order", "channels_first")), options=("order",),
    output_shape=lambda spec, shape: (math.prod(shape),), input_keys=lambda shape: {}, ends_image=True,
    notes="y = x.reshape(N, -1), c-h-w (channels_first) or h-w-c (channels_last) order"),)
