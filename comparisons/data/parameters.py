"""Initial parameters and buffers of a case, drawn from the layer-type records' draw rules."""

from __future__ import annotations

import numpy as np

from scratch.registry import layer_type


def signed_uniform(rng: np.random.Generator, shape: tuple, low: float, high: float) -> np.ndarray:
    """|x| ~ U(low, high) with a random sign: keeps inputs off the kink at 0 when low > 0."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def _weight(rng: np.random.Generator, shape: tuple, spec: dict) -> np.ndarray:
    """N(0, 1/fan_in), fan_in = the product of all but the last axis; the first spec['zero_weights'] are 0."""
    weight = rng.standard_normal(shape) / np.sqrt(np.prod(shape[:-1]))
    weight.ravel()[: spec.get("zero_weights", 0)] = 0.0  # L1 kink cases
    return weight


# draw rule (scratch.registry.Tensor.draw) -> values of that shape, in float64
DRAW_RULES = {
    "weight": _weight,
    "bias": lambda rng, shape, spec: signed_uniform(rng, shape, 0.05, 0.5),  # random, non-zero
    "slope": lambda rng, shape, spec: rng.uniform(0.05, 0.5, shape),  # PReLU's alpha
    "scale": lambda rng, shape, spec: rng.uniform(0.5, 1.5, shape),  # normalization gains
    "variance": lambda rng, shape, spec: rng.uniform(0.5, 2.0, shape),  # running variances: positive
}


def draw_params(layer_specs: list[dict], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every parameter, then every buffer, of each layer in order, by its record's draw rule."""
    params = {}
    for i, spec in enumerate(layer_specs):
        record = layer_type(spec["type"])
        for tensor in (*record.params_of(spec), *record.buffers_of(spec)):
            params[f"{i}.{tensor.name}"] = DRAW_RULES[tensor.draw](rng, tuple(tensor.shape(spec)), spec)
    return params


def initial_params(spec: dict, init: dict | None, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Harness default (random, non-zero biases), or a project's: weight_scale * N(0,1), zero biases."""
    params = draw_params(spec["layers"], rng)
    # {"legacy_seed": s}: every parameter in order from RandomState(s), i.e. np.random.seed(s) + randn
    # (seed 07); "fan_in": True divides the weights by sqrt(fan_in) (david-palma).
    if init and "legacy_seed" in init:
        legacy = np.random.RandomState(init["legacy_seed"])  # a local legacy stream, not the global one
        return {key: legacy.standard_normal(value.shape) for key, value in params.items()}
    if init:
        for key, value in params.items():
            if key.endswith(".weight"):
                scale = init["weight_scale"] / (np.sqrt(value.shape[0]) if init.get("fan_in") else 1.0)
                params[key] = scale * rng.standard_normal(value.shape)
            elif key.endswith(".bias") and init.get("bias") == "zeros":
                params[key] = np.zeros_like(value)
    return params
