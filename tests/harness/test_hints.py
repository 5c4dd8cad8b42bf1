"""Diagnosis hints of failed rows (comparisons/core/hints.py): planted arrays; no hint without evidence."""

import numpy as np
import pytest

from comparisons.adapters import scratch_adapter
from comparisons.cases import case_by_id
from comparisons.core.case import Case
from comparisons.core.hints import add_step_hints, array_hint, case_factors, convention_hint, step_hint
from comparisons.core.known_differences import KnownDifference
from comparisons.core.rows import CaseOutcome, CaseRun, failure_message, make_row
from comparisons.kinds.dispatch import compare_case

ATOL, RTOL = 1e-6, 1e-5  # the float32 forward tolerance's size
BASE = {"case": "c", "suite": "layer", "component": "x", "implementation": "scratch", "framework": "torch",
        "dtype": "float64", "seed": 0, "step": 0, "framework_version": "", "expected_divergence": ""}


def reference(shape=(6, 5), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def hint(a, r, case=None) -> str:
    return array_hint(a, r, ATOL, RTOL, case)


def test_flipped_sign_is_named():
    r = reference()
    assert hint(-r, r) == "sign flipped: a ~ -r for every element"
    assert hint(np.array(-2.5), np.array(2.5)).startswith("sign flipped")  # a scalar loss too


def test_transposed_square_tensor_is_named_and_a_non_square_one_is_not_tried():
    r = reference((4, 4))
    assert hint(r.T, r) == "transposed: a.T ~ r"
    wide = reference((3, 4))
    assert hint(wide.T, wide) == "transposed: a.T ~ r (shapes (4, 3) and (3, 4))"  # a shape mismatch
    assert hint(wide[:, ::-1], wide) == ""


@pytest.mark.parametrize(("factor", "name"), [(2.0, "= 2"), (0.5, "= 1/2"), (32.0, "N=32"),
                                              (1 / 32, "1/N (N=32)"), (1 / 0.7, "1/(1-p) (p=0.3)")])
def test_constant_scale_is_named_from_the_case(factor, name):
    case = Case(id="c", suite="layer", component="x", layers=({"type": "dropout", "rate": 0.3},), loss=None,
                data={"batch": 32})
    r = reference()
    found = hint(factor * r, r, case)
    assert found.startswith("scaled: a ~ c*r with one c = ") and name in found


def test_learning_rate_factor_is_named_for_an_optimizer_case():
    case = Case(id="o", suite="optimizer", component="x", layers=(), loss=None, data={}, kind="optimizer",
                options={"optimizer": "sgd", "hyper": {"lr": 0.0625}})
    assert "lr=0.0625" in case_factors(case)
    r = reference()
    assert "(= lr=0.0625)" in hint(0.0625 * r, r, case)


def test_a_scale_no_named_factor_equals_is_reported_with_its_value_only():
    r = reference()
    assert hint(3.0 * r, r) == "scaled: a ~ c*r with one c = 3 for every element"


def test_scale_on_one_element_or_a_constant_offset_is_no_evidence():
    assert hint(np.array([3.0]), np.array([1.0])) == ""  # one pair fits any factor
    r = np.full(5, 2.0)
    assert hint(2 * r, r) == ""  # a constant tensor: an offset fits as well as a scale
    noisy = reference()
    assert hint(2 * noisy + 1e-3 * reference(seed=1), noisy) == ""  # the worst element does not agree scaled


@pytest.mark.parametrize("seed", range(20))
def test_random_unrelated_differences_give_no_hint(seed):
    rng = np.random.default_rng(seed)
    shape = [(4, 4), (8, 3), (7,), (2, 3, 4)][seed % 4]
    r = rng.standard_normal(shape)
    noise = rng.standard_normal(shape)
    for a in (r + noise, rng.standard_normal(shape), r + 1e-3 * noise):
        assert hint(a, r) == ""


def test_step_early_and_late_against_the_neighbouring_steps():
    steps = {s: reference(seed=s) for s in range(5)}
    assert step_hint(steps[1], steps, 2, ATOL, RTOL) == "one step late: a at step 2 ~ r at step 1"
    assert step_hint(steps[3], steps, 2, ATOL, RTOL) == "one step early: a at step 2 ~ r at step 3"
    assert step_hint(steps[4], steps, 2, ATOL, RTOL) == ""  # two steps away is not named
    assert step_hint(steps[1], {**steps, 3: steps[1]}, 2, ATOL, RTOL) == ""  # both neighbours: not clear


def test_add_step_hints_sets_only_failed_rows_without_a_hint():
    reference_steps = [{"w": reference(seed=s)} for s in range(4)]
    mine = [reference_steps[k] for k in (0, 1, 1, 2)]  # late from step 2 on
    rows = [make_row({**BASE, "step": s}, "param_after_step", "w", mine[s]["w"], reference_steps[s]["w"])
            for s in range(1, 4)]
    add_step_hints(rows, mine, reference_steps)
    assert [r["hint"] for r in rows] == ["", "one step late: a at step 2 ~ r at step 1",
                                         "one step late: a at step 3 ~ r at step 2"]


def test_make_row_fills_hint_for_failed_rows_only_and_the_failure_message_shows_it():
    r = reference()
    passed = make_row(BASE, "output", "0.dense", r, r)
    failed = make_row(BASE, "output", "0.dense", -r, r)
    assert passed["hint"] == "" and failed["hint"].startswith("sign flipped")
    assert "  hint: sign flipped" in failure_message(failed, "pytest ...")
    assert "hint" not in failure_message(passed, "pytest ...")


def test_a_row_over_its_known_differences_bound_names_the_entry():
    entry = KnownDifference("c", "torch", "*", "output", "*", "why", 1e-3)
    r = reference()
    row = make_row(BASE, "output", "0.dense", r + 0.5, r)
    assert convention_hint(row, [entry]) == ("matches known difference c|torch|*|output|* but |a - r| = 0.5 "
                                             "exceeds its bound 0.001")
    other = KnownDifference("d*", "*", "*", "*", "*", "why", 1.0)
    assert convention_hint(row, [other]) == ""


def test_a_case_with_its_own_convention_options_names_them():
    case = Case(id="o", suite="optimizer", component="x", layers=(), loss=None, data={}, kind="optimizer",
                options={"scratch_conventions": {"momentum_form": "torch"}})
    assert convention_hint({}, [], case) == ("the case runs the implementation with convention option(s) "
                                             "momentum_form='torch' (docs/conventions.md §6)")
    case = Case(id="o", suite="optimizer", component="x", layers=(), loss=None, data={},
                options={"scratch_conventions": {}})
    assert convention_hint({}, [], case) == ""


def test_finish_adds_the_known_difference_hint_to_a_failed_row():
    case = Case(id="act_relu_normal", suite="activation", component="x", layers=({"type": "relu"},),
                loss=None, data={"batch": 6})
    run = CaseRun(case, "torch", "float64", known=[KnownDifference(case.id, "*", "*", "*", "*", "why", 1e-9)])
    r = reference()
    outcome = run.finish(CaseOutcome([run.row("output", "0.relu", r + 1.0, r)]))
    assert outcome.rows[0]["status"] == "failed"
    assert outcome.rows[0]["hint"].startswith(f"matches known difference {case.id}|")
    assert "hint: matches known difference" in outcome.failures[0]


def test_an_optimizer_one_step_late_is_named_on_its_rows(monkeypatch):
    honest = scratch_adapter.run_optimizer

    def late(spec, params, grads):  # a planted bug: every state reported one step after it was reached
        history = honest(spec, params, grads)
        return [history[0], *history[:-1]]

    monkeypatch.setattr(scratch_adapter, "run_optimizer", late)
    outcome = compare_case(case_by_id("opt_adam"), "torch", "float64")
    failed = [r for r in outcome.rows if r["status"] == "failed"]
    assert failed and all(r["hint"] == f"one step late: a at step {r['step']} ~ r at step {r['step'] - 1}"
                          for r in failed)
    assert "hint: one step late: a at step 1 ~ r at step 0" in outcome.failures[0]


def test_a_perceptron_one_epoch_early_is_named_on_its_rows(monkeypatch):
    honest = scratch_adapter.run_perceptron

    def early(spec, x, y, params):  # a planted bug: each epoch reports the state of the epoch after it
        history = honest(spec, x, y, params)
        return [*history[1:], history[-1]]

    monkeypatch.setattr(scratch_adapter, "run_perceptron", early)
    outcome = compare_case(case_by_id("perceptron_iris"), "sklearn", "float64")
    failed = [r for r in outcome.rows if r["status"] == "failed"]
    assert failed, "the shifted epochs must fail"
    named = {f"one step early: a at step {r['step']} ~ r at step {r['step'] + 1}" for r in failed}
    assert {r["hint"] for r in failed} <= named | {""}, "the last epoch has no later one to agree with"
    assert any(r["hint"].startswith("one step early") for r in failed)
