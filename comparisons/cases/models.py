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
    Case(
        id="mlp_relu_mse",
        suite="model",
        component="Dense(3,8)-ReLU-Dense(8,2) + MSE, float64",
        layers=({"type": "dense", "units": 8}, {"type": "relu"}, {"type": "dense", "units": 2}),
        loss="mse",
        data={"kind": "signed_uniform", "batch": 8, "n_features": 3, "low": 0.1, "high": 2.0,
              "targets": "regression", "target_width": 2},
        seed=2,
        dtypes=("float64",),
        notes="the shape of micrograd's MLP (ReLU hidden layer, linear last layer) with a loss built from "
              "+ and *: runs on scalar engines (--impl micrograd:...) as on scratch; float64 only, as they "
              "compute in Python floats",
    ),
)
