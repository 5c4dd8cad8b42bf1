"""Dropout masks read off a framework's own pass, so the implementation under test drops the same units."""

from __future__ import annotations

import numpy as np

from comparisons.core.spec import indices_of


def attach_dropout_masks(results: dict, spec: dict) -> dict:
    """results["shared"] = the framework's dropout masks, for scratch to use; returns results."""
    outputs = list(results.get("activation", {}).values())
    grads = results.get("grad_activation")
    results["shared"] = {"dropout_masks": dropout_masks(spec, outputs, grads and list(grads.values()))}
    return results


def dropout_masks(spec: dict, outputs, input_grads) -> dict[int, np.ndarray]:
    """0/1 keep masks the framework's own dropout drew, read off its output and its input gradient.

    A kept unit has a non-zero output unless its input was 0 (after a ReLU); its input gradient
    g / (1 - p) is non-zero for any random upstream gradient, so both together identify it.
    """
    if not spec.get("training", True):
        return {}
    masks = {}
    for i in indices_of(spec, ("dropout",)):
        kept = np.asarray(outputs[i]) != 0
        if input_grads is not None:
            kept |= np.asarray(input_grads[i]) != 0
        masks[i] = kept
    return masks
