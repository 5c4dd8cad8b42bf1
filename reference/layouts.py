"""Where a scratch parameter or buffer lives in a framework, its layout there as an axis permutation, and
the window arithmetic the references share.

Scratch keeps Dense weights as (in, out) for z = x @ W + b; torch's nn.Linear keeps (out, in), so its
layout is the permutation (1, 0); Keras's Dense kernel is (in, out) already (no permutation). A copy
whose shape does not match after the permutation fails loudly: nothing is ever reshaped silently.

Recurrent layers keep their gate blocks side by side along one axis (kernel (F, G*H)); a framework
that orders the gates differently (torch's GRU: r, z, n against Keras's z, r, h) declares the block
order along that axis (`blocks`), applied with the permutation and undone on the way back.

A framework may keep one scratch axis as two (Keras's per-head attention kernel (E, H, D) of a scratch
(E, E)): `split` names that axis, cut row-major into the framework's two sizes. It is a pure view, never
a permutation; the sizes come from the framework's shape and must multiply to the scratch axis.

Images are channel-first everywhere in the harness, (N, C, *spatial), as torch keeps them; Keras keeps
them channel-last, (N, *spatial, C), so its adapter moves the channel axis of every image tensor on the
way in and back on the way out (to_channels_last / to_channels_first).

Convolution and pooling options given per spatial axis (per_axis, padding_pairs) and TensorFlow's 'same'
split (same_padding) are worked out here for the torch and Keras references alike, where the framework's
own padding cannot say the spec's. They are the references' own: reference/ never imports scratch/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np


class LayoutError(ValueError):
    """A scratch array does not fit the framework tensor it is copied into."""


@dataclass(frozen=True)
class Layout:
    """The framework attribute holding a scratch array, and the axis permutation from scratch to it.

    channel_last: the tensor has a sample's shape (LayerNorm's gamma over (C, H, W)) and the framework
    keeps it channel-last like its images, (H, W, C): axis 0 moved last (a 1-D tensor is unchanged);
    only where the layer's input is such an image (for_layer), not for a sequence's (T, E).
    blocks: the framework's order of the equal blocks the scratch array's axis `block_axis` is cut into
    (framework block j holds scratch block blocks[j]), applied before the permutation; None: the same.
    split: the axis (after the permutation) the framework keeps as two axes, split and split + 1, a
    row-major view whose sizes are the framework's; None: none.
    """

    attribute: str
    permutation: tuple[int, ...] | None = None
    trainable: bool = True  # False for buffers (running statistics): never given to an optimizer
    channel_last: bool = False
    when: str | None = None  # the layer spec option without which there is no such tensor (use_bias, affine)
    when_default: bool = True  # that option when the spec leaves it out (Tensor.when_default)
    blocks: tuple[int, ...] | None = None
    block_axis: int = -1
    split: int | None = None

    def held_by(self, layer_spec: dict) -> bool:
        """Whether a layer of this spec has the tensor: layer_spec[when], when_default when absent (as the
        scratch record's Tensor.when says)."""
        return self.when is None or bool(layer_spec.get(self.when, self.when_default))

    def for_layer(self, layer_spec: dict) -> Layout:
        """This layout for one layer: channel_last only when that layer's input is a channel-last image
        (layer_spec['channel_last_input'], set by the Keras adapter); a sequence's gains stay as they are."""
        if self.channel_last and not layer_spec["channel_last_input"]:
            return replace(self, channel_last=False)
        return self

    def _reorder(self, value: np.ndarray, order) -> np.ndarray:
        """value with the blocks of block_axis taken in `order`; LayoutError when they are not equal."""
        axis = self.block_axis % value.ndim
        if value.shape[axis] % len(order):
            raise LayoutError(f"{self.attribute!r}: axis {axis} of shape {value.shape} does not split into "
                              f"{len(order)} equal blocks")
        return np.concatenate([np.split(value, len(order), axis=axis)[b] for b in order], axis=axis)

    def axes(self, ndim: int) -> tuple[int, ...] | None:
        """The permutation from scratch's axes to the framework's for a tensor of this rank (None: none)."""
        if self.channel_last and ndim > 1:
            return (*range(1, ndim), 0)
        return self.permutation

    def to_framework(self, value: np.ndarray, shape: tuple[int, ...], where: str) -> np.ndarray:
        """The scratch array in the framework's layout, contiguous; LayoutError when shapes differ."""
        permutation = self.axes(np.ndim(value))
        ordered = self._reorder(value, self.blocks) if self.blocks else value
        moved = np.transpose(ordered, permutation) if permutation else ordered
        if self.split is not None and len(shape) == moved.ndim + 1:
            a = self.split
            if moved.shape[a] == shape[a] * shape[a + 1]:
                moved = moved.reshape(moved.shape[:a] + tuple(shape[a: a + 2]) + moved.shape[a + 1:])
        if tuple(moved.shape) != tuple(shape):
            raise LayoutError(f"{where}: scratch shape {tuple(np.shape(value))} permuted by "
                              f"{permutation or 'nothing'} is {tuple(moved.shape)}, but the framework's "
                              f"{self.attribute!r} has shape {tuple(shape)}")
        return np.ascontiguousarray(moved)

    def from_framework(self, value: np.ndarray) -> np.ndarray:
        """A framework array back in the scratch layout (a copy)."""
        if self.split is not None:  # the framework's axes split, split + 1 back to one
            shape = np.shape(value)
            value = np.reshape(value, shape[: self.split] + (-1,) + shape[self.split + 2:])
        permutation = self.axes(np.ndim(value))
        moved = np.transpose(value, _inverse(permutation)) if permutation else np.array(value)
        return self._reorder(moved, _inverse(self.blocks)) if self.blocks else moved.copy()


def _inverse(permutation: tuple[int, ...]) -> list[int]:
    """The inverse permutation (np.argsort's result; in Python, a few µs less per tensor and step)."""
    return sorted(range(len(permutation)), key=permutation.__getitem__)


def declared_tensors(layer_specs: list[dict], layouts: dict[str, dict[str, Layout]],
                     trainable_only: bool = False) -> Iterator[tuple[int, str, Layout]]:
    """(layer position, scratch key '<i>.<name>', layout) of every declared parameter and buffer its
    layer holds (no bias with use_bias=False), in layer order (parameters only when trainable_only)."""
    for i, layer_spec in enumerate(layer_specs):
        for name, layout in layouts.get(layer_spec["type"], {}).items():
            if (layout.trainable or not trainable_only) and layout.held_by(layer_spec):
                yield i, f"{i}.{name}", layout.for_layer(layer_spec)


def to_channels_last(array: np.ndarray, image: bool = True) -> np.ndarray:
    """(N, C, *spatial) -> (N, *spatial, C), contiguous; a non-image array unchanged."""
    return np.ascontiguousarray(np.moveaxis(array, 1, -1)) if image else array


def to_channels_first(array: np.ndarray, image: bool = True) -> np.ndarray:
    """(N, *spatial, C) -> (N, C, *spatial), contiguous; a non-image array unchanged."""
    return np.ascontiguousarray(np.moveaxis(array, -1, 1)) if image else array


def per_axis(value, spatial_axes: int) -> tuple:
    """A layer option given as one int or one value per spatial axis (a kernel, pool size or stride), as a
    tuple per axis."""
    return (value,) * spatial_axes if isinstance(value, int) else tuple(value)


def padding_pairs(padding, spatial_axes: int) -> tuple[tuple[int, int], ...]:
    """Explicit conv padding as (before, after) per spatial axis: an int, ints per axis (symmetric), or
    (before, after) pairs; in 1-D a pair of ints is (before, after) (docs/conventions.md §17)."""
    if spatial_axes == 1 and not isinstance(padding, int) and len(padding) == 2:
        padding = [tuple(padding)]
    return tuple((p, p) if isinstance(p, int) else tuple(p) for p in per_axis(padding, spatial_axes))


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) of TensorFlow's 'same' along one axis (docs/conventions.md §17, §18): out =
    ceil(size/s), total = max((out - 1)*s + (k - 1)*d + 1 - size, 0), before = total // 2; the odd pixel
    goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2
