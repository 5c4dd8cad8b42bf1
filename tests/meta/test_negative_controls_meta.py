"""Meta-tests: every negative control fails the harness at its expected first divergence; unbroken passes."""

import dataclasses
from fnmatch import fnmatchcase

import numpy as np
import pytest

from comparisons.adapters import frameworks_for
from comparisons.adapters.variants import VARIANTS, apply_variant
from comparisons.cases import all_cases, case_by_id
from comparisons.cases.negative_controls import (
    NEGATIVE_CONTROL_CASES,
    PREFIX,
    SUITE,
    control_problem,
    expected_divergence,
)
from comparisons.core.known_differences import load_known_differences
from comparisons.kinds.dispatch import compare_case
from scratch.activations import sigmoid
from scratch.layers import Dense, Dropout
from scratch.losses import MeanSquaredError
from scratch.model import Sequential
from scratch.registry import build_layer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
FRAMEWORK, DTYPE = "torch", "float64"  # or the first framework a control names
FORWARD = ("param_copy", "activation", "output", "loss")
# every control: the MLP ones of negative_controls.py and each layer family's (cases/pooling.py, ...)
CONTROLS = tuple(case for case in all_cases() if case.suite == SUITE)
CONTROL_IDS = [case.id for case in CONTROLS]


def _framework(case) -> str:
    return FRAMEWORK if FRAMEWORK in frameworks_for(case) else frameworks_for(case)[0]


def _outcome(case):
    outcome = compare_case(case, _framework(case), DTYPE, load_known_differences())
    if outcome.rows[0]["status"] == "skipped":
        pytest.skip(outcome.rows[0]["reason"])
    return outcome


@pytest.mark.parametrize("case", CONTROLS, ids=CONTROL_IDS)
def test_control_is_caught_at_its_expected_first_divergence(case):
    outcome = _outcome(case)
    first = outcome.first_divergence
    assert first is not None, f"{case.id}: the planted bug was not detected"
    assert first["status"] == "failed"
    assert (first["quantity"], first["tensor"]) == expected_divergence(case)
    assert control_problem(case, outcome, _framework(case), DTYPE) is None
    assert f'-k "{case.id}-{_framework(case)}-{DTYPE}"' in outcome.failures[0], "no rerun command"
    # A planted bug in a backward formula leaves the copy and the whole forward pass agreeing; one in a
    # forward formula (flatten in the wrong order) leaves every row before it agreeing.
    if expected_divergence(case)[0] in FORWARD:
        assert all(r["status"] == "passed" for r in outcome.rows[:outcome.rows.index(first)])
    else:
        assert all(r["status"] == "passed" for r in outcome.rows if r["quantity"] in FORWARD)


@pytest.mark.parametrize("case", CONTROLS, ids=CONTROL_IDS)
def test_unbroken_scratch_passes_the_same_case(case):
    outcome = _outcome(dataclasses.replace(case, options={}))
    assert outcome.first_divergence is None, outcome.failures
    assert {r["status"] for r in outcome.rows} == {"passed"}


def test_project09_control_leaves_the_output_layer_gradients_right():
    """docs/conventions.md §11: with a shared mask dW2 matches and dW1 is off."""
    statuses = {(r["quantity"], r["tensor"]): r["status"]
                for r in _outcome(case_by_id("neg_dropout_backward_project09")).rows}
    assert statuses[("grad_param", "3.weight")] == statuses[("grad_param", "3.bias")] == "passed"
    assert statuses[("grad_param", "0.weight")] == statuses[("grad_param", "0.bias")] == "failed"


def test_project09_variant_computes_the_seed_projects_backward():
    """The variant's dW1, db1 equal seed project 09's NumPy lines (with the mean MSE's 1/N kept)."""
    rng = np.random.default_rng(9)
    x, y = rng.standard_normal((4, 2)), rng.integers(0, 2, (4, 1)).astype(float)
    mask, rate = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 1, 1]]), 0.5
    w1, b1, w2, b2 = (rng.standard_normal(s) for s in ((2, 4), (4,), (4, 1), (1,)))
    model = Sequential([Dense(2, 4, w1, b1), build_layer({"type": "sigmoid"}), Dropout(rate),
                        Dense(4, 1, w2, b2), build_layer({"type": "sigmoid"})], loss=MeanSquaredError())
    apply_variant(model, "project09_dropout_backward")
    model.layers[2].set_mask(mask)
    model.forward(x, training=True)
    model.backward_from_loss(y)
    a1 = sigmoid(x @ w1 + b1) * mask / (1.0 - rate)  # the seed: a1 *= mask; a1 /= 1 - p
    a2 = sigmoid(a1 @ w2 + b2)
    dz2 = 2 * (a2 - y) / len(x) * a2 * (1 - a2)
    dz1 = (dz2 @ w2.T) * mask * a1 * (1 - a1)  # dL_da1 *= mask; sigmoid_derivative(a1)
    grads = model.get_grads()
    np.testing.assert_allclose(grads["0.weight"], x.T @ dz1, rtol=1e-13)
    np.testing.assert_allclose(grads["0.bias"], dz1.sum(axis=0), rtol=1e-13)
    np.testing.assert_allclose(grads["3.weight"], a1.T @ dz2, rtol=1e-13)


def test_every_control_plants_a_known_variant_and_ids_are_prefixed():
    assert {c.options["scratch_variant"] for c in CONTROLS} <= set(VARIANTS)  # the rest: the catalogue
    assert all(c.id.startswith(PREFIX) for c in CONTROLS)
    assert all(c in CONTROLS for c in NEGATIVE_CONTROL_CASES)
    assert len(set(CONTROL_IDS)) == len(CONTROL_IDS)


def test_no_known_difference_can_swallow_a_negative_control():
    swallowing = [(entry.key, case.id) for entry in load_known_differences()
                  for case in CONTROLS if fnmatchcase(case.id, entry.case_pattern)]
    assert not swallowing, f"known_differences.csv entries match negative controls: {swallowing}"


def test_pass_driver_leaves_the_negative_controls_to_their_own_driver():
    from comparisons.test_passes import PASS_CASES

    assert not [c.id for c in PASS_CASES if c.suite == SUITE]


def test_an_unknown_or_unfitting_variant_is_a_clear_error():
    model = Sequential([Dense(2, 3)], loss=MeanSquaredError())
    with pytest.raises(KeyError, match="unknown scratch variant 'nope'; known: mse_gradient"):
        apply_variant(model, "nope")
    with pytest.raises(ValueError, match="'softmax_backward_diagonal' found nothing to patch"):
        apply_variant(model, "softmax_backward_diagonal")


def test_a_missed_or_misplaced_control_gets_a_clear_message():
    from comparisons.core.rows import CaseOutcome

    case = case_by_id("neg_dropout_backward_project09")
    passed = [{"quantity": "output", "tensor": "output", "status": "passed"}]
    missed = control_problem(case, CaseOutcome(passed), FRAMEWORK, DTYPE)
    assert "NOT caught" in missed and "grad_activation '2.dropout'" in missed
    elsewhere = {"quantity": "grad_param", "tensor": "0.weight", "status": "failed"}
    misplaced = control_problem(case, CaseOutcome([elsewhere], elsewhere, ["<failure>"]), FRAMEWORK, DTYPE)
    assert "wrong place: first divergence grad_param '0.weight'" in misplaced and "<failure>" in misplaced
