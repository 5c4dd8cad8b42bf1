"""Negative-control cases: a deliberately wrong scratch variant each, and where it must first diverge.

case.options = {"scratch_variant": name in comparisons.negative_controls.VARIANTS,
                "expected_divergence": {"quantity": ..., "tensor": ...}}: the first row (in the
runner's order) that must fail. Without the variant every case here passes.
"""

from __future__ import annotations

from comparisons.cases.models import SPIRAL_DATA, SPIRAL_MLP
from comparisons.core.case import Case

SUITE = "negative_control"
PREFIX = "neg_"  # no known_differences.csv case_pattern may match a negative-control id

XOR_DATA = {"kind": "xor", "batch": 4, "n_features": 2}
SIGMOID_2_2_1 = ({"type": "dense", "units": 2}, {"type": "sigmoid"},
                 {"type": "dense", "units": 1}, {"type": "sigmoid"})
SIGMOID_2_4_1_DROPOUT = ({"type": "dense", "units": 4}, {"type": "sigmoid"},
                         {"type": "dropout", "rate": 0.5},
                         {"type": "dense", "units": 1}, {"type": "sigmoid"})


def expected_divergence(case: Case) -> tuple[str, str]:
    """(quantity, tensor) of the row where the harness must first see the planted bug."""
    expected = case.options["expected_divergence"]
    return expected["quantity"], expected["tensor"]


def negative_control(name: str, variant: str, fault: str, expected: tuple[str, str], **case) -> Case:
    """A negative-control Case; the component text names the planted fault and the expected divergence."""
    quantity, tensor = expected
    return Case(id=f"{PREFIX}{name}", suite=SUITE,
                component=f"{fault} [expected first divergence: {quantity} '{tensor}']",
                options={"scratch_variant": variant,
                         "expected_divergence": {"quantity": quantity, "tensor": tensor}},
                **case)


NEGATIVE_CONTROL_CASES: tuple[Case, ...] = (
    negative_control(
        "mse_grad_without_mean", "mse_gradient_without_mean",
        "MSE gradient 2(y_hat - y) without 1/N (seed projects 02/04/09), 2-2-1 sigmoid on XOR",
        ("grad_activation", "loss"),
        layers=SIGMOID_2_2_1, loss="mse", data=XOR_DATA,
        notes="the loss value is the mean and agrees; dL/dy_hat (the loss gradient row) is N = 4 times "
              "too large, blamed on the loss by the backward rule",
    ),
    negative_control(
        "dropout_backward_project09", "project09_dropout_backward",
        "seed project 09 dropout backward: mask without 1/(1-p), sigmoid' of the dropped, rescaled "
        "activation; 2-4-1 sigmoid, Dropout(0.5), MSE on XOR",
        ("grad_activation", "2.dropout"),
        layers=SIGMOID_2_4_1_DROPOUT, loss="mse", data=XOR_DATA,
        notes="shared mask: forward, loss, dW2 and db2 agree; the dropout's input gradient is half the "
              "right one and dW1, db1 are off (docs/conventions.md §11)",
    ),
    negative_control(
        "mae_grad_sign", "mae_gradient_wrong_sign",
        "MAE gradient sign(y - y_hat)/(Nk), the wrong sign (nnfs, docs/conventions.md §3)",
        ("grad_input", "input"),
        layers=(), loss="mae",
        data={"kind": "loss", "batch": 8, "n_features": 4, "predictions": "values",
              "targets": "regression", "saturated": False},
        notes="a loss alone: its input gradient is dL/dy_hat, exactly -1 times the frameworks'",
    ),
    negative_control(
        "dense_l1_subgradient_nnfs", "l1_subgradient_one_at_zero",
        "Dense(5,4) L1 subgradient +1 at W = 0 (nnfs) against sign(0) = 0 (torch, Keras)",
        ("grad_param", "0.weight"),
        layers=({"type": "dense", "units": 4, "weight_l1": 0.125, "zero_weights": 6,
                 "l1_zero_subgradient": 0.0},),
        loss=None, frameworks=("torch", "tensorflow"),  # JAX's |w|' is +1 at 0: the next control
        data={"kind": "signed_uniform", "batch": 8, "n_features": 5, "low": 0.1, "high": 2.0},
        notes="unbroken scratch is told l1_zero_subgradient=0.0 and passes; the variant puts nnfs's "
              "+1 back: dW is off by l1 = 0.125 at the 6 zero weights. Not a known difference here",
    ),
    negative_control(
        "dense_l1_subgradient_sign0", "l1_subgradient_zero_at_zero",
        "Dense(5,4) L1 subgradient sign(0) = 0 at W = 0 against JAX's +1 (lax.abs's derivative at 0)",
        ("grad_param", "0.weight"),
        layers=({"type": "dense", "units": 4, "weight_l1": 0.125, "zero_weights": 6,
                 "l1_zero_subgradient": 1.0},),
        loss=None, frameworks=("jax",),
        data={"kind": "signed_uniform", "batch": 8, "n_features": 5, "low": 0.1, "high": 2.0},
        notes="the mirror of neg_dense_l1_subgradient_nnfs for a framework whose |w|' is +1 at 0: "
              "unbroken scratch is told l1_zero_subgradient=1.0 and passes; the variant takes sign(0) = 0",
    ),
    negative_control(
        "softmax_backward_diagonal", "softmax_backward_diagonal",
        "softmax backward s(1-s)*g elementwise instead of the Jacobian-vector product; "
        "Dense-ReLU-Dense-Softmax, random upstream gradient",
        ("grad_activation", "3.softmax"),
        layers=SPIRAL_MLP, loss=None, data=SPIRAL_DATA, seed=1,
        notes="with a random upstream gradient (not ones, not the fused CCE path) the missing "
              "-s_i s_j terms show",
    ),
    negative_control(
        "sigmoid_derivative_of_preactivation", "sigmoid_derivative_of_preactivation",
        "sigmoid derivative z(1-z) on the pre-activation z instead of s(1-s); "
        "Dense(2,3)-Sigmoid-Dense(3,1), MSE on XOR",
        ("grad_activation", "1.sigmoid"),
        layers=({"type": "dense", "units": 3}, {"type": "sigmoid"}, {"type": "dense", "units": 1}),
        loss="mse", data=XOR_DATA,
        notes="the output layer's gradients agree; the hidden sigmoid's input gradient is the first "
              "to diverge",
    ),
    negative_control(
        "bias_gradient_mean", "bias_gradient_mean",
        "Dense bias gradient mean over the batch instead of the sum; Dense-ReLU-Dense-Softmax + CCE",
        ("grad_param", "2.bias"),
        layers=SPIRAL_MLP, loss="categorical_crossentropy", data=SPIRAL_DATA,
        notes="every input gradient agrees (db does not flow back); each db is 1/N = 1/32 of the "
              "right one",
    ),
)


def control_problem(case: Case, outcome, framework: str, dtype: str) -> str | None:
    """None when the control was caught at its expected first divergence; otherwise what went wrong."""
    expected = expected_divergence(case)
    label = (f"[{case.id}] {framework} {dtype}: negative control (scratch variant "
             f"{case.options['scratch_variant']!r})")
    first = outcome.first_divergence
    if first is None:
        return (f"{label} NOT caught: all {len(outcome.rows)} compared tensors agreed; expected the first "
                f"divergence at {expected[0]} '{expected[1]}'")
    found = (first["quantity"], first["tensor"])
    if found != expected:
        return (f"{label} caught at the wrong place: first divergence {found[0]} '{found[1]}' "
                f"({first['status']}), expected {expected[0]} '{expected[1]}'\n{outcome.failures[0]}")
    return None
