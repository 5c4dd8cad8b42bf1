"""The nnfs book's spiral experiments (CONVENTIONS 12): ch. 10 so far."""

from __future__ import annotations

from comparisons.projects.common import ADAM_CONVENTIONS, training_cases

CASES = training_cases(
    "nnfs_ch10_spiral_adam",
    "nnfs ch.10: spiral(100, 3), 2-64-3 ReLU, softmax + CCE, Adam(0.05, decay 5e-7)",
    layers=({"type": "dense", "units": 64}, {"type": "relu"},
            {"type": "dense", "units": 3}, {"type": "softmax"}),
    loss="categorical_crossentropy",
    data={"kind": "spiral", "samples_per_class": 100, "classes": 3, "n_features": 2}, seed=0,
    optimizer={"name": "adam", "hyper": {"lr": 0.05, "decay": 5e-7, "epsilon": 1e-7},
               "scratch_conventions": ADAM_CONVENTIONS},
    init={"weight_scale": 0.01, "bias": "zeros"}, epochs=2000, test_epochs=30,
)
