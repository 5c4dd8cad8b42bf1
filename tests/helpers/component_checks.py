"""Checks of one scratch layer type, driven by its record in scratch.registry.LAYER_TYPES alone.

Every check takes a `LayerType` record and works from what the record says: how to build the layer,
its required spec keys, its parameters and buffers (names, shapes, draw rules), whether its forward
takes `training`, its output shape. Test modules parametrize over `layer_type_params()`, so a new
record gets every check with no new list of names. What the record cannot say lives here, in one
place each:

- EXAMPLE_SPECS: spec keys of a layer type that GUESSED_VALUES cannot supply (a new layer type whose
  required keys are not there adds its example spec here; `example_spec` says so when it is missing);
- EXAMPLE_SHAPES: the per-sample input shape of a layer type that does not take rows of width 4
  (images are channel-first); the spec keys the record reads off it (input_keys) come from it;
- NOT_DIFFERENTIABLE: layer types whose forward has no useful derivative, with the reason;
- INTEGER_INPUTS: layer types whose input is integer ids (an embedding), with the spec key bounding
  them: their example input is ids with a repeat, they return no input gradient, and a float input
  (one holding a NaN) is what they must refuse.

A layer with `set_mask` (dropout) gets a fixed random 0/1 mask before every training forward, so
its forward is a deterministic function of the input.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from scratch.layers import Layer
from scratch.model import Sequential
from scratch.registry import LAYER_TYPES, LayerType, Tensor
from tests.helpers.gradcheck import check_layer_gradients

BATCH = 5  # rows of every example input
# Values for required spec keys that mean the same in every layer type.
GUESSED_VALUES: dict[str, object] = {"units": 3, "rate": 0.25}
DEFAULT_SHAPE = (4,)  # rows of width 4
SEQUENCE = (4, 5)  # T = 4 steps of F = 5 features (units 3: hidden != input)
EXAMPLE_SHAPES: dict[str, tuple[int, ...]] = {"flatten": (3, 4, 5), "maxpool2d": (3, 5, 6),
                                              "avgpool2d": (3, 5, 6), "global_avgpool2d": (3, 4, 5),
                                              "conv1d": (3, 8), "conv2d": (3, 5, 6), "batchnorm2d": (3, 4, 5),
                                              "rmsnorm": (3, 4, 5), "embedding": (6,), "simple_rnn": SEQUENCE,
                                              "lstm": SEQUENCE, "gru": SEQUENCE,
                                              "multi_head_attention": (4, 6)}  # T = 4, E = 6
# Per layer type: spec keys beyond GUESSED_VALUES (they win over a guessed value of the same key).
EXAMPLE_SPECS: dict[str, dict] = {
    "maxpool2d": {"pool_size": (2, 3), "stride": (2, 1), "padding": "same"},  # pads (0, 1) / (1, 1)
    "avgpool2d": {"pool_size": 3, "stride": 2, "padding": "same"},  # pads (1, 1) / (0, 1), padding excluded
    "conv1d": {"filters": 4, "kernel_size": 3, "dilation": 2, "padding": "same", "use_bias": False},
    "conv2d": {"filters": 4, "kernel_size": (3, 2), "stride": 2, "padding": "same"},  # odd 'same' padding
    "embedding": {"vocab_size": 5, "embedding_dim": 3},
    "simple_rnn": {"return_sequences": True, "biases": 2},
    "lstm": {"learned_initial_state": True},
    "gru": {"return_sequences": True, "reset_after": False, "learned_initial_state": True},
    "multi_head_attention": {"num_heads": 2, "causal": True, "residual": True},  # D = 3
}
INTEGER_INPUTS: dict[str, str] = {"embedding": "vocab_size"}
NOT_DIFFERENTIABLE: dict[str, str] = {
    "step": "piecewise constant: its backward is 0 by definition (the perceptron rule trains it, not "
            "backpropagation), so finite differences check nothing",
}


def layer_type_params(differentiable_only: bool = False) -> list:
    """One pytest.param per record of LAYER_TYPES, id = its name; NOT_DIFFERENTIABLE ones skipped if asked."""
    params = []
    for name, record in LAYER_TYPES.items():
        marks = ()
        if differentiable_only and name in NOT_DIFFERENTIABLE:
            marks = pytest.mark.skip(reason=f"{name}: {NOT_DIFFERENTIABLE[name]}")
        params.append(pytest.param(record, id=name, marks=marks))
    return params


# ----- building a layer from its record -----

def example_shape(record: LayerType, widened: bool = False) -> tuple[int, ...]:
    """The per-sample example input shape (EXAMPLE_SHAPES, else DEFAULT_SHAPE); widened: every axis + 1."""
    shape = EXAMPLE_SHAPES.get(record.name, DEFAULT_SHAPE)
    return tuple(size + 1 for size in shape) if widened else shape


def example_spec(record: LayerType, shape: tuple[int, ...] | None = None) -> dict:
    """{'type': name, what the record reads off the input shape, ...} plus every required key, from
    GUESSED_VALUES and EXAMPLE_SPECS."""
    spec = {"type": record.name, **record.input_keys(shape or example_shape(record))}
    spec.update({key: GUESSED_VALUES[key] for key in record.required if key in GUESSED_VALUES})
    spec.update(EXAMPLE_SPECS.get(record.name, {}))
    missing = [key for key in record.required if key not in spec]
    if missing:
        raise LookupError(
            f"layer type {record.name!r} requires {', '.join(map(repr, missing))}, which "
            f"tests/helpers/component_checks.py cannot guess: add an example spec for it, "
            f"EXAMPLE_SPECS[{record.name!r}] = {{{', '.join(f'{k!r}: ...' for k in missing)}}}"
        )
    return spec


def draw(tensor: Tensor, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Random float64 values by the tensor's draw rule (see scratch.registry.Tensor)."""
    if tensor.draw == "weight":
        fan_in = math.prod(shape[:-1]) or 1
        return rng.standard_normal(shape) / math.sqrt(fan_in)
    if tensor.draw == "bias":
        return rng.uniform(0.05, 0.5, shape) * rng.choice([-1.0, 1.0], shape)
    if tensor.draw == "slope":
        return rng.uniform(0.05, 0.5, shape)
    if tensor.draw == "scale":
        return rng.uniform(0.5, 1.5, shape)
    if tensor.draw == "variance":
        return rng.uniform(0.5, 2.0, shape)
    raise LookupError(f"tensor {tensor.name!r}: unknown draw rule {tensor.draw!r} "
                      "(weight, bias, slope, scale or variance)")


def build(record: LayerType, dtype: str = "float64", seed: int = 0, shape: tuple[int, ...] | None = None
          ) -> tuple[Layer, dict]:
    """(layer, spec): record.build of the example spec, every parameter and buffer set to a seeded draw.

    Asserts that the layer holds exactly the record's parameters and buffers, with their shapes.
    """
    spec = example_spec(record, shape)
    layer = record.build(spec, dtype)
    rng = np.random.default_rng(seed)
    for kind, tensors, holds in (("parameters", record.params_of(spec), layer.params),
                                 ("buffers", record.buffers_of(spec), layer.buffers)):
        names = [t.name for t in tensors]
        assert list(holds) == names, f"{record.name}: the layer holds {kind} {list(holds)}, record {names}"
        for tensor in tensors:
            shape = tuple(tensor.shape(spec))
            assert holds[tensor.name].shape == shape, (
                f"{record.name}.{tensor.name}: shape {holds[tensor.name].shape}, the record says {shape}")
            holds[tensor.name][...] = draw(tensor, shape, rng)  # in place: the layer keeps its own array
    return layer, spec


def example_input(record: LayerType, dtype: str = "float64", seed: int = 0,
                  shape: tuple[int, ...] | None = None) -> np.ndarray:
    """(BATCH, *example shape) standard normal input (no exact zeros, so no kink is hit); for a layer of
    INTEGER_INPUTS, int64 ids below its bound with a repeated id (the last equals the first)."""
    shape = shape or example_shape(record)
    rng = np.random.default_rng(1000 + seed)
    if record.name in INTEGER_INPUTS:
        ids = rng.integers(0, example_spec(record, shape)[INTEGER_INPUTS[record.name]], (BATCH, *shape))
        ids.flat[-1] = ids.flat[0]
        return ids
    return rng.standard_normal((BATCH, *shape)).astype(dtype)


def forward(record: LayerType, layer: Layer, x: np.ndarray, seed: int = 0) -> np.ndarray:
    """layer.forward(x), in training mode where the record says the forward takes it (fixed mask if any)."""
    if record.takes_training and hasattr(layer, "set_mask"):
        mask = np.random.default_rng(2000 + seed).integers(0, 2, x.shape)
        mask.flat[:2] = (0, 1)  # both kept and dropped entries, whatever the draw
        layer.set_mask(mask)
    return layer.forward(x, training=record.takes_training)


def fixed_width(record: LayerType) -> bool:
    """Whether the parameter or buffer shapes depend on the input shape (so only that shape fits)."""
    def shapes(widened: bool) -> list[tuple[int, ...]]:
        spec = example_spec(record, example_shape(record, widened))
        return [tuple(t.shape(spec)) for t in (*record.params_of(spec), *record.buffers_of(spec))]

    return shapes(False) != shapes(True)


# ----- the checks -----

def check_gradients(record: LayerType) -> None:
    """float64: backward's input and parameter gradients equal central finite differences of sum(out * g).

    g is a random upstream gradient (tests/helpers/gradcheck.py); param_backward fills the same
    parameter gradients as backward, bit for bit.
    """
    layer, spec = build(record, "float64", seed=1)
    x = example_input(record, seed=1)
    out = forward(record, layer, x, seed=1)
    upstream = np.random.default_rng(3).standard_normal(out.shape)
    layer.backward(upstream)
    assert sorted(layer.grads) == sorted(t.name for t in record.params_of(spec)), (
        f"{record.name}: backward filled gradients {sorted(layer.grads)}, the parameters are "
        f"{[t.name for t in record.params_of(spec)]}")
    backward_grads = {name: grad.copy() for name, grad in layer.grads.items()}
    layer.grads.clear()
    layer.param_backward(upstream)
    for name, grad in backward_grads.items():
        np.testing.assert_array_equal(layer.grads.get(name), grad,
                                      err_msg=f"{record.name}: param_backward's gradient of {name}")
    check_layer_gradients(layer, x, np.random.default_rng(4), training=record.takes_training)


def check_dtype_preserved(record: LayerType, dtype: str = "float32") -> None:
    """Built in and fed `dtype`: output, input gradient, parameters, gradients and buffers all `dtype`."""
    layer, spec = build(record, dtype)
    out = forward(record, layer, example_input(record, dtype))
    grad_input = layer.backward(np.random.default_rng(5).standard_normal(out.shape).astype(dtype))
    found = {"output": out, **({"input gradient": grad_input} if grad_input is not None else {}),
             **{f"parameter {k}": v for k, v in layer.params.items()},
             **{f"gradient of {k}": v for k, v in layer.grads.items()},
             **{f"buffer {k}": v for k, v in layer.buffers.items()}}
    wrong = {what: str(value.dtype) for what, value in found.items() if value.dtype != np.dtype(dtype)}
    assert not wrong, f"{record.name} in {dtype}: {wrong}"


def check_output_shape(record: LayerType, shape: tuple[int, ...] | None = None) -> None:
    """The output's per-sample shape is record.output_shape(spec, input shape); so is the input gradient's."""
    layer, spec = build(record, shape=shape)
    x = example_input(record, shape=shape)
    out = forward(record, layer, x)
    expected = (BATCH, *record.output_shape(spec, x.shape[1:]))
    assert out.shape == expected, f"{record.name}: output shape {out.shape}, the record says {expected}"
    grad_input = layer.backward(np.ones(out.shape))
    if record.name in INTEGER_INPUTS:  # ids have no gradient
        assert grad_input is None, f"{record.name}: an input gradient for integer ids"
    else:
        assert grad_input.shape == x.shape, f"{record.name}: input gradient {grad_input.shape}, x {x.shape}"


def refused(record: LayerType, layer: Layer, x: np.ndarray, what: str) -> None:
    """forward(x) raises ValueError naming the layer's class, and changes no parameter or buffer."""
    before = {k: v.copy() for k, v in (*layer.params.items(), *layer.buffers.items())}
    name = type(layer).__name__
    with pytest.raises(ValueError) as caught:
        forward(record, layer, x)
    assert name in str(caught.value), f"{record.name}, {what}: the error does not name {name}: {caught.value}"
    for key, value in (*layer.params.items(), *layer.buffers.items()):
        np.testing.assert_array_equal(value, before[key], err_msg=f"{record.name}: {key} changed by {what}")


def check_rejects_nan_input(record: LayerType) -> None:
    """A NaN in the input is refused with a ValueError naming the layer (an embedding: floats at all)."""
    layer, _ = build(record)
    x = example_input(record).astype(np.float64)
    x[BATCH // 2].flat[-1] = np.nan
    refused(record, layer, x, "a NaN input")


def check_input_width(record: LayerType) -> None:
    """A layer with shape-dependent tensors refuses a widened input; any other takes it (output_shape)."""
    widened = example_shape(record, widened=True)
    if fixed_width(record):
        layer, _ = build(record)
        refused(record, layer, example_input(record, shape=widened), f"an input of shape {widened}")
    else:
        check_output_shape(record, shape=widened)


def assert_same_state(record: LayerType, got: Sequential, expected: Sequential, when: str) -> None:
    """The two models hold the same parameter and buffer keys, dtypes and values, bit for bit."""
    for kind in ("get_params", "get_buffers"):
        mine, theirs = getattr(got, kind)(), getattr(expected, kind)()
        where = f"{record.name} {when}"
        assert sorted(mine) == sorted(theirs), f"{where}: {kind} keys {sorted(mine)} vs {sorted(theirs)}"
        for key, value in theirs.items():
            assert mine[key].dtype == value.dtype, f"{where}: {key} {mine[key].dtype} vs {value.dtype}"
            np.testing.assert_array_equal(mine[key], value, err_msg=f"{where}: {key}")


def check_params_round_trip(record: LayerType, dtype: str = "float64") -> None:
    """Sequential get_params/set_params and get_buffers/set_buffers carry every tensor, exactly, as copies."""
    source, spec = build(record, dtype, seed=1)
    target, _ = build(record, dtype, seed=2)
    model, other = Sequential([source]), Sequential([target])
    params, buffers = model.get_params(), model.get_buffers()
    for kind, keys, tensors in (("parameters", params, record.params_of(spec)),
                                ("buffers", buffers, record.buffers_of(spec))):
        expected = sorted(f"0.{t.name}" for t in tensors)
        assert sorted(keys) == expected, f"{record.name}: {kind} {sorted(keys)}, the record's {expected}"
    other.set_params(params)
    other.set_buffers(buffers)
    for value in (*params.values(), *buffers.values()):
        value += 1.0  # the copies handed out and handed in are not the layers' arrays
    assert_same_state(record, other, model, "after get/set")


def check_save_load_round_trip(record: LayerType, directory: Path, dtype: str = "float64") -> None:
    """Sequential.save then load into a differently drawn layer: same tensors bit for bit, same output."""
    saved, spec = build(record, dtype, seed=1)
    loaded, _ = build(record, dtype, seed=2)
    model, other = Sequential([saved]), Sequential([loaded])
    other.load(model.save(directory / f"{record.name}-{dtype}.npz"))
    assert_same_state(record, other, model, "after save/load")
    x = example_input(record, dtype)
    np.testing.assert_array_equal(forward(record, loaded, x), forward(record, saved, x),
                                  err_msg=f"{record.name}: output after save/load")
