"""Scratch initializers expressed with keras.initializers, and keras.layers.Dense's own defaults.

Keras's fans for an (in, out) kernel are fan_in = in, fan_out = out, the scratch layout. Its
variance-scaling normals (GlorotNormal, HeNormal, LecunNormal) draw a TRUNCATED normal (cut at
2 std, std divided by 0.8796 so the variance is still scale/fan); RandomNormal is a plain normal.
Every initializer gets seed=seed, so the draw is the same on every run.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

# Scratch initializer name -> f(seed, **scratch options) returning the Keras initializer.
INITIALIZERS = {
    "zeros": lambda seed, **o: keras.initializers.Zeros(),
    "constant": lambda seed, value=0.0: keras.initializers.Constant(value),
    "normal": lambda seed, mean=0.0, std=1.0: keras.initializers.RandomNormal(mean, std, seed=seed),
    "truncated_normal": lambda seed, mean=0.0, std=1.0: keras.initializers.TruncatedNormal(
        mean, std, seed=seed),
    "uniform": lambda seed, low=0.0, high=1.0: keras.initializers.RandomUniform(low, high, seed=seed),
    "glorot_normal": lambda seed, **o: keras.initializers.GlorotNormal(seed=seed),
    "glorot_uniform": lambda seed, **o: keras.initializers.GlorotUniform(seed=seed),
    "he_normal": lambda seed, **o: keras.initializers.HeNormal(seed=seed),
    "he_uniform": lambda seed, **o: keras.initializers.HeUniform(seed=seed),
    "lecun_normal": lambda seed, **o: keras.initializers.LecunNormal(seed=seed),
    "lecun_uniform": lambda seed, **o: keras.initializers.LecunUniform(seed=seed),
}


def draw(name: str, shape: tuple[int, ...], dtype: str, seed: int, **options) -> np.ndarray:
    """keras.initializers.<Class>(..., seed=seed)(shape, dtype) as a NumPy array."""
    if name not in INITIALIZERS:
        raise KeyError(f"tensorflow reference: unknown initializer {name!r}; known: {sorted(INITIALIZERS)}")
    return np.array(INITIALIZERS[name](seed, **options)(tuple(shape), dtype=dtype))


def _seeded(initializer: keras.initializers.Initializer, seed: int) -> keras.initializers.Initializer:
    """The same initializer class and config with seed=seed (Keras's own defaults are unseeded)."""
    config = initializer.get_config()
    return type(initializer).from_config({**config, "seed": seed} if "seed" in config else config)


def default_dense(n_inputs: int, n_outputs: int, dtype: str, seed: int) -> dict[str, np.ndarray]:
    """keras.layers.Dense's default kernel_initializer (glorot_uniform) and bias_initializer (zeros)."""
    layer = keras.layers.Dense(n_outputs, dtype=dtype)
    kernel = _seeded(layer.kernel_initializer, seed)((n_inputs, n_outputs), dtype=dtype)
    bias = _seeded(layer.bias_initializer, seed)((n_outputs,), dtype=dtype)
    return {"0.weight": np.array(kernel), "0.bias": np.array(bias)}
