"""Layer types, activations and losses by the names plain-data specs use; one record per layer type.

The records (scratch.layers.base.LayerType) of every family module of scratch.layers are collected
here, with one generated record per activation. Shapes are per sample (the batch axis left out) and
N-D; images are channel-first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

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
from scratch.layers import (
    attention,
    convolution,
    dense,
    dropout,
    embedding,
    flatten,
    gated,
    normalization,
    pooling,
    recurrent,
)
from scratch.layers.base import Layer, LayerType, Shape, Tensor
from scratch.losses import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Loss,
    MeanAbsoluteError,
    MeanSquaredError,
)
from scratch.smooth_activations import GELU, LogSoftmax, Softplus

__all__ = ["ACTIVATIONS", "LAYER_TYPES", "LOSSES", "LayerType", "Shape", "Tensor", "build_layer",
           "build_loss", "buffer_shapes", "layer_type", "output_shape", "parameter_shapes"]

# Activation name -> class; spec keys other than type/n_inputs/units are its keyword options.
ACTIVATIONS: dict[str, type[Activation]] = {
    cls.kind: cls for cls in (Step, Linear, Sigmoid, Tanh, ReLU, LeakyReLU, PReLU, ELU, Swish, Softmax, GELU,
                              Softplus, LogSoftmax)
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

def _activation(cls: type[Activation]) -> Callable[[dict, str], Activation]:
    def build(spec: dict, dtype: str) -> Activation:
        options = {k: v for k, v in spec.items() if k not in ("type", "n_inputs", "units")}
        if cls.parametric:  # learnable parameters (PReLU's alpha) take the case dtype
            options.setdefault("dtype", dtype)
        return cls(**options)

    return build


# modules of scratch.layers, each ending with its RECORDS
FAMILIES = (dense, dropout, flatten, pooling, convolution, normalization, embedding, recurrent, gated,
            attention)
LAYER_TYPES: dict[str, LayerType] = {
    **{record.name: record for family in FAMILIES for record in family.RECORDS},
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
    return {p.name: tuple(p.shape(spec)) for p in layer_type(spec["type"]).params_of(spec)}


def buffer_shapes(spec: dict) -> dict[str, Shape]:
    """{buffer name: shape} of a resolved layer spec (non-trainable state), in the record's order."""
    return {b.name: tuple(b.shape(spec)) for b in layer_type(spec["type"]).buffers_of(spec)}


def build_loss(name: str, options: dict | None = None) -> Loss:
    """A scratch loss from its name, e.g. 'categorical_crossentropy', with its keyword options (the
    convention options of docs/conventions.md §3, e.g. {'probability_clip': None})."""
    if name not in LOSSES:
        raise KeyError(f"scratch: unknown loss {name!r}; known: {', '.join(sorted(LOSSES))}")
    return LOSSES[name](**(options or {}))
