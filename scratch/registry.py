"""Names of scratch components, as used in plain-data specs; unknown names get a clear error."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from scratch.activations import (
    ELU,
    Activation,
    LeakyReLU,
    Linear,
    PReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Step,
    Swish,
    Tanh,
)
from scratch.layers import Dense, Dropout, Layer
from scratch.losses import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Loss,
    MeanAbsoluteError,
    MeanSquaredError,
)

# Activation name -> class; spec keys other than type/n_inputs/units are its keyword options.
ACTIVATIONS: dict[str, type[Activation]] = {
    cls.kind: cls for cls in (Step, Linear, Sigmoid, Tanh, ReLU, LeakyReLU, PReLU, ELU, Swish, Softmax)
}
# Loss name -> factory of a loss with that kind.
LOSSES: dict[str, Callable[[], Loss]] = {
    "mse": MeanSquaredError,
    "half_mse": partial(MeanSquaredError, scale=0.5),
    "mae": MeanAbsoluteError,
    "binary_crossentropy": BinaryCrossEntropy,
    "binary_crossentropy_logits": partial(BinaryCrossEntropy, from_logits=True),
    "categorical_crossentropy": CategoricalCrossEntropy,
    "categorical_crossentropy_logits": partial(CategoricalCrossEntropy, from_logits=True),
    "categorical_crossentropy_sum": partial(CategoricalCrossEntropy, reduction="sum"),
    "categorical_crossentropy_logits_sum": partial(CategoricalCrossEntropy, from_logits=True,
                                                   reduction="sum"),
}


LAYERS: dict[str, type[Layer]] = {"dense": Dense, "dropout": Dropout}
DENSE_OPTIONS = ("weight_l1", "weight_l2", "bias_l1", "bias_l2", "l1_zero_subgradient")


def _lookup(table: dict, what: str, name: str):
    if name not in table:
        raise KeyError(f"scratch: unknown {what} {name!r}; known: {', '.join(sorted(table))}")
    return table[name]


REQUIRED_KEYS = {"dense": ("n_inputs", "units"), "dropout": ("rate",)}


def _require_keys(spec: dict) -> str:
    """The spec's 'type', after checking that it has every key its layer type needs."""
    missing = [k for k in ("type", *REQUIRED_KEYS.get(spec.get("type"), ())) if k not in spec]
    if missing:
        raise KeyError(f"scratch: layer spec {spec!r} lacks {', '.join(map(repr, missing))}")
    return spec["type"]


def build_layer(spec: dict, dtype: str = "float64") -> Layer:
    """A scratch layer from a plain spec such as {'type': 'dense', 'n_inputs': 2, 'units': 16}."""
    kind = _require_keys(spec)
    if kind == "dense":  # regularizer options: DENSE_OPTIONS; weight_init needs a 'seed'
        options = {k: spec[k] for k in DENSE_OPTIONS if k in spec}
        if "weight_init" in spec:
            options.update(weight_init=spec["weight_init"], rng=np.random.default_rng(spec["seed"]))
        return Dense(spec["n_inputs"], spec["units"], dtype=dtype, **options)
    if kind == "dropout":  # {'type': 'dropout', 'rate': p}; mask shared via set_mask, or drawn from 'seed'
        rng = np.random.default_rng(spec["seed"]) if "seed" in spec else None
        return Dropout(spec["rate"], rng=rng)
    options = {k: v for k, v in spec.items() if k not in ("type", "n_inputs", "units")}
    if kind not in ACTIVATIONS:
        raise KeyError(f"scratch: unknown activation {kind!r}; known: {', '.join(sorted(ACTIVATIONS))} "
                       f"(other layer types: {', '.join(LAYERS)})")
    activation = ACTIVATIONS[kind]
    if activation.parametric:  # learnable parameters (PReLU's alpha) take the case dtype
        options.setdefault("dtype", dtype)
    return activation(**options)


def build_loss(name: str) -> Loss:
    """A scratch loss from its name, e.g. 'categorical_crossentropy'."""
    return _lookup(LOSSES, "loss", name)()
