"""One adapter per implementation, each a module with the same function names:

unavailable_reason() -> str | None        why it cannot run here (None when it can)
version() -> str                           the framework's version, for the report
build(spec, params, dtype) -> model        the model of a plain-data spec, parameters loaded
read_params(model) -> dict                 parameters read back, in the scratch layout (x @ W + b)
run_pass(model, spec, batch, shared) -> dict
    {quantity: {tensor: array}} of one forward (+ backward); framework adapters also return
    results["shared"] = {"dropout_masks": {layer index: 0/1 mask}}: the masks their own dropout
    drew, which the harness hands to scratch as `shared` so all sides drop the same units.
draw_initializer(spec, shape, dtype, seed) -> array    one seeded draw of an initializer, (in, out)
default_dense_params(n_inputs, n_outputs, dtype, seed) -> dict   a dense layer's own default init
run_perceptron(spec, x, y, params) -> list[dict]      weight and bias after each training epoch
"""

from __future__ import annotations

import importlib
from types import ModuleType

import numpy as np

ADAPTER_MODULES = {
    "scratch": "comparisons.adapters.scratch_adapter",
    "torch": "comparisons.adapters.torch_adapter",
    "tensorflow": "comparisons.adapters.tensorflow_adapter",
    "sklearn": "comparisons.adapters.sklearn_adapter",  # perceptron cases only
}


def get_adapter(name: str) -> ModuleType:
    """The adapter module of an implementation; KeyError lists the known names."""
    if name not in ADAPTER_MODULES:
        raise KeyError(f"unknown implementation {name!r}; known: {', '.join(ADAPTER_MODULES)}")
    return importlib.import_module(ADAPTER_MODULES[name])


def effective_loss(spec: dict) -> tuple[str | None, int]:
    """(loss the frameworks compute, index into [x, out_0, ..., out_n-1] of its prediction).

    Softmax + categorical cross-entropy is fused, as in nnfs Model.finalize, torch cross_entropy
    and Keras from_logits=True: the loss reads the softmax's input (the logits).
    """
    layers = spec["layers"]
    fused = {"categorical_crossentropy": "categorical_crossentropy_logits",
             "categorical_crossentropy_sum": "categorical_crossentropy_logits_sum"}
    if spec["loss"] in fused and layers and layers[-1]["type"] == "softmax":
        return fused[spec["loss"]], -2
    return spec["loss"], -1


def indices_of(spec: dict, kinds) -> list[int]:
    """Positions of the layers whose type is in kinds."""
    return [i for i, layer in enumerate(spec["layers"]) if layer["type"] in kinds]


def layer_names(spec: dict) -> list[str]:
    """Tensor names of the layers: '<position>.<type>', e.g. '1.relu'."""
    return [f"{i}.{layer['type']}" for i, layer in enumerate(spec["layers"])]


def has_regularizer(spec: dict) -> bool:
    """True when any layer carries an L1/L2 penalty."""
    keys = ("weight_l1", "weight_l2", "bias_l1", "bias_l2")
    return any(layer.get(k) for layer in spec["layers"] for k in keys)


def attach_dropout_masks(results: dict, spec: dict) -> dict:
    """results["shared"] = the framework's dropout masks, for scratch to use; returns results."""
    outputs = list(results.get("activation", {}).values())
    grads = results.get("grad_activation")
    results["shared"] = {"dropout_masks": dropout_masks(spec, outputs, grads and list(grads.values()))}
    return results


def dropout_masks(spec: dict, outputs: list, input_grads: list | None) -> dict[int, np.ndarray]:
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
