"""Layer types, activations and losses by the names plain-data specs use; one record per layer type.

A record says everything the rest of the project needs to know about a layer type, so nothing else
branches on its name: how to build it, which spec keys it needs and takes, its trainable parameters
and buffers (non-trainable state such as running statistics: updated by the layer, never by an
optimizer, saved and loaded with the model) with their shapes, whether its forward takes `training`,
which parameters take L1/L2 penalties, and its output shape for an input shape. Shapes here are
per sample (the batch axis left out) and N-D.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Tensor:
    """A parameter or buffer of a layer type: its name, its shape for a resolved spec, how it is drawn.

    `draw` names the harness's rule for random test values: 'weight' (N(0, 1/fan_in), fan_in the
    product of all but the last axis), 'bias' (|b| ~ U(0.05, 0.5), random sign) or 'slope'
    (U(0.05, 0.5)). `regularized`: the spec's '<name>_l1' / '<name>_l2' keys penalize it.
    """

    name: str
    shape: Callable[[dict], Shape]
    draw: str
    regularized: bool = False


def _same_shape(spec: dict, shape: Shape) -> Shape:
    return tuple(shape)


@dataclass(frozen=True)
class LayerType:
    """One layer type: how to build it and what it holds; see the module docstring."""

    name: str
    build: Callable[[dict, str], Layer]
    required: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    params: tuple[Tensor, ...] = ()
    buffers: tuple[Tensor, ...] = ()
    takes_training: bool = False
    output_shape: Callable[[dict, Shape], Shape] = _same_shape
    is_activation: bool = False
    notes: str = field(default="", compare=False)

    def regularizer_keys(self) -> tuple[str, ...]:
        """Spec keys that set a penalty: '<param>_l1', '<param>_l2' of every regularized parameter."""
        return tuple(f"{p.name}_{norm}" for p in self.params if p.regularized for norm in ("l1", "l2"))


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

DENSE_OPTIONS = ("weight_l1", "weight_l2", "bias_l1", "bias_l2", "l1_zero_subgradient")


def _dense(spec: dict, dtype: str) -> Dense:
    """Dense(n_inputs, units) with its penalty options; weight_init needs a 'seed'."""
    options = {k: spec[k] for k in DENSE_OPTIONS if k in spec}
    if "weight_init" in spec:
        options.update(weight_init=spec["weight_init"], rng=np.random.default_rng(spec["seed"]))
    return Dense(spec["n_inputs"], spec["units"], dtype=dtype, **options)


def _dropout(spec: dict, dtype: str) -> Dropout:
    """{'type': 'dropout', 'rate': p}; the mask is shared via set_mask, or drawn from 'seed'."""
    return Dropout(spec["rate"], rng=np.random.default_rng(spec["seed"]) if "seed" in spec else None)


def _activation(cls: type[Activation]) -> Callable[[dict, str], Activation]:
    def build(spec: dict, dtype: str) -> Activation:
        options = {k: v for k, v in spec.items() if k not in ("type", "n_inputs", "units")}
        if cls.parametric:  # learnable parameters (PReLU's alpha) take the case dtype
            options.setdefault("dtype", dtype)
        return cls(**options)

    return build


LAYER_TYPES: dict[str, LayerType] = {
    "dense": LayerType(
        "dense", _dense, required=("n_inputs", "units"), options=(*DENSE_OPTIONS, "weight_init", "seed"),
        params=(Tensor("weight", lambda s: (s["n_inputs"], s["units"]), "weight", regularized=True),
                Tensor("bias", lambda s: (s["units"],), "bias", regularized=True)),
        output_shape=lambda spec, shape: (*shape[:-1], spec["units"]),
        notes="z = x @ W + b, W (in, out)"),
    "dropout": LayerType("dropout", _dropout, required=("rate",), options=("seed",), takes_training=True),
    **{name: LayerType(
        name, _activation(cls), is_activation=True,
        params=(Tensor("alpha", lambda s: (s.get("num_parameters", 1),), "slope"),) if cls.parametric else ())
       for name, cls in ACTIVATIONS.items()},
}


def layer_type(name: str) -> LayerType:
    """The record of a layer type; KeyError lists the known ones."""
    if name not in LAYER_TYPES:
        raise KeyError(f"scratch: unknown layer type {name!r}; known: {', '.join(sorted(LAYER_TYPES))}")
    return LAYER_TYPES[name]


def _require_keys(spec: dict) -> LayerType:
    """The spec's record, after checking that the spec has every key its layer type needs."""
    if "type" not in spec:
        raise KeyError(f"scratch: layer spec {spec!r} lacks 'type'")
    record = layer_type(spec["type"])
    missing = [k for k in record.required if k not in spec]
    if missing:
        raise KeyError(f"scratch: layer spec {spec!r} lacks {', '.join(map(repr, missing))}")
    return record


def build_layer(spec: dict, dtype: str = "float64") -> Layer:
    """A scratch layer from a plain spec such as {'type': 'dense', 'n_inputs': 2, 'units': 16}."""
    return _require_keys(spec).build(spec, dtype)


def output_shape(spec: dict, shape: Shape) -> Shape:
    """The per-sample output shape of a layer spec for a per-sample input shape."""
    return tuple(layer_type(spec["type"]).output_shape(spec, tuple(shape)))


def parameter_shapes(spec: dict) -> dict[str, Shape]:
    """{parameter name: shape} of a resolved layer spec, in the record's order."""
    return {p.name: tuple(p.shape(spec)) for p in layer_type(spec["type"]).params}


def buffer_shapes(spec: dict) -> dict[str, Shape]:
    """{buffer name: shape} of a resolved layer spec (non-trainable state), in the record's order."""
    return {b.name: tuple(b.shape(spec)) for b in layer_type(spec["type"]).buffers}


def build_loss(name: str) -> Loss:
    """A scratch loss from its name, e.g. 'categorical_crossentropy'."""
    if name not in LOSSES:
        raise KeyError(f"scratch: unknown loss {name!r}; known: {', '.join(sorted(LOSSES))}")
    return LOSSES[name]()
