"""Pooling of channel-first images (N, C, H, W): max and average over 2-D windows, global average.

The window arithmetic is scratch/layers/windows.py's with dilation 1: windows are a strided view (no
loop over pixels or samples), backward adds strided slices one kernel axis at a time; max pooling
reduces one axis at a time (a loop over the kh + kw offsets, docs/conventions.md §18). Padding 'same'
is TensorFlow's split (docs/conventions.md §18): out = ceil(in/s), total = max((out-1)*s + k - in, 0),
before = total // 2, after = total - before.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from scratch.errors import check_float_array, check_shape
from scratch.layers import windows as win
from scratch.layers.base import Layer, LayerType, Shape

PADDINGS = ("valid", "same")
NO_DILATION = (1, 1)


def first_maximum(x: np.ndarray, axis: int, pool: int, stride: int, count: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(m, first) along one axis: m[.., o, ..] = max over j < pool of x[.., o*s + j, ..], first = the
    smallest such j reaching it (a tie keeps the earlier offset, as argmax does)."""
    result = x[win.axis_slice(x.ndim, axis, 0, stride, count)]
    first = np.zeros(result.shape, dtype=np.min_scalar_type(pool - 1))
    for j in range(1, pool):
        candidate = x[win.axis_slice(x.ndim, axis, j, stride, count)]
        later = first.dtype.type(j) * (candidate > result)  # j where strictly larger, else 0
        np.maximum(first, later, out=first)  # j exceeds every earlier offset
        result = np.maximum(result, candidate)
    return (result.copy() if pool == 1 else result), first  # never a view of x


def route_to_first_maximum(grad: np.ndarray, first: np.ndarray, axis: int, pool: int, stride: int,
                           size: int) -> np.ndarray:
    """The adjoint of first_maximum's m: g[.., o, ..] added at x[.., o*s + first, ..] (axis of length
    size), a masked product: zero elsewhere for a finite g (as ReLU's backward)."""
    total = np.zeros((*grad.shape[:axis], size, *grad.shape[axis + 1:]), dtype=grad.dtype)
    for j in range(pool):
        total[win.axis_slice(grad.ndim, axis, j, stride, grad.shape[axis])] += grad * (first == j)
    return total


class Pool2D(Layer):
    """What max and average pooling share: window geometry, 'valid' / 'same' padding, the scatter back."""

    fill = 0.0  # the value padding holds

    def __init__(self, pool_size, stride=None, padding: str = "valid") -> None:
        super().__init__()
        label = type(self).__name__
        self.pool_size = win.as_sizes(label, "pool_size", pool_size, 2)
        self.stride = self.pool_size if stride is None else win.as_sizes(label, "stride", stride, 2)
        if padding not in PADDINGS:
            raise ValueError(f"{label}: padding must be one of {', '.join(PADDINGS)}, got {padding!r}")
        self.padding = padding
        self.cache: dict | None = None

    @property
    def name(self) -> str:
        """'MaxPool2D(k=(2, 3), s=(2, 2), padding='same')', used in error messages."""
        return f"{type(self).__name__}(k={self.pool_size}, s={self.stride}, padding={self.padding!r})"

    def pads(self, spatial: tuple[int, ...]) -> win.Pads:
        """((top, bottom), (left, right)): none for 'valid', TF's split for 'same'."""
        return win.pad_amounts(self.padding, spatial, self.pool_size, self.stride, NO_DILATION)

    def output_shape(self, shape: Shape) -> Shape:
        """(C, OH, OW) for a per-sample (C, H, W); ValueError when the shape is not 3-D or a window
        does not fit in the padded input."""
        if len(shape) != 3:
            raise ValueError(f"{self.name}: per-sample input must be (C, H, W), got shape {tuple(shape)}")
        channels, *spatial = shape
        pads = self.pads(spatial)
        sizes = win.output_sizes(spatial, pads, self.pool_size, self.stride, NO_DILATION)
        for axis, n, k, (before, after), size in zip("HW", spatial, self.pool_size, pads, sizes, strict=True):
            if size < 1:
                raise ValueError(f"{self.name}: pool {axis} = {k} is larger than the padded input "
                                 f"{axis} = {n + before + after} (input {axis} = {n}, padding "
                                 f"{before}+{after})")
        return channels, *sizes

    def _padded(self, inputs: np.ndarray) -> np.ndarray:
        """The input checked and padded with `fill`; caches the geometry backward needs."""
        check_float_array(self.name, "input", inputs)
        if inputs.ndim != 4:
            raise ValueError(f"{self.name}: input must be (N, C, H, W), got shape {inputs.shape}")
        out = self.output_shape(inputs.shape[1:])
        pads = self.pads(inputs.shape[2:])
        padded = win.pad(inputs, pads, self.fill)
        self.cache = {"pads": pads, "padded_shape": padded.shape, "output_shape": (len(inputs), *out)}
        return padded

    def _windows(self, inputs: np.ndarray) -> np.ndarray:
        """(N, C, kh, kw, OH, OW) read-only view of the padded input's windows; caches what backward needs."""
        return win.windows(self._padded(inputs), self.pool_size, self.stride, NO_DILATION)

    def _scatter(self, grad_output: np.ndarray, per_window: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """dx: per_window(g), the gradient of every window element (N, C, kh, kw, OH, OW), added back to
        the input element it read (windows.scatter_windows), padding dropped."""
        self._check_grad(grad_output)
        padded = win.scatter_windows(per_window(grad_output), self.cache["padded_shape"], self.stride,
                                     NO_DILATION)
        return win.crop(padded, self.cache["pads"])

    def _check_grad(self, grad_output: np.ndarray) -> None:
        if self.cache is None:
            raise RuntimeError(f"{self.name}: backward before forward")
        check_shape(self.name, "grad_output", grad_output, self.cache["output_shape"])

    def __repr__(self) -> str:
        return self.name


class MaxPool2D(Pool2D):
    """y = max over each kh x kw window, padding -inf (torch nn.MaxPool2d, keras MaxPooling2D).

    Ties: the FIRST maximum in row-major window order takes the whole gradient (torch and TF on the CPU).
    """

    kind = "maxpool2d"
    fill = -np.inf

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """y[n, c, p, q] = max of window (p, q), one axis at a time: the max over kw of each row's part,
        then over kh of those; each step keeps the offset of its first maximum for backward."""
        result, offsets = self._padded(inputs), []
        for axis in (3, 2):  # columns first: a row's first maximum, then the first row holding the max
            result, first = first_maximum(result, axis, self.pool_size[axis - 2], self.stride[axis - 2],
                                          self.cache["output_shape"][axis])
            offsets.append(first)
        self.cache["offsets"] = offsets
        return result

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dx = g routed to each window's first maximum (summed where windows overlap), rows then columns."""
        self._check_grad(grad_output)
        grad, sizes = grad_output, self.cache["padded_shape"]
        for axis, first in zip((2, 3), reversed(self.cache["offsets"]), strict=True):
            grad = route_to_first_maximum(grad, first, axis, self.pool_size[axis - 2], self.stride[axis - 2],
                                          sizes[axis])
        return win.crop(grad, self.cache["pads"])


class AvgPool2D(Pool2D):
    """y = sum over each window / divisor, padding 0 (torch nn.AvgPool2d, keras AveragePooling2D).

    divisor = kh*kw when count_include_pad (torch's default), else the number of input (non-padding)
    elements in the window (TF/Keras 'same'; torch count_include_pad=False). Equal under 'valid'.
    """

    kind = "avgpool2d"

    def __init__(self, pool_size, stride=None, padding: str = "valid", count_include_pad: bool = False
                 ) -> None:
        super().__init__(pool_size, stride, padding)
        if not isinstance(count_include_pad, (bool, np.bool_)):
            raise ValueError(f"{self.name}: count_include_pad must be True or False, "
                             f"got {count_include_pad!r}")
        self.count_include_pad = bool(count_include_pad)

    @property
    def name(self) -> str:
        """'AvgPool2D(k=..., s=..., padding=..., count_include_pad=...)', used in error messages."""
        return f"{super().name[:-1]}, count_include_pad={getattr(self, 'count_include_pad', None)})"

    def divisor(self, shape: Shape, dtype) -> np.ndarray:
        """(OH, OW) divisors for a per-sample (C, H, W): kh*kw, or the input elements each window holds."""
        out = self.output_shape(shape)[1:]
        if self.count_include_pad or self.padding == "valid":
            return np.full(out, math.prod(self.pool_size), dtype=dtype)
        inside = win.pad(np.ones((1, 1, *shape[1:])), self.pads(shape[1:]))
        counts = win.windows(inside, self.pool_size, self.stride, NO_DILATION).sum(axis=(2, 3))
        return counts[0, 0].astype(dtype)

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """y[n, c, p, q] = sum of window (p, q) / divisor[p, q]."""
        windows = self._windows(inputs)
        self.cache["divisor"] = self.divisor(inputs.shape[1:], inputs.dtype)
        return windows.sum(axis=(2, 3)) / self.cache["divisor"]

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dx = g / divisor shared by every element of the window (summed where windows overlap)."""
        return self._scatter(grad_output, lambda g: np.broadcast_to(
            (g / self.cache["divisor"])[:, :, None, None], (*g.shape[:2], *self.pool_size, *g.shape[2:])))


class GlobalAvgPool2D(Layer):
    """y[n, c] = mean over H, W of x[n, c] (torch AdaptiveAvgPool2d(1) + Flatten, GlobalAveragePooling2D)."""

    kind = "global_avgpool2d"
    name = "GlobalAvgPool2D()"

    def __init__(self) -> None:
        super().__init__()
        self.input_shape: tuple[int, ...] | None = None

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """(N, C, H, W) -> (N, C): the mean of each channel's H x W values."""
        check_float_array(self.name, "input", inputs)
        if inputs.ndim != 4:
            raise ValueError(f"{self.name}: input must be (N, C, H, W), got shape {inputs.shape}")
        self.input_shape = inputs.shape
        return inputs.mean(axis=(2, 3))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dx[n, c, h, w] = g[n, c] / (H*W)."""
        if self.input_shape is None:
            raise RuntimeError(f"{self.name}: backward before forward")
        n, channels, height, width = self.input_shape
        check_shape(self.name, "grad_output", grad_output, (n, channels))
        share = grad_output / (height * width)
        return np.broadcast_to(share[:, :, None, None], self.input_shape).copy()

    def __repr__(self) -> str:
        return self.name


def _geometry(spec: dict) -> dict:
    return {"pool_size": spec["pool_size"], "stride": spec.get("stride"),
            "padding": spec.get("padding", "valid")}


def _max(spec: dict, dtype: str = "float64") -> MaxPool2D:
    return MaxPool2D(**_geometry(spec))


def _avg(spec: dict, dtype: str = "float64") -> AvgPool2D:
    return AvgPool2D(**_geometry(spec), count_include_pad=spec.get("count_include_pad", False))


def _global_shape(spec: dict, shape: Shape) -> Shape:
    if len(shape) != 3:
        raise ValueError(f"GlobalAvgPool2D(): per-sample input must be (C, H, W), got shape {tuple(shape)}")
    return (shape[0],)


GEOMETRY = ("stride", "padding")
RECORDS = (
    LayerType("maxpool2d", _max, required=("pool_size",), options=GEOMETRY,
              output_shape=lambda spec, shape: _max(spec).output_shape(shape), input_keys=lambda shape: {},
              notes="y = max over each window, -inf padding; ties: first maximum in row-major order"),
    LayerType("avgpool2d", _avg, required=("pool_size",), options=(*GEOMETRY, "count_include_pad"),
              output_shape=lambda spec, shape: _avg(spec).output_shape(shape), input_keys=lambda shape: {},
              notes="y = window sum / (kh*kw or the window's input elements: count_include_pad)"),
    LayerType("global_avgpool2d", lambda spec, dtype: GlobalAvgPool2D(), output_shape=_global_shape,
              input_keys=lambda shape: {}, ends_image=True, notes="y[n, c] = mean over H, W"),
)
