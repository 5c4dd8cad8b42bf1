"""Negative controls: deliberately wrong scratch components (real bugs) that the harness must catch.

Each wrong component subclasses the correct scratch class and overrides one formula; scratch/
itself stays correct. apply_variant(model, name) patches a built scratch Sequential in place:
a wrong layer class is put on every layer of its correct class (the layer keeps its parameters
and options), a wrong loss replaces the model's loss. One module per family of components, each
with its VARIANTS table; a new family adds its module to FAMILIES.
"""

from __future__ import annotations

from collections.abc import Callable

from comparisons.adapters.variants import attention, convolution, mlp, normalization, pooling, recurrent
from scratch.model import Sequential

FAMILIES = (mlp, pooling, convolution, normalization, recurrent, attention)
# Variant name -> patch(model) -> number of components patched (0 means the case does not fit it).
VARIANTS: dict[str, Callable[[Sequential], int]] = {
    name: patch for family in FAMILIES for name, patch in family.VARIANTS.items()}


def apply_variant(model: Sequential, name: str) -> Sequential:
    """Patch the built scratch model in place with the named wrong component; returns the model."""
    if name not in VARIANTS:
        raise KeyError(f"unknown scratch variant {name!r}; known: {', '.join(VARIANTS)}")
    if VARIANTS[name](model) == 0:
        raise ValueError(f"scratch variant {name!r} found nothing to patch in layers "
                         f"{model.layer_names} with loss {model.loss!r}")
    return model
