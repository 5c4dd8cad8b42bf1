"""Scratch components expressed with PyTorch's own modules and functional ops."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

DTYPES = {"float32": torch.float32, "float64": torch.float64}

# Activation kind -> factory of the torch module that computes it.
ACTIVATIONS = {
    "relu": lambda spec: nn.ReLU(),
    "softmax": lambda spec: nn.Softmax(dim=1),
}


def sparse_crossentropy_from_logits(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """mean_n -log softmax(z)[n, y_n]: torch.nn.functional.cross_entropy (fused log-softmax)."""
    return F.cross_entropy(logits, labels)


# Loss kind -> (callable(pred, target) -> scalar, what pred is: "logits" for fused softmax).
LOSSES = {
    "categorical_crossentropy": sparse_crossentropy_from_logits,
}


def build_layer(spec: dict, dtype: str) -> nn.Module:
    """One torch module from a plain layer spec (dense: nn.Linear; activations: ACTIVATIONS)."""
    kind = spec["type"]
    if kind == "dense":
        return nn.Linear(spec["n_inputs"], spec["units"], dtype=DTYPES[dtype])
    if kind in ACTIVATIONS:
        return ACTIVATIONS[kind](spec)
    raise KeyError(f"torch reference: unknown layer type {kind!r}; known: dense, {sorted(ACTIVATIONS)}")


def build_layers(layer_specs: list[dict], dtype: str) -> list[nn.Module]:
    """The torch modules of a Sequential spec, in order."""
    return [build_layer(spec, dtype) for spec in layer_specs]
