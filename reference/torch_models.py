"""Scratch components expressed with PyTorch's own modules, functional ops and autograd."""

from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from reference.layouts import Layout, padding_pairs, per_axis, same_padding
from reference.sequence import torch_attention, torch_sequence

DTYPES = {"float32": torch.float32, "float64": torch.float64}


class Heaviside(nn.Module):
    """step(x) = 1 if x >= 0 else 0: torch.heaviside(x, values=1) (no gradient defined by torch)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.heaviside(x, torch.ones((), dtype=x.dtype))


class ChannelsLastFlatten(nn.Module):
    """Rows in h, w, c order from a channel-first image: torch.flatten(torch.movedim(x, 1, -1), 1)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(torch.movedim(x, 1, -1), 1)


def _flatten(spec: dict, dtype: str) -> nn.Module:
    """nn.Flatten() (c, h, w order: torch's own), or ChannelsLastFlatten for Keras's h, w, c order."""
    return ChannelsLastFlatten() if spec.get("order") == "channels_last" else nn.Flatten()


class PaddedConv(nn.Module):
    """F.pad(x, pads) then the conv with padding=0, where torch's own padding cannot say it.

    TensorFlow's 'same' at stride > 1 (torch refuses padding='same' there), split by
    reference.layouts.same_padding for each input's sizes (the odd pixel after), or explicit
    (before, after) pairs that differ. docs/conventions.md §17.
    """

    def __init__(self, conv: nn.Module, pairs: tuple[tuple[int, int], ...] | None = None) -> None:
        super().__init__()
        self.conv, self.pairs = conv, pairs  # pairs None: TensorFlow's 'same' split for each input

    @property
    def weight(self) -> nn.Parameter:
        return self.conv.weight

    @property
    def bias(self) -> nn.Parameter | None:
        return self.conv.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        conv = self.conv
        pairs = self.pairs if self.pairs is not None else [same_padding(*geometry) for geometry in zip(
            x.shape[2:], conv.kernel_size, conv.stride, conv.dilation, strict=True)]
        return self.conv(F.pad(x, [p for pair in reversed(pairs) for p in pair]))  # last axis first


def _conv(spatial_axes: int):
    """nn.Conv1d / nn.Conv2d with torch's own padding where it can say the spec's ('valid', 'same' at
    stride 1, symmetric ints), else PaddedConv (docs/conventions.md §17)."""
    module = {1: nn.Conv1d, 2: nn.Conv2d}[spatial_axes]

    def build(spec: dict, dtype: str) -> nn.Module:
        padding, stride = spec.get("padding", "valid"), per_axis(spec.get("stride", 1), spatial_axes)
        pairs = None if isinstance(padding, str) else padding_pairs(padding, spatial_axes)
        own = padding if isinstance(padding, str) else 0
        if pairs is not None and all(b == a for b, a in pairs):
            own, pairs = tuple(b for b, _ in pairs), None  # symmetric: torch's padding=(ph, pw)
        strided_same = padding == "same" and set(stride) != {1}
        conv = module(spec["in_channels"], spec["filters"], spec["kernel_size"], stride=stride,
                      padding=0 if strided_same or pairs else own, dilation=spec.get("dilation", 1),
                      groups=spec.get("groups", 1), bias=spec.get("use_bias", True), dtype=DTYPES[dtype])
        return PaddedConv(conv, pairs) if strided_same or pairs else conv

    return build


class TfSamePool2d(nn.Module):
    """TF 'same' pooling: F.pad with TF's split (value -inf for max; 0 for an average whose divisor counts
    the padding, kh*kw) then the pool module with padding=0 (docs/conventions.md §18)."""

    def __init__(self, pool: nn.Module, fill: float) -> None:
        super().__init__()
        self.pool, self.fill = pool, fill

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (top, bottom), (left, right) = (same_padding(n, k, s) for n, k, s in zip(
            x.shape[2:], self.pool.kernel_size, self.pool.stride, strict=True))
        return self.pool(F.pad(x, (left, right, top, bottom), value=self.fill))


class TfSameAvgPool2d(nn.Module):
    """TF 'same' average over the input elements only: F.avg_pool2d(count_include_pad=False, ceil_mode=True)
    with torch's symmetric padding p per axis: total/2 when TF's split is even; before, and ceil_mode's
    window over the odd pixel, at stride > 1; after, and its first output dropped, at stride 1."""

    def __init__(self, pool_size: tuple[int, int], stride: tuple[int, int]) -> None:
        super().__init__()
        self.pool_size, self.stride = pool_size, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads, first, outs = [], [], []
        for n, k, s in zip(x.shape[2:], self.pool_size, self.stride, strict=True):
            before, after = same_padding(n, k, s)
            shifted = before != after and s == 1
            pads.append(after if shifted else before)
            first.append(int(shifted))
            outs.append(-(-n // s))
        y = F.avg_pool2d(x, self.pool_size, self.stride, padding=tuple(pads), ceil_mode=True,
                         count_include_pad=False)
        if any(size < start + out for size, start, out in zip(y.shape[2:], first, outs, strict=True)):
            raise ValueError(f"TfSameAvgPool2d: torch gave {tuple(y.shape[2:])} windows, TF's 'same' needs "
                             f"{tuple(outs)} from offsets {tuple(first)}")
        return y[:, :, first[0]:first[0] + outs[0], first[1]:first[1] + outs[1]]


def _pool(spec: dict, dtype: str) -> nn.Module:
    """nn.MaxPool2d / nn.AvgPool2d (stride default = pool size); 'same' through TfSamePool2d or, for an
    average over the input elements only (count_include_pad=False), TfSameAvgPool2d."""
    size = per_axis(spec["pool_size"], 2)
    stride = per_axis(spec.get("stride") or spec["pool_size"], 2)
    maximum, same = spec["type"] == "maxpool2d", spec.get("padding", "valid") == "same"
    pool = nn.MaxPool2d(size, stride) if maximum else nn.AvgPool2d(size, stride)
    if not same:
        return pool
    if maximum or spec.get("count_include_pad", False):
        return TfSamePool2d(pool, float("-inf") if maximum else 0.0)
    return TfSameAvgPool2d(size, stride)


def _options(spec: dict, **names: str) -> dict:
    """Options the spec gives, renamed to torch's keywords; absent ones keep torch's defaults."""
    return {torch_name: spec[name] for name, torch_name in names.items() if name in spec}


def _prelu(spec: dict, dtype: str) -> nn.Module:
    """nn.PReLU(num_parameters): one shared alpha (torch default) or one per feature."""
    return nn.PReLU(spec.get("num_parameters", 1), init=spec.get("init", 0.25), dtype=DTYPES[dtype])


def _batchnorm(module: type[nn.Module]):
    """nn.BatchNorm1d/2d(num_features, eps, momentum, affine): the spec's momentum, given in its
    momentum_convention (default 'torch'), converted to torch's weight of the new batch (1 - Keras's m)."""

    def build(spec: dict, dtype: str) -> nn.Module:
        options = _options(spec, eps="eps", affine="affine")
        if "momentum" in spec:
            keras = spec.get("momentum_convention", "torch") == "keras"
            options["momentum"] = 1 - spec["momentum"] if keras else spec["momentum"]
        return module(spec["num_features"], dtype=DTYPES[dtype], **options)

    return build


def _sample_norm(module: type[nn.Module]):
    """nn.LayerNorm / nn.RMSNorm over the sample's shape, eps passed when the spec gives it."""
    return lambda spec, dtype: module(tuple(spec["normalized_shape"]), dtype=DTYPES[dtype],
                                      **_options(spec, eps="eps"))


# Layer kind -> factory(spec, dtype) of the torch module that computes it.
LAYERS = {
    "dense": lambda spec, dtype: nn.Linear(spec["n_inputs"], spec["units"], dtype=DTYPES[dtype]),
    "dropout": lambda spec, dtype: nn.Dropout(spec["rate"]),
    "flatten": _flatten,
    "conv1d": _conv(1),
    "conv2d": _conv(2),
    "maxpool2d": _pool,
    "avgpool2d": _pool,
    "global_avgpool2d": lambda spec, dtype: nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()),
    "step": lambda spec, dtype: Heaviside(),
    "linear": lambda spec, dtype: nn.Identity(),
    "sigmoid": lambda spec, dtype: nn.Sigmoid(),
    "tanh": lambda spec, dtype: nn.Tanh(),
    "relu": lambda spec, dtype: nn.ReLU(),
    "leaky_relu": lambda spec, dtype: nn.LeakyReLU(**_options(spec, alpha="negative_slope")),
    "prelu": _prelu,
    "elu": lambda spec, dtype: nn.ELU(**_options(spec, alpha="alpha")),
    "swish": lambda spec, dtype: nn.SiLU(),
    "softmax": lambda spec, dtype: nn.Softmax(dim=1),
    "gelu": lambda spec, dtype: nn.GELU(**_options(spec, approximate="approximate")),
    "softplus": lambda spec, dtype: nn.Softplus(),  # NOTE: threshold 20: x itself above it (§19)
    "log_softmax": lambda spec, dtype: nn.LogSoftmax(dim=1),
    "batchnorm1d": _batchnorm(nn.BatchNorm1d),
    "batchnorm2d": _batchnorm(nn.BatchNorm2d),
    "layernorm": _sample_norm(nn.LayerNorm),
    "rmsnorm": _sample_norm(nn.RMSNorm),
    **torch_sequence.LAYERS,  # embedding, simple_rnn, lstm, gru
    **torch_attention.LAYERS,  # multi_head_attention
}

# Layer type -> {scratch parameter or buffer name: where torch keeps it}; nn.Linear.weight is (out, in).
BATCHNORM = {"gamma": Layout("weight", when="affine"), "beta": Layout("bias", when="affine"),
             "running_mean": Layout("running_mean", trainable=False),
             "running_var": Layout("running_var", trainable=False)}
LAYOUTS = {
    "dense": {"weight": Layout("weight", permutation=(1, 0)), "bias": Layout("bias")},
    "prelu": {"alpha": Layout("weight")},
    # scratch kernels (*k, in/groups, out); nn.Conv1d/2d weights (out, in/groups, *k)
    "conv1d": {"weight": Layout("weight", permutation=(2, 1, 0)), "bias": Layout("bias", when="use_bias")},
    "conv2d": {"weight": Layout("weight", permutation=(3, 2, 0, 1)), "bias": Layout("bias", when="use_bias")},
    "batchnorm1d": BATCHNORM, "batchnorm2d": BATCHNORM,
    "layernorm": {"gamma": Layout("weight"), "beta": Layout("bias")},
    "rmsnorm": {"gamma": Layout("weight")},
    **torch_sequence.LAYOUTS,
    **torch_attention.LAYOUTS,
}


def _class_indices(target: torch.Tensor) -> torch.Tensor:
    return target if target.ndim == 1 else target.argmax(dim=1)


def _crossentropy_probabilities(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """mean_n -log p[n, y_n] on probabilities: F.nll_loss(torch.log(p)) (torch has no clipped CCE)."""
    return F.nll_loss(torch.log(probs), _class_indices(target))


def _crossentropy_probabilities_sum(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """sum_n -log p[n, y_n] on probabilities: F.nll_loss(torch.log(p), reduction='sum')."""
    return F.nll_loss(torch.log(probs), _class_indices(target), reduction="sum")


def _half_mse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1/2 mean (y - ŷ)^2: 0.5 * nn.functional.mse_loss (seed 07's 1/2 (y - a)^2 for one output)."""
    return 0.5 * F.mse_loss(prediction, target)


# Loss kind -> callable(prediction, target) -> scalar, each torch's own loss (mean reduction unless *_sum).
LOSSES = {
    "mse": nn.MSELoss(),
    "half_mse": _half_mse,
    "mae": nn.L1Loss(),
    "binary_crossentropy": nn.BCELoss(),  # NOTE: clamps log at -100 instead of clipping p at 1e-7
    "binary_crossentropy_logits": nn.BCEWithLogitsLoss(),
    "categorical_crossentropy": _crossentropy_probabilities,
    "categorical_crossentropy_logits": F.cross_entropy,  # sparse labels or one-hot probabilities
    "categorical_crossentropy_sum": _crossentropy_probabilities_sum,
    "categorical_crossentropy_logits_sum": partial(F.cross_entropy, reduction="sum"),
}


def build_layer(spec: dict, dtype: str) -> nn.Module:
    """One torch module from a plain layer spec; KeyError names unknown kinds."""
    kind = spec["type"]
    if kind not in LAYERS:
        raise KeyError(f"torch reference: unknown layer type {kind!r}; known: {sorted(LAYERS)}")
    return LAYERS[kind](spec, dtype)


def build_layers(layer_specs: list[dict], dtype: str) -> list[nn.Module]:
    """The torch modules of a Sequential spec, in order."""
    return [build_layer(spec, dtype) for spec in layer_specs]


def regularization_penalty(layer: nn.Module, spec: dict) -> torch.Tensor | None:
    """l1*||W||_1 + l2*||W||_2^2 (+ bias terms) with torch.linalg.vector_norm; autograd differentiates.

    NOTE: torch has no regularizer objects; penalties are added to the loss as torch ops, whose
    subgradient of |w| at 0 is 0 (sign(0)). torch's optimizer weight_decay is compared separately.
    """
    terms = []
    for name, attr in (("weight", "weight"), ("bias", "bias")):
        tensor = getattr(layer, attr)
        if spec.get(f"{name}_l1"):
            terms.append(spec[f"{name}_l1"] * torch.linalg.vector_norm(tensor, ord=1))
        if spec.get(f"{name}_l2"):
            terms.append(spec[f"{name}_l2"] * torch.linalg.vector_norm(tensor, ord=2).square())
    return torch.stack(terms).sum() if terms else None
