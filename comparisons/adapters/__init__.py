"""One adapter per implementation, each a module with the same function names:

unavailable_reason() -> str | None   why it cannot run here (None when it can)
version() -> str                      the framework's version, for the report
build(spec, params, dtype) -> model   the model of a plain-data spec, parameters loaded
read_params(model) -> dict            parameters read back, in the scratch layout (x @ W + b)
run_pass(model, spec, batch) -> dict  {quantity: {tensor: array}} of one forward + backward
"""

from __future__ import annotations

import importlib
from types import ModuleType

ADAPTER_MODULES = {
    "scratch": "comparisons.adapters.scratch_adapter",
    "torch": "comparisons.adapters.torch_adapter",
    "tensorflow": "comparisons.adapters.tensorflow_adapter",
}


def get_adapter(name: str) -> ModuleType:
    """The adapter module of an implementation; KeyError lists the known names."""
    if name not in ADAPTER_MODULES:
        raise KeyError(f"unknown implementation {name!r}; known: {', '.join(ADAPTER_MODULES)}")
    return importlib.import_module(ADAPTER_MODULES[name])


def loss_on_logits(spec: dict) -> bool:
    """True when the loss reads the softmax's input (fused softmax + cross-entropy)."""
    return spec["loss"] == "categorical_crossentropy" and spec["layers"][-1]["type"] == "softmax"


def dense_indices(spec: dict) -> list[int]:
    """Positions of the Dense layers, whose parameters are '<i>.weight' and '<i>.bias'."""
    return [i for i, layer in enumerate(spec["layers"]) if layer["type"] == "dense"]


def layer_names(spec: dict) -> list[str]:
    """Tensor names of the layers: '<position>.<type>', e.g. '1.relu'."""
    return [f"{i}.{layer['type']}" for i, layer in enumerate(spec["layers"])]
