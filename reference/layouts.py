"""Where a scratch parameter or buffer lives in a framework, and its layout there as an axis permutation.

Scratch keeps Dense weights as (in, out) for z = x @ W + b; torch's nn.Linear keeps (out, in), so its
layout is the permutation (1, 0); Keras's Dense kernel is (in, out) already (no permutation). A copy
whose shape does not match after the permutation fails loudly: nothing is ever reshaped silently.

Recurrent layers keep their gate blocks side by side along one axis (kernel (F, G*H)); a framework
that orders the gates differently (torch's GRU: r, z, n against Keras's z, r, h) declares the block
order along that axis (`blocks`), applied with the permutation and undone on the way back.

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

    blocks: the framework's order of the equal blocks the scratch array's axis `block_axis` is cut
    into (framework block j holds scratch block blocks[j]); None: the same order. when: the layer spec
    option that must be set for the tensor to exist (scratch's Tensor.when); None: always.
    """

    attribute: str
    permutation: tuple[int, ...] | None = None
    trainable: bool = True  # False for buffers (running statistics): never given to an optimizer
    blocks: tuple[int, ...] | None = None
    block_axis: int = -1
    when: str | None = None

    def _reorder(self, value: np.ndarray, order) -> np.ndarray:
        """value with the blocks of block_axis taken in `order`; LayoutError when they are not equal."""
        axis = self.block_axis % value.ndim
        if value.shape[axis] % len(order):
            raise LayoutError(f"{self.attribute!r}: axis {axis} of shape {value.shape} does not split into "
                              f"{len(order)} equal blocks")
        return np.concatenate([np.split(value, len(order), axis=axis)[b] for b in order], axis=axis)

    def to_framework(self, value: np.ndarray, shape: tuple[int, ...], where: str) -> np.ndarray:
        """The scratch array in the framework's layout, contiguous; LayoutError when shapes differ."""
        ordered = self._reorder(value, self.blocks) if self.blocks else value
        moved = np.transpose(ordered, self.permutation) if self.permutation else ordered
        if tuple(moved.shape) != tuple(shape):
            raise LayoutError(f"{where}: scratch shape {tuple(np.shape(value))} permuted by "
                              f"{self.permutation or 'nothing'} is {tuple(moved.shape)}, but the framework's "
                              f"{self.attribute!r} has shape {tuple(shape)}")
        return np.ascontiguousarray(moved)

    def from_framework(self, value: np.ndarray) -> np.ndarray:
        """A framework array back in the scratch layout (a copy)."""
        moved = np.transpose(value, np.argsort(self.permutation)) if self.permutation else np.array(value)
        return self._reorder(moved, np.argsort(self.blocks)) if self.blocks else moved.copy()


def declared_tensors(layer_specs: list[dict], layouts: dict[str, dict[str, Layout]],
                     trainable_only: bool = False) -> Iterator[tuple[int, str, Layout]]:
    """(layer position, scratch key '<i>.<name>', layout) of every declared parameter and buffer the
    layer holds (Layout.when), in layer order (parameters only when trainable_only)."""
    for i, layer_spec in enumerate(layer_specs):
        for name, layout in layouts.get(layer_spec["type"], {}).items():
            held = layout.when is None or layer_spec.get(layout.when)
            if held and (layout.trainable or not trainable_only):
                yield i, f"{i}.{name}", layout


def to_channels_last(array: np.ndarray, image: bool = True) -> np.ndarray:
    """(N, C, *spatial) -> (N, *spatial, C), contiguous; a non-image array unchanged."""
    return np.ascontiguousarray(np.moveaxis(array, 1, -1)) if image else array


def to_channels_first(array: np.ndarray, image: bool = True) -> np.ndarray:
    """(N, *spatial, C) -> (N, C, *spatial), contiguous; a non-image array unchanged."""
    return np.ascontiguousarray(np.moveaxis(array, -1, 1)) if image else array
