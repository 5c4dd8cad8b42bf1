"""Conv1D and Conv2D: cross-correlation by im2col and one GEMM per sample and group, kernels
(*k, in/groups, out)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from scratch.errors import check_finite, check_float_array, check_shape
from scratch.initializers import get_initializer
from scratch.layers import windows as win
from scratch.layers.base import Layer, LayerType, Shape, Tensor, channels_first


class Convolution(Layer):
    """y[n, f, o..] = b[f] + sum_{k.., c} W[k.., c, f] x_pad[n, g*C/G + c, o*s + k*d ..] over the
    group g of output channel f (torch nn.Conv1d/2d with W permuted to (out, in/G, *k); keras Conv1D/2D).

    The kernel is kept as (*kernel_size, in_channels/groups, filters), Keras's layout: its last axis is
    the output, like Dense's (in, out). Output channel f belongs to group f // (filters/groups), as in
    torch and Keras. Padding 'valid', 'same' (TensorFlow's split, the odd pixel after, at any stride)
    or explicit zeros (windows.normalize_padding). Default kernel: glorot_uniform (Keras's default).
    """

    spatial_axes = 0  # 1 for Conv1D, 2 for Conv2D
    kind = "convolution"

    def __init__(self, in_channels: int, filters: int, kernel_size, stride=1, dilation=1, padding="valid",
                 use_bias: bool = True, groups: int = 1, weight: np.ndarray | None = None,
                 bias: np.ndarray | None = None, dtype: type = np.float64,
                 rng: np.random.Generator | None = None,
                 weight_init: str | dict | Callable[..., np.ndarray] | None = None) -> None:
        super().__init__()
        n, label = self.spatial_axes, type(self).__name__
        self.in_channels = win.as_sizes(label, "in_channels", in_channels, 1)[0]
        self.filters = win.as_sizes(label, "filters", filters, 1)[0]
        self.kernel_size = win.as_sizes(label, "kernel_size", kernel_size, n)
        self.stride = win.as_sizes(label, "stride", stride, n)
        self.dilation = win.as_sizes(label, "dilation", dilation, n)
        self.groups = win.as_sizes(label, "groups", groups, 1)[0]
        self.padding = win.normalize_padding(label, padding, n)
        self.use_bias = bool(use_bias)
        if self.in_channels % self.groups or self.filters % self.groups:
            raise ValueError(f"{self.name}: groups={self.groups} must divide in_channels={self.in_channels} "
                             f"and filters={self.filters}")
        shape = (*self.kernel_size, self.in_channels // self.groups, self.filters)
        if weight is not None and weight_init is not None:
            raise ValueError(f"{self.name}: give either weight or weight_init, not both")
        if weight_init is not None and rng is None:
            raise ValueError(f"{self.name}: weight_init={weight_init!r} needs an explicit rng")
        if weight is None:  # Keras's default kernel initializer; a fixed stream unless rng is given
            rng = rng if rng is not None else np.random.default_rng(0)
            weight = get_initializer(weight_init or "glorot_uniform")(shape, rng, dtype=dtype)
        self.params["weight"] = np.asarray(weight, dtype=dtype).copy()
        check_shape(self.name, "weight", self.params["weight"], shape)
        if self.use_bias:
            bias = np.zeros(self.filters) if bias is None else bias
            self.params["bias"] = np.asarray(bias, dtype=dtype).copy()
            check_shape(self.name, "bias", self.params["bias"], (self.filters,))
        elif bias is not None:
            raise ValueError(f"{self.name}: use_bias=False takes no bias")
        for key, value in self.params.items():
            check_finite(self.name, key, value)
        self.cache: dict | None = None

    @property
    def name(self) -> str:
        """'Conv2D(3->4, k=3x3, s=2x2, padding='same')' (d and groups when not 1), for error messages."""
        def dims(sizes: tuple[int, ...]) -> str:
            return "x".join(map(str, sizes))

        extra = "" if set(self.dilation) == {1} else f", d={dims(self.dilation)}"
        extra += "" if self.groups == 1 else f", groups={self.groups}"
        return (f"{type(self).__name__}({self.in_channels}->{self.filters}, k={dims(self.kernel_size)}, "
                f"s={dims(self.stride)}{extra}, padding={self.padding!r})")

    def pads(self, spatial: tuple[int, ...]) -> win.Pads:
        """(before, after) zeros per spatial axis for an input of these spatial sizes."""
        return win.pad_amounts(self.padding, spatial, self.kernel_size, self.stride, self.dilation)

    def output_spatial(self, spatial: tuple[int, ...]) -> tuple[int, ...]:
        """Output sizes for an input's spatial sizes; ValueError when the kernel does not fit."""
        pads = self.pads(spatial)
        sizes = win.output_sizes(spatial, pads, self.kernel_size, self.stride, self.dilation)
        if min(sizes) < 1:
            padded = tuple(size + b + a for size, (b, a) in zip(spatial, pads, strict=True))
            raise ValueError(f"{self.name}: the kernel spans {win.spans(self.kernel_size, self.dilation)} "
                             f"positions, more than the padded input {padded} (input {tuple(spatial)}, "
                             f"padding {pads})")
        return sizes

    def _check_input(self, inputs: np.ndarray) -> None:
        check_float_array(self.name, "input", inputs)
        axes = ", ".join(("H", "W") if self.spatial_axes == 2 else ("L",))
        if inputs.ndim != 2 + self.spatial_axes:
            raise ValueError(f"{self.name}: input must be (N, C, {axes}) with {2 + self.spatial_axes} axes, "
                             f"got shape {inputs.shape}")
        if inputs.shape[1] != self.in_channels:
            raise ValueError(f"{self.name}: input must have {self.in_channels} channels on axis 1 "
                             f"(N, C, {axes}), got shape {inputs.shape}")

    def _grouped_weight(self) -> np.ndarray:
        """The kernel as (G, filters/G, C/G*prod(k)), columns in (c, *k) order: one GEMM operand per group."""
        n, g = self.spatial_axes, self.groups
        w = self.params["weight"].reshape(*self.kernel_size, self.in_channels // g, g, self.filters // g)
        return w.transpose(n + 1, n + 2, n, *range(n)).reshape(g, self.filters // g, -1)

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """im2col: the windows as (N, G, C/G*prod(k), prod(out)), one batched GEMM with the grouped kernel
        that gives (N, G, F/G, prod(out)), already the output's layout."""
        self._check_input(inputs)
        batch, spatial, n, g = len(inputs), inputs.shape[2:], self.spatial_axes, self.groups
        out = self.output_spatial(spatial)
        pads = self.pads(spatial)
        padded = win.pad(inputs, pads)
        view = win.windows(padded, self.kernel_size, self.stride, self.dilation)  # (N, C, *k, *out)
        cols = view.reshape(batch, g, -1, math.prod(out))  # one copy
        self.cache = {"cols": cols, "padded_shape": padded.shape, "pads": pads, "out": out,
                      "input_shape": inputs.shape}
        result = np.matmul(self._grouped_weight(), cols).reshape(batch, self.filters, *out)
        if self.use_bias:
            result += self.params["bias"].reshape(-1, *(1,) * n)
        return result

    def _grouped_grad(self, grad_output: np.ndarray) -> np.ndarray:
        """dL/dy (N, F, *out) as (N, G, F/G, prod(out)), the layout of forward's GEMM result."""
        if self.cache is None:
            raise RuntimeError(f"{self.name}: backward before forward")
        batch, out, g = self.cache["input_shape"][0], self.cache["out"], self.groups
        check_shape(self.name, "grad_output", grad_output, (batch, self.filters, *out))
        return grad_output.reshape(batch, g, self.filters // g, math.prod(out))

    def param_backward(self, grad_output: np.ndarray) -> None:
        """dW = sum over the batch of dy @ cols^T per group, back to (*k, C/G, F); db = sum of dy over
        batch and positions."""
        grouped = self._grouped_grad(grad_output)
        n, g = self.spatial_axes, self.groups
        dw = np.matmul(grouped, self.cache["cols"].swapaxes(-1, -2)).sum(axis=0)  # (G, F/G, C/G*prod(k))
        dw = dw.reshape(g, self.filters // g, self.in_channels // g, *self.kernel_size)
        self.grads["weight"] = dw.transpose(*range(3, 3 + n), 2, 0, 1).reshape(self.params["weight"].shape)
        if self.use_bias:
            self.grads["bias"] = grad_output.sum(axis=(0, *range(2, 2 + n)))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dW, db as param_backward; dx = col2im(W^T @ dy): each window's gradient added back, unpadded.

        W^T @ dy is made one first-axis kernel offset at a time (a GEMM with those kernel rows) and added
        back at once, so the whole column gradient (N, C, *k, *out) is never held."""
        self.param_backward(grad_output)
        grouped = self._grouped_grad(grad_output)
        batch, out, g = self.cache["input_shape"][0], self.cache["out"], self.groups
        first, rest = self.kernel_size[0], self.kernel_size[1:]
        # the grouped kernel (G, F/G, C/G*prod(k)) with its columns (c, k0, rest) split by the offset k0
        rows = self._grouped_weight().reshape(g, self.filters // g, self.in_channels // g, first, -1)
        blocks = (np.matmul(rows[:, :, :, i].reshape(g, self.filters // g, -1).swapaxes(-1, -2), grouped)
                  .reshape(batch, self.in_channels, *rest, *out) for i in range(first))
        padded = win.scatter_window_blocks(blocks, self.cache["padded_shape"], self.stride, self.dilation)
        return win.crop(padded, self.cache["pads"])

    def __repr__(self) -> str:
        return self.name


class Conv1D(Convolution):
    """1-D cross-correlation over (N, C, L), kernel (k, C/G, F) (torch nn.Conv1d with W.transpose(2, 1, 0);
    keras Conv1D)."""

    spatial_axes = 1
    kind = "conv1d"


class Conv2D(Convolution):
    """2-D cross-correlation over (N, C, H, W), kernel (kH, kW, C/G, F) (torch nn.Conv2d with
    W.transpose(3, 2, 0, 1); keras Conv2D)."""

    spatial_axes = 2
    kind = "conv2d"


GEOMETRY = ("stride", "dilation", "padding", "use_bias", "groups")
OPTIONS = (*GEOMETRY, "weight_init", "seed")


def _builder(cls: type[Convolution]) -> Callable[[dict, str], Convolution]:
    def build(spec: dict, dtype: str) -> Convolution:
        """cls(in_channels, filters, kernel_size, options...); weight_init draws from default_rng(seed)."""
        options = {k: spec[k] for k in GEOMETRY if k in spec}
        if "weight_init" in spec:
            options.update(weight_init=spec["weight_init"], rng=np.random.default_rng(spec.get("seed", 0)))
        return cls(spec["in_channels"], spec["filters"], spec["kernel_size"], dtype=dtype, **options)

    return build


def _layer_of(cls: type[Convolution], spec: dict) -> Convolution:
    """A zero-parameter layer of the spec's geometry (shapes only, never computed with)."""
    return cls(spec["in_channels"], spec["filters"], spec["kernel_size"],
               **{k: spec[k] for k in GEOMETRY if k in spec},
               weight=np.zeros(_kernel_shape(cls, spec)))


def _kernel_shape(cls: type[Convolution], spec: dict) -> Shape:
    kernel = win.as_sizes(cls.__name__, "kernel_size", spec["kernel_size"], cls.spatial_axes)
    return (*kernel, spec["in_channels"] // spec.get("groups", 1), spec["filters"])


def _record(cls: type[Convolution]) -> LayerType:
    return LayerType(
        cls.kind, _builder(cls), required=("filters", "kernel_size"), options=OPTIONS,
        params=(Tensor("weight", lambda spec: _kernel_shape(cls, spec), "weight"),
                Tensor("bias", lambda spec: (spec["filters"],), "bias", when="use_bias")),
        output_shape=lambda spec, shape: (spec["filters"], *_layer_of(cls, spec).output_spatial(shape[1:])),
        input_keys=channels_first,
        notes=f"{cls.spatial_axes}-D cross-correlation, kernel (*k, in/groups, filters)")


RECORDS = (_record(Conv1D), _record(Conv2D))
