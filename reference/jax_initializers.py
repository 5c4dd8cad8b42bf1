"""Scratch initializers expressed with jax.nn.initializers, keyed by jax.random.key(seed).

Shapes are the scratch layout (in, out), which is JAX's own (in_axis -2, out_axis -1): fan_in = in,
fan_out = out. Like Keras, JAX's glorot/he/lecun normals draw a TRUNCATED normal (cut at 2 std, std
divided by 0.8796); normal and uniform have no mean or lower bound, so those are added to the draw.
JAX has no Dense layer without flax, hence no default Dense initialization (docs/conventions.md §16).
"""

from __future__ import annotations

import jax
import numpy as np
from jax.nn import initializers

# Scratch initializer name -> f(**scratch options) returning the jax.nn.initializers function and an offset.
INITIALIZERS = {
    "zeros": lambda **o: (initializers.zeros, 0.0),
    "constant": lambda value=0.0: (initializers.constant(value), 0.0),
    "normal": lambda mean=0.0, std=1.0: (initializers.normal(std), mean),
    "truncated_normal": lambda mean=0.0, std=1.0: (initializers.truncated_normal(std), mean),
    "uniform": lambda low=0.0, high=1.0: (initializers.uniform(high - low), low),  # U[0, scale) + low
    "glorot_normal": lambda **o: (initializers.glorot_normal(), 0.0),
    "glorot_uniform": lambda **o: (initializers.glorot_uniform(), 0.0),
    "he_normal": lambda **o: (initializers.he_normal(), 0.0),
    "he_uniform": lambda **o: (initializers.he_uniform(), 0.0),
    "lecun_normal": lambda **o: (initializers.lecun_normal(), 0.0),
    "lecun_uniform": lambda **o: (initializers.lecun_uniform(), 0.0),
}


def draw(name: str, shape: tuple[int, ...], dtype: str, seed: int, **options) -> np.ndarray:
    """jax.nn.initializers.<name>(...)(jax.random.key(seed), shape, dtype) (+ mean or low) as NumPy."""
    if name not in INITIALIZERS:
        raise KeyError(f"jax reference: unknown initializer {name!r}; known: {sorted(INITIALIZERS)}")
    initializer, offset = INITIALIZERS[name](**options)
    return np.asarray(initializer(jax.random.key(seed), tuple(shape), dtype) + offset)
