"""Scratch components expressed with Keras 3 (TensorFlow backend) layers and losses."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

# Activation kind -> factory of the Keras layer that computes it.
ACTIVATIONS = {
    "relu": lambda spec, dtype: keras.layers.ReLU(dtype=dtype),
    "softmax": lambda spec, dtype: keras.layers.Softmax(axis=-1, dtype=dtype),
}


def sparse_crossentropy_from_logits(dtype: str) -> keras.losses.Loss:
    """mean_n -log softmax(z)[n, y_n]: keras SparseCategoricalCrossentropy(from_logits=True)."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype=dtype)


# Loss kind -> factory(dtype) of a Keras loss called as loss(target, pred).
LOSSES = {
    "categorical_crossentropy": sparse_crossentropy_from_logits,
}


def build_layer(spec: dict, dtype: str) -> keras.layers.Layer:
    """One Keras layer from a plain layer spec, built for its input width."""
    kind = spec["type"]
    if kind == "dense":
        layer = keras.layers.Dense(spec["units"], dtype=dtype)
        layer.build((None, spec["n_inputs"]))
        return layer
    if kind in ACTIVATIONS:
        return ACTIVATIONS[kind](spec, dtype)
    raise KeyError(
        f"tensorflow reference: unknown layer type {kind!r}; known: dense, {sorted(ACTIVATIONS)}"
    )


def build_layers(layer_specs: list[dict], dtype: str) -> list[keras.layers.Layer]:
    """The Keras layers of a Sequential spec, in order."""
    return [build_layer(spec, dtype) for spec in layer_specs]
