"""Adapter for the from-scratch NumPy library."""

from __future__ import annotations

import numpy as np

from comparisons.adapters import layer_names
from scratch.model import Sequential
from scratch.registry import build_layer, build_loss


def unavailable_reason() -> str | None:
    """Scratch needs only NumPy: always available."""
    return None


def version() -> str:
    """NumPy's version: scratch runs on it."""
    return f"numpy {np.__version__}"


def build(spec: dict, params: dict[str, np.ndarray], dtype: str) -> Sequential:
    """A scratch Sequential with the given parameters (copied, in the case dtype)."""
    model = Sequential(
        [build_layer(layer, dtype) for layer in spec["layers"]],
        loss=build_loss(spec["loss"]) if spec["loss"] else None,
    )
    for key, value in params.items():
        index, name = key.split(".")
        model.layers[int(index)].params[name][...] = value
    return model


def read_params(model: Sequential) -> dict[str, np.ndarray]:
    """Parameters as stored, keyed '0.weight', '0.bias', ..."""
    return model.get_params()


def run_pass(model: Sequential, spec: dict, batch) -> dict[str, dict[str, np.ndarray]]:
    """Forward, loss (if any), backward from the loss or from the batch's upstream gradient."""
    names = layer_names(spec)
    output = model.forward(batch.x, training=True)
    results = {"activation": dict(zip(names, model.activations, strict=True)), "output": {"output": output}}
    if spec["loss"]:
        results["loss"] = {"loss": np.asarray(model.loss_value(batch.labels))}
        grad_input = model.backward_from_loss(batch.labels)
    else:
        grad_input = model.backward(batch.upstream)
    results["grad_activation"] = dict(zip(names, model.layer_input_grads, strict=True))
    results["grad_param"] = model.get_grads()
    results["grad_input"] = {"input": grad_input}
    return results
