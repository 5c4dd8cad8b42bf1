"""Sliding-window arithmetic of convolution and pooling: padding amounts, output sizes, im2col, col2im.

Every function works on any number of spatial axes, the last ones of a channel-first array
(N, C, *spatial). A window of kernel size k with dilation d spans (k - 1)*d + 1 input positions; with
stride s an axis of (padded) length P gives (P - span) // s + 1 windows (docs/conventions.md §17).
Pooling uses the same functions with dilation 1 (docs/conventions.md §18).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

Pads = tuple[tuple[int, int], ...]  # (before, after) per spatial axis


def as_sizes(component: str, name: str, value: int | Sequence[int], n: int) -> tuple[int, ...]:
    """An int or n ints as a tuple of n positive ints; ValueError naming the component otherwise."""
    repeated = isinstance(value, (int, np.integer)) or not isinstance(value, Iterable)  # 2.0: refused below
    sizes = (value,) * n if repeated else tuple(value)
    if len(sizes) != n or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1
                              for v in sizes):
        expected = "a positive int" + (f" or {n} positive ints" if n > 1 else "")
        raise ValueError(f"{component}: {name} must be {expected}, got {value!r}")
    return tuple(int(v) for v in sizes)


def normalize_padding(component: str, padding, n: int) -> str | Pads:
    """'valid', 'same', or explicit (before, after) per axis.

    Explicit forms: an int p (p on both sides of every axis), n ints (symmetric per axis, torch's
    padding=(ph, pw)) or n (before, after) pairs; in 1-D a pair of ints is (before, after).
    """
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"{component}: padding must be 'valid', 'same' or non-negative ints, "
                             f"got {padding!r}")
        return padding
    if isinstance(padding, (int, np.integer)):
        per_axis = [(padding, padding)] * n
    else:
        items = list(padding)
        if n == 1 and len(items) == 2 and all(isinstance(p, (int, np.integer)) for p in items):
            items = [tuple(items)]
        per_axis = [(p, p) if isinstance(p, (int, np.integer)) else tuple(p) for p in items]
    if len(per_axis) != n or any(len(pair) != 2 or any(
            isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 0 for p in pair)
            for pair in per_axis):
        raise ValueError(f"{component}: padding must be 'valid', 'same', a non-negative int, {n} of them "
                         f"or {n} (before, after) pairs, got {padding!r}")
    return tuple((int(b), int(a)) for b, a in per_axis)


def spans(kernel: tuple[int, ...], dilation: tuple[int, ...]) -> tuple[int, ...]:
    """Input positions one window covers per axis: (k - 1)*d + 1."""
    return tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation, strict=True))


def same_pads(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's SAME split: out = ceil(in/s), total = max((out-1)s + (k-1)d + 1 - in, 0),
    before = total // 2, after = total - before (the odd pixel after: bottom/right)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def pad_amounts(padding: str | Pads, spatial: Sequence[int], kernel: tuple[int, ...],
                stride: tuple[int, ...], dilation: tuple[int, ...]) -> Pads:
    """(before, after) zeros per spatial axis for a normalized padding and an input's spatial sizes."""
    if padding == "valid":
        return ((0, 0),) * len(kernel)
    if padding == "same":
        return tuple(same_pads(*args) for args in zip(spatial, kernel, stride, dilation, strict=True))
    return padding


def output_sizes(spatial: Sequence[int], pads: Pads, kernel: tuple[int, ...], stride: tuple[int, ...],
                 dilation: tuple[int, ...]) -> tuple[int, ...]:
    """Windows per axis: (in + before + after - span) // s + 1 (0 or less: the kernel does not fit)."""
    return tuple((size + b + a - span) // s + 1 for size, (b, a), span, s
                 in zip(spatial, pads, spans(kernel, dilation), stride, strict=True))


def pad(x: np.ndarray, pads: Pads, fill: float = 0.0) -> np.ndarray:
    """x with `fill` (zeros by default) added before and after each spatial axis (x itself when there
    are none)."""
    if not any(b or a for b, a in pads):
        return x
    return np.pad(x, ((0, 0), (0, 0), *pads), constant_values=fill)


def axis_slice(ndim: int, axis: int, start: int, step: int, count: int) -> tuple[slice, ...]:
    """Index of positions start, start + step, .. (count of them) along one axis of an ndim array."""
    return (slice(None),) * axis + (slice(start, start + (count - 1) * step + 1, step),)


def windows(padded: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...],
            dilation: tuple[int, ...]) -> np.ndarray:
    """A read-only view (N, C, *kernel, *out): element [n, c, k.., o..] = padded[n, c, o*s + k*d ..].

    Kernel offsets come before window positions, im2col's row order: view.reshape(N, C*prod(k), prod(out))
    is one copy whose inner loop reads each window row contiguously (at stride 1)."""
    n = len(kernel)
    axes = tuple(range(2, 2 + n))
    view = np.lib.stride_tricks.sliding_window_view(padded, spans(kernel, dilation), axis=axes)
    view = view[(slice(None), slice(None), *(slice(None, None, s) for s in stride),
                 *(slice(None, None, d) for d in dilation))]  # (N, C, *out, *kernel)
    return view.transpose(0, 1, *range(2 + n, 2 + 2 * n), *axes)


def scatter_windows(grads: np.ndarray, padded_shape: tuple[int, ...], stride: tuple[int, ...],
                    dilation: tuple[int, ...]) -> np.ndarray:
    """col2im, the adjoint of windows(): every window element's gradient added back to its input
    position; grads (N, C, *kernel, *out). scatter_window_blocks over the first kernel axis."""
    return scatter_window_blocks(np.moveaxis(grads, 2, 0), padded_shape, stride, dilation)


def scatter_window_blocks(blocks: Iterable[np.ndarray], padded_shape: tuple[int, ...],
                          stride: tuple[int, ...], dilation: tuple[int, ...]) -> np.ndarray:
    """col2im from the window gradients (N, C, *kernel[1:], *out) of each first-axis kernel offset in
    turn (a generator may compute each on demand: the whole (N, C, *kernel, *out) is never held).

    One kernel axis at a time (the index along each axis is o*s + k*d, separately): an axis's k strided
    slice-adds move it onto its padded axis, so sum(k) adds instead of prod(k), none per pixel."""
    n = len(stride)
    for axis in range(n):  # blocks: (N, C, kernel[axis + 1:], padded[:axis], out[axis:]) each
        total = None
        for k, block in enumerate(blocks):
            if total is None:
                shape = (*block.shape[:1 + n], padded_shape[2 + axis], *block.shape[2 + n:])
                total = np.zeros(shape, dtype=block.dtype)
            start, count = k * dilation[axis], block.shape[1 + n]
            total[axis_slice(total.ndim, 1 + n, start, stride[axis], count)] += block
        blocks = np.moveaxis(total, 2, 0)  # the next kernel axis first
    return total


def crop(padded: np.ndarray, pads: Pads) -> np.ndarray:
    """The inverse of pad(): the spatial axes without their (before, after) zeros."""
    return padded[(slice(None), slice(None),
                   *(slice(b, size - a) for (b, a), size in zip(pads, padded.shape[2:], strict=True)))]
