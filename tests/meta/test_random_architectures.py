"""Randomized architectures (hypothesis, derandomized): scratch agrees with torch, TensorFlow and JAX.

Depth 1-4, widths 1-64, activations and losses from the tables, batch sizes including 1, both
dtypes. `make test` runs 200 examples; `make fuzz` runs more (NN_PARITY_FUZZ_EXAMPLES). JAX runs a
fifth of them: every random architecture is a new XLA program to compile (about 0.5 s on the CPU).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comparisons.core.case import Case
from comparisons.kinds.dispatch import compare_case

EXAMPLES = int(os.environ.get("NN_PARITY_FUZZ_EXAMPLES", "200"))
JAX_EXAMPLES = max(1, EXAMPLES // 5)
HIDDEN_ACTIVATIONS = (
    {"type": "sigmoid"}, {"type": "tanh"}, {"type": "relu"}, {"type": "leaky_relu", "alpha": 0.25},
    {"type": "elu", "alpha": 1.0}, {"type": "swish"}, {"type": "linear"},
)
# Output head and loss pairs whose formulas all three libraries share (no known difference).
HEADS = (
    ({"type": "softmax"}, "categorical_crossentropy", "sparse"),
    ({"type": "linear"}, "categorical_crossentropy_logits", "sparse"),
    ({"type": "sigmoid"}, "binary_crossentropy", "binary"),
    ({"type": "linear"}, "binary_crossentropy_logits", "binary"),
    ({"type": "linear"}, "mse", "regression"),
    ({"type": "tanh"}, "mae", "regression"),
    ({"type": "softmax"}, None, None),  # random upstream gradient through the standalone softmax
)


@st.composite
def architectures(draw) -> Case:
    """A random MLP case: Dense + activation blocks, then a head and its loss."""
    depth = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 64), min_size=depth, max_size=depth))
    head, loss, targets = draw(st.sampled_from(HEADS))
    if loss in ("categorical_crossentropy", "categorical_crossentropy_logits") or head["type"] == "softmax":
        widths[-1] = max(widths[-1], 2)  # a class dimension
    if targets == "binary":
        widths[-1] = 1
    layers = []
    for i, width in enumerate(widths):
        layers.append({"type": "dense", "units": width})
        layers.append(draw(st.sampled_from(HIDDEN_ACTIVATIONS)) if i < depth - 1 else head)
    batch = draw(st.sampled_from((1, 2, 7, 32)))
    features = draw(st.integers(1, 16))
    data = {"kind": "signed_uniform", "batch": batch, "n_features": features, "low": 0.1, "high": 2.0,
            "targets": targets or "sparse", "target_width": widths[-1]}
    return Case(id="fuzz", suite="fuzz", component="random MLP", layers=tuple(layers), loss=loss,
                data=data, seed=draw(st.integers(0, 2**16)))


@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=architectures(), dtype=st.sampled_from(("float32", "float64")))
def test_random_architecture_agrees(framework, case, dtype):
    _agrees(framework, case, dtype)


@settings(max_examples=JAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=architectures(), dtype=st.sampled_from(("float32", "float64")))
def test_random_architecture_agrees_with_jax(case, dtype):
    _agrees("jax", case, dtype)


def _agrees(framework: str, case: Case, dtype: str) -> None:
    outcome = compare_case(case, framework, dtype)
    if outcome.rows[0]["status"] == "skipped":
        pytest.skip(outcome.rows[0]["reason"])
    spec = [layer["type"] + str(layer.get("units", "")) for layer in case.layers]
    assert not outcome.failures, f"{spec} loss={case.loss} batch={case.data['batch']}\n" + "\n".join(
        outcome.failures)
