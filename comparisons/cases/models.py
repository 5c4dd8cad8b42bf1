"""Model cases: whole small networks compared pass by pass."""

from __future__ import annotations

from comparisons.core.case import Case

SPIRAL_MLP = (
    {"type": "dense", "units": 16},
    {"type": "relu"},
    {"type": "dense", "units": 3},
    {"type": "softmax"},
)
SPIRAL_DATA = {"kind": "spiral", "samples_per_class": 100, "classes": 3, "batch": 32, "n_features": 2}

CASES: tuple[Case, ...] = (
    Case(
        id="mlp_spiral_cce",
        suite="model",
        component="Dense(2,16)-ReLU-Dense(16,3)-Softmax + categorical cross-entropy",
        layers=SPIRAL_MLP,
        loss="categorical_crossentropy",
        data=SPIRAL_DATA,
        notes="backward from the loss; softmax + CCE take the fused path (p - onehot)/N",
    ),
    Case(
        id="mlp_spiral_vjp",
        suite="model",
        component="Dense(2,16)-ReLU-Dense(16,3)-Softmax, random upstream gradient",
        layers=SPIRAL_MLP,
        loss=None,
        data=SPIRAL_DATA,
        seed=1,
        notes="backward from a random upstream gradient: the standalone softmax VJP",
    ),
)
