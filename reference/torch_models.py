"""Scratch components expressed with PyTorch's own modules, functional ops and autograd."""

from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from reference.layouts import Layout

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
}

# Layer type -> {scratch parameter or buffer name: where torch keeps it}; nn.Linear.weight is (out, in).
BATCHNORM = {"gamma": Layout("weight", when="affine"), "beta": Layout("bias", when="affine"),
             "running_mean": Layout("running_mean", trainable=False),
             "running_var": Layout("running_var", trainable=False)}
LAYOUTS = {
    "dense": {"weight": Layout("weight", permutation=(1, 0)), "bias": Layout("bias")},
    "prelu": {"alpha": Layout("weight")},
    "batchnorm1d": BATCHNORM, "batchnorm2d": BATCHNORM,
    "layernorm": {"gamma": Layout("weight"), "beta": Layout("bias")},
    "rmsnorm": {"gamma": Layout("weight")},
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
