"""Seed project 01/02: XOR with a 2-2-1 sigmoid MLP and MSE, full-batch SGD (CONVENTIONS 11)."""

from __future__ import annotations

from comparisons.projects.common import SGD_CONVENTIONS, training_cases

CASES = training_cases(
    "xor_mlp", "seed 01: XOR, 2-2-1 sigmoid MLP, MSE, SGD lr 0.1, full batch",
    layers=({"type": "dense", "units": 2}, {"type": "sigmoid"},
            {"type": "dense", "units": 1}, {"type": "sigmoid"}),
    loss="mse", data={"kind": "xor", "n_features": 2}, seed=42,
    optimizer={"name": "sgd", "hyper": {"lr": 0.1}, "scratch_conventions": SGD_CONVENTIONS},
    init={"weight_scale": 1.0, "bias": "zeros"}, epochs=10000, test_epochs=200,
)
