"""Negative controls: deliberately wrong scratch components (real bugs) that the harness must catch.

Each wrong component subclasses the correct scratch class and overrides one formula; scratch/
itself stays correct. apply_variant(model, name) patches a built scratch Sequential in place:
a wrong layer class is put on every layer of its correct class (the layer keeps its parameters
and options), a wrong loss replaces the model's loss. One module per family of components, each
with its VARIANTS table; a new family adds its module to FAMILIES.
"""

from __future__ import annotations

from collections.abc import Callable

from comparisons.adapters.variants import (
    attention,
    catalogue,
    convolution,
    mlp,
    normalization,
    pooling,
    recurrent,
)
from comparisons.adapters.variants.catalogue import INITIALIZER_VARIANTS, OPTIMIZER_VARIANTS
from scratch.model import Sequential

FAMILIES = (mlp, pooling, convolution, normalization, recurrent, attention, catalogue)
# Variant name -> patch(model) -> number of components patched (0 means the case does not fit it).
VARIANTS: dict[str, Callable[[Sequential], int]] = {
    name: patch for family in FAMILIES for name, patch in family.VARIANTS.items()}


def apply_variant(model: Sequential, name: str, strict: bool = True) -> Sequential:
    """Patch the built scratch model in place with the named wrong component; returns the model.

    strict=False (a layer run alone by the localizer): a model the variant does not fit stays correct."""
    if name in OPTIMIZER_VARIANTS or name in INITIALIZER_VARIANTS:
        return model  # planted in the optimizer or the initializer, not in a layer
    if name not in VARIANTS:
        raise KeyError(f"unknown scratch variant {name!r}; known: {', '.join(VARIANTS)}")
    if VARIANTS[name](model) == 0 and strict:
        raise ValueError(f"scratch variant {name!r} found nothing to patch in layers "
                         f"{model.layer_names} with loss {model.loss!r}")
    return model


def apply_optimizer_variant(optimizer, name: str | None):
    """Give a built scratch optimizer the named wrong subclass (OPTIMIZER_VARIANTS); other names: as is."""
    wrong = OPTIMIZER_VARIANTS.get(name or "")
    if wrong is not None and type(optimizer) is wrong.__bases__[0]:
        optimizer.__class__ = wrong
    return optimizer


def apply_initializer_variant(name: str | None, initializer: str, draw):
    """The draw as the named wrong initializer (INITIALIZER_VARIANTS) returns it; other names: as is."""
    wrong = INITIALIZER_VARIANTS.get(name or "")
    return draw if wrong is None else wrong(initializer, draw)
