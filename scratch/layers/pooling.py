"""Pooling of channel-first images (N, C, H, W): max and average over 2-D windows, global average.

Windows come from numpy's sliding_window_view (no loop over pixels or samples); backward loops over
the kh*kw offsets of a window only. Padding 'same' is TensorFlow's split (docs/conventions.md §18):
out = ceil(in/s), total = max((out-1)*s + k - in, 0), before = total // 2, after = total - before.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from scratch.errors import check_float_array, check_shape
from scratch.layers.base import Layer, LayerType, Shape

PADDINGS = ("valid", "same")
Pair = tuple[int, int]


def same_padding(size: int, pool: int, stride: int) -> Pair:
    """(before, after) of TF's 'same' along one axis: the odd pixel goes after (bottom/right)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + pool - size, 0)
    return total // 2, total - total // 2


def _pair(layer: str, what: str, value) -> Pair:
    """An int or a pair of ints, each >= 1, as a pair; ValueError naming the layer otherwise."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else value
    integers = isinstance(pair, (tuple, list)) and len(pair) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair)
    if not integers or min(pair) < 1:
        raise ValueError(f"{layer}: {what} must be a positive int or a pair of positive ints, got {value!r}")
    return int(pair[0]), int(pair[1])


class Pool2D(Layer):
    """What max and average pooling share: window geometry, 'valid' / 'same' padding, the offset loop."""

    fill = 0.0  # the value padding holds

    def __init__(self, pool_size, strides=None, padding: str = "valid") -> None:
        super().__init__()
        label = type(self).__name__
        self.pool_size = _pair(label, "pool_size", pool_size)
        self.strides = self.pool_size if strides is None else _pair(label, "strides", strides)
        if padding not in PADDINGS:
            raise ValueError(f"{label}: padding must be one of {', '.join(PADDINGS)}, got {padding!r}")
        self.padding = padding
        self.cache: dict | None = None

    @property
    def name(self) -> str:
        """'MaxPool2D(k=(2, 3), s=(2, 2), padding='same')', used in error messages."""
        return f"{type(self).__name__}(k={self.pool_size}, s={self.strides}, padding={self.padding!r})"

    def pads(self, spatial: Pair) -> tuple[Pair, Pair]:
        """((top, bottom), (left, right)): zeros for 'valid', TF's split for 'same'."""
        if self.padding == "valid":
            return (0, 0), (0, 0)
        return tuple(same_padding(n, k, s) for n, k, s in zip(spatial, self.pool_size, self.strides,
                                                                strict=True))

    def output_shape(self, shape: Shape) -> Shape:
        """(C, OH, OW) for a per-sample (C, H, W); ValueError when the shape is not 3-D or a window
        does not fit in the padded input."""
        if len(shape) != 3:
            raise ValueError(f"{self.name}: per-sample input must be (C, H, W), got shape {tuple(shape)}")
        channels, *spatial = shape
        out = []
        for axis, n, k, s, (before, after) in zip("HW", spatial, self.pool_size, self.strides,
                                                  self.pads(tuple(spatial)), strict=True):
            if k > n + before + after:
                raise ValueError(f"{self.name}: pool {axis} = {k} is larger than the padded input "
                                 f"{axis} = {n + before + after} (input {axis} = {n}, padding "
                                 f"{before}+{after})")
            out.append((n + before + after - k) // s + 1)
        return channels, *out

    def _windows(self, inputs: np.ndarray) -> np.ndarray:
        """(N, C, OH, OW, kh, kw) read-only view of the padded input's windows; caches what backward needs."""
        check_float_array(self.name, "input", inputs)
        if inputs.ndim != 4:
            raise ValueError(f"{self.name}: input must be (N, C, H, W), got shape {inputs.shape}")
        out = self.output_shape(inputs.shape[1:])
        pads = self.pads(inputs.shape[2:])
        padded = np.pad(inputs, ((0, 0), (0, 0), *pads), constant_values=self.fill) if any(
            sum(pads, ())) else inputs
        self.cache = {"input_shape": inputs.shape, "pads": pads, "padded_shape": padded.shape,
                      "output_shape": (len(inputs), *out)}
        sh, sw = self.strides
        return sliding_window_view(padded, self.pool_size, axis=(2, 3))[:, :, ::sh, ::sw]

    def _scatter(self, grad_output: np.ndarray, share: Callable[[int], np.ndarray]) -> np.ndarray:
        """dx: for each window offset o = i*kw + j (row-major), share(o) (N, C, OH, OW) added to the
        input element each window reads at that offset; padding dropped at the end."""
        if self.cache is None:
            raise RuntimeError(f"{self.name}: backward before forward")
        check_shape(self.name, "grad_output", grad_output, self.cache["output_shape"])
        _, _, oh, ow = grad_output.shape
        (kh, kw), (sh, sw) = self.pool_size, self.strides
        grad = np.zeros(self.cache["padded_shape"], dtype=grad_output.dtype)
        for i in range(kh):
            for j in range(kw):  # one strided slice per offset: its positions are distinct
                grad[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += share(i * kw + j)
        (top, bottom), (left, right) = self.cache["pads"]
        return grad[:, :, top:grad.shape[2] - bottom, left:grad.shape[3] - right]

    def __repr__(self) -> str:
        return self.name


class MaxPool2D(Pool2D):
    """y = max over each kh x kw window, padding -inf (torch nn.MaxPool2d, keras MaxPooling2D).

    Ties: the FIRST maximum in row-major window order takes the whole gradient (torch and TF on the CPU).
    """

    kind = "maxpool2d"
    fill = -np.inf

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """y[n, c, p, q] = max of window (p, q); the argmax (first in row-major order) kept for backward."""
        windows = self._windows(inputs)
        flat = windows.reshape(*windows.shape[:4], -1)
        argmax = flat.argmax(axis=-1)  # numpy returns the first occurrence of the maximum
        self.cache["argmax"] = argmax
        return np.take_along_axis(flat, argmax[..., None], axis=-1)[..., 0]

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dx = g routed to each window's first maximum (summed where windows overlap)."""
        argmax = None if self.cache is None else self.cache["argmax"]
        return self._scatter(grad_output, lambda offset: np.where(argmax == offset, grad_output, 0))


class AvgPool2D(Pool2D):
    """y = sum over each window / divisor, padding 0 (torch nn.AvgPool2d, keras AveragePooling2D).

    divisor = kh*kw when count_include_pad (torch's default), else the number of input (non-padding)
    elements in the window (TF/Keras 'same'; torch count_include_pad=False). Equal under 'valid'.
    """

    kind = "avgpool2d"

    def __init__(self, pool_size, strides=None, padding: str = "valid", count_include_pad: bool = False
                 ) -> None:
        super().__init__(pool_size, strides, padding)
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
        inside = np.pad(np.ones(shape[1:]), self.pads(shape[1:]))
        sh, sw = self.strides
        return sliding_window_view(inside, self.pool_size)[::sh, ::sw].sum(axis=(-2, -1)).astype(dtype)

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """y[n, c, p, q] = sum of window (p, q) / divisor[p, q]."""
        windows = self._windows(inputs)
        self.cache["divisor"] = self.divisor(inputs.shape[1:], inputs.dtype)
        return windows.sum(axis=(-2, -1)) / self.cache["divisor"]

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dx = g / divisor shared by every element of the window (summed where windows overlap)."""
        share = None if self.cache is None else grad_output / self.cache["divisor"]
        return self._scatter(grad_output, lambda offset: share)


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
    return {"pool_size": spec["pool_size"], "strides": spec.get("strides"),
            "padding": spec.get("padding", "valid")}


def _max(spec: dict, dtype: str = "float64") -> MaxPool2D:
    return MaxPool2D(**_geometry(spec))


def _avg(spec: dict, dtype: str = "float64") -> AvgPool2D:
    return AvgPool2D(**_geometry(spec), count_include_pad=spec.get("count_include_pad", False))


def _global_shape(spec: dict, shape: Shape) -> Shape:
    if len(shape) != 3:
        raise ValueError(f"GlobalAvgPool2D(): per-sample input must be (C, H, W), got shape {tuple(shape)}")
    return (shape[0],)


GEOMETRY = ("strides", "padding")
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
