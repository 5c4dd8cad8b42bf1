"""What every family of negative controls shares: recasting a layer to its wrong subclass, swapping a loss."""

from __future__ import annotations

from collections.abc import Callable

from scratch.layers import Layer
from scratch.model import Sequential


def recast(layer: Layer, wrong: type[Layer]) -> None:
    """Give a built layer its wrong subclass in place: parameters and options stay as they are."""
    correct = wrong.__bases__[0]
    if type(layer) is not correct:
        raise TypeError(f"{wrong.__name__} replaces {correct.__name__}, not {type(layer).__name__}")
    layer.__class__ = wrong


def recast_every(wrong: type[Layer]) -> Callable[[Sequential], int]:
    """A variant that recasts every layer of the correct class; returns how many it patched."""
    correct = wrong.__bases__[0]

    def patch(model: Sequential) -> int:
        targets = [layer for layer in model.layers if type(layer) is correct]
        for layer in targets:
            recast(layer, wrong)
        return len(targets)

    return patch


def replace_loss(wrong: type) -> Callable[[Sequential], int]:
    """A variant that swaps the model's loss for the wrong subclass of the same loss."""
    correct = wrong.__bases__[0]

    def patch(model: Sequential) -> int:
        if type(model.loss) is not correct:
            return 0
        model.loss = wrong()
        return 1

    return patch
