"""Where a scratch parameter or buffer lives in a framework, and its layout there as an axis permutation.

Scratch keeps Dense weights as (in, out) for z = x @ W + b; torch's nn.Linear keeps (out, in), so its
layout is the permutation (1, 0); Keras's Dense kernel is (in, out) already (no permutation). A copy
whose shape does not match after the permutation fails loudly: nothing is ever reshaped silently.

Images are channel-first everywhere in the harness, (N, C, *spatial), as torch keeps them; Keras keeps
them channel-last, (N, *spatial, C), so its adapter moves the channel axis of every image tensor on the
way in and back on the way out (to_channels_last / to_channels_first).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


class LayoutError(ValueError):
    """A scratch array does not fit the framework tensor it is copied into."""


@dataclass(frozen=True)
class Layout:
    """The framework attribute holding a scratch array, and the axis permutation from scratch to it.

    channel_last: the tensor has a sample's shape (LayerNorm's gamma over (C, H, W)) and the framework
    keeps it channel-last like its images, (H, W, C): axis 0 moved last (a 1-D tensor is unchanged).
    when: a boolean spec option (default True) without which the layer has no such tensor (affine).
    """

    attribute: str
    permutation: tuple[int, ...] | None = None
    trainable: bool = True  # False for buffers (running statistics): never given to an optimizer
    channel_last: bool = False
    when: str | None = None

    def axes(self, ndim: int) -> tuple[int, ...] | None:
        """The permutation from scratch's axes to the framework's for a tensor of this rank (None: none)."""
        if self.channel_last and ndim > 1:
            return (*range(1, ndim), 0)
        return self.permutation

    def to_framework(self, value: np.ndarray, shape: tuple[int, ...], where: str) -> np.ndarray:
        """The scratch array in the framework's layout, contiguous; LayoutError when shapes differ."""
        permutation = self.axes(np.ndim(value))
        moved = np.transpose(value, permutation) if permutation else value
        if tuple(moved.shape) != tuple(shape):
            raise LayoutError(f"{where}: scratch shape {tuple(np.shape(value))} permuted by "
                              f"{permutation or 'nothing'} is {tuple(moved.shape)}, but the framework's "
                              f"{self.attribute!r} has shape {tuple(shape)}")
        return np.ascontiguousarray(moved)

    def from_framework(self, value: np.ndarray) -> np.ndarray:
        """A framework array back in the scratch layout (a copy)."""
        permutation = self.axes(np.ndim(value))
        if not permutation:
            return np.array(value)
        return np.transpose(value, np.argsort(permutation)).copy()


def declared_tensors(layer_specs: list[dict], layouts: dict[str, dict[str, Layout]],
                     trainable_only: bool = False) -> Iterator[tuple[int, str, Layout]]:
    """(layer position, scratch key '<i>.<name>', layout) of every declared parameter and buffer the
    layer's spec gives it (its `when` option), in layer order (parameters only when trainable_only)."""
    for i, layer_spec in enumerate(layer_specs):
        for name, layout in layouts.get(layer_spec["type"], {}).items():
            present = layout.when is None or bool(layer_spec.get(layout.when, True))
            if present and (layout.trainable or not trainable_only):
                yield i, f"{i}.{name}", layout


def to_channels_last(array: np.ndarray, image: bool = True) -> np.ndarray:
    """(N, C, *spatial) -> (N, *spatial, C), contiguous; a non-image array unchanged."""
    return np.ascontiguousarray(np.moveaxis(array, 1, -1)) if image else array


def to_channels_first(array: np.ndarray, image: bool = True) -> np.ndarray:
    """(N, *spatial, C) -> (N, C, *spatial), contiguous; a non-image array unchanged."""
    return np.ascontiguousarray(np.moveaxis(array, -1, 1)) if image else array
