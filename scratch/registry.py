"""Names of scratch components, as used in plain-data specs; unknown names get a clear error."""

from __future__ import annotations

from scratch.activations import ReLU, Softmax
from scratch.layers import Dense, Layer
from scratch.losses import CategoricalCrossEntropy, Loss

ACTIVATIONS: dict[str, type[Layer]] = {"relu": ReLU, "softmax": Softmax}
LOSSES: dict[str, type[Loss]] = {"categorical_crossentropy": CategoricalCrossEntropy}


def _lookup(table: dict, what: str, name: str):
    if name not in table:
        raise KeyError(f"scratch: unknown {what} {name!r}; known: {', '.join(sorted(table))}")
    return table[name]


def build_layer(spec: dict, dtype: str = "float64") -> Layer:
    """A scratch layer from a plain spec such as {'type': 'dense', 'n_inputs': 2, 'units': 16}."""
    kind = spec["type"]
    if kind == "dense":
        return Dense(spec["n_inputs"], spec["units"], dtype=dtype)
    options = {k: v for k, v in spec.items() if k not in ("type", "n_inputs", "units")}
    return _lookup(ACTIVATIONS, "activation", kind)(**options)


def build_loss(name: str) -> Loss:
    """A scratch loss from its name, e.g. 'categorical_crossentropy'."""
    return _lookup(LOSSES, "loss", name)()
