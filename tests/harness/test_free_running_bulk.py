"""The bulk rule of free runs (comparisons/kinds/chaos.py, docs/conventions.md §9): a tensor whose median
element is off by more than BULK_K x the median |impl - shadow| fails, a few flipped elements do not, and
chaos_ratio reads the training state, not the loss value."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from comparisons.cases import case_by_id
from comparisons.core.tolerances import Tolerance
from comparisons.kinds import chaos
from comparisons.kinds.dispatch import compare_case
from comparisons.kinds.step_state import Layout, Segments

TOL = Tolerance(1e-5, 1.3e-6, "float32 step")
KEY = ("param_after_step", "0.weight")


def shadow_with(mine: np.ndarray, framework: np.ndarray, shadow: np.ndarray, loss=(0.5, 0.5)) -> chaos.Shadow:
    """A Shadow after one step whose implementation, shadow and framework gave these tensors (each side's
    parameters were zero before it, so its update is the tensor too)."""
    state = object.__new__(chaos.Shadow)
    state.tol, state.baseline, state.bulk_baseline, state.bulk_open = TOL, {}, {}, {}
    results = {side: {"loss": np.float32(value), "params": {KEY[1]: tensor}}
               for side, tensor, value in (("mine", mine, loss[0]), ("shadow", shadow, loss[0]),
                                           ("framework", framework, loss[1]))}
    layout = Layout(results["framework"])
    vectors = {side: layout.state.flatten(result, side) for side, result in results.items()}
    state.observe(layout, results, vectors, {side: np.zeros(mine.size) for side in results})
    return state


def judged(state: chaos.Shadow) -> str:
    """The status of the rejudged param_after_step row of that step."""
    row = {name: "x" for name in ("case", "suite", "component", "implementation", "framework",
                                  "framework_version", "expected_divergence")}
    row.update(dtype="float32", seed=0, step=1, quantity=KEY[0], tensor=KEY[1])
    return state.rejudge([row])[0]["status"]


def passes(state: chaos.Shadow) -> bool:
    """The trajectory row's verdict of that step."""
    return chaos.step_passes(state.trajectory_columns())


@pytest.fixture
def weights() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(16, 8)).astype(np.float32)


def test_every_element_off_by_a_few_percent_fails_the_bulk_rule(weights):
    shadow = weights * np.float32(1 + 1e-7)  # the shadow: rounding-level differences everywhere
    state = shadow_with(weights, weights * np.float32(1.03), shadow)
    assert state.bulk_ratios[KEY] > chaos.BULK_K and state.chaos_ratio < chaos.K  # K alone lets it pass
    assert judged(state) == "failed"
    assert "bulk off" in state.allowance(*KEY).reason
    assert not passes(state)


def test_a_few_flipped_elements_pass(weights):
    shadow = weights * np.float32(1 + 1e-7)
    framework = weights.copy()
    framework.flat[:3] += 0.1  # three near-tie elements went the other way: large, but few
    shadow.flat[:3] += 0.05  # the shadow saw such flips too (its max gap sets the chaos baseline)
    state = shadow_with(weights, framework, shadow)
    assert state.bulk_ratios[KEY] == 0.0 and state.chaos_ratio <= chaos.K
    assert judged(state) == "passed"
    assert passes(state)


def test_bulk_off_as_far_as_the_shadow_median_passes(weights):
    shadow = weights + np.float32(4e-6)  # the shadow's median element moved, within the tolerance
    state = shadow_with(weights, weights + np.float32(2e-5), shadow)  # the framework's: 2.5x that, beyond it
    assert 0 < state.bulk_ratios[KEY] <= chaos.BULK_K and judged(state) == "passed"


def test_once_the_shadow_bulk_left_the_tolerance_only_k_judges(weights):
    shadow = weights * np.float32(1.01)  # chaos has reached the bulk: the median no longer tells
    state = shadow_with(weights, weights * np.float32(0.9), shadow)
    assert state.bulk_open == {KEY: False} and state.bulk_ratios[KEY] == 0.0
    assert judged(state) == "passed" and "chaos allowance" in state.allowance(*KEY).reason
def test_chaos_ratio_ignores_the_loss_value_as_the_horizons_do(weights):
    state = shadow_with(weights, weights.copy(), weights.copy(), loss=(0.5, 0.6))
    assert state.chaos_ratio == 0.0 and state.trajectory_columns()["bulk_ratio"] == 0.0


@pytest.mark.parametrize("variant, case_id", [
    ("adam_without_bias_correction", "proj_nnfs_ch10_spiral_adam_free"),
    ("l2_gradient_without_two", "proj_nnfs_ch14_spiral_l2_adam_free")])
def test_the_float32_free_runs_catch_the_planted_bugs_k_alone_missed(variant, case_id):
    pytest.importorskip("torch")
    case = case_by_id(case_id)
    planted = dataclasses.replace(case, options={**case.options, "scratch_variant": variant})
    outcome = compare_case(planted, "torch", "float32")
    assert all(row["chaos_ratio"] <= chaos.K for row in outcome.trajectory)  # invisible to K x baseline
    first = outcome.first_divergence
    assert first is not None and "bulk off" in first["reason"], outcome.failures[:1]
    assert max(row["bulk_ratio"] for row in outcome.trajectory) > chaos.BULK_K
    correct = compare_case(case, "torch", "float32")
    assert correct.first_divergence is None, correct.failures[:1]
    assert max(row["bulk_ratio"] for row in correct.trajectory) <= chaos.BULK_K


@pytest.mark.parametrize("sizes", [[1, 2, 3, 4, 7, 64, 129, 4096, 0, 5],  # a partition per tensor
                                   [1, 2, 3, 4, 7, 64, 129, 8, 0, 5]])  # few elements: one sort of all
def test_the_medians_of_several_tensors_are_numpys_median_bit_for_bit(sizes):
    rng = np.random.default_rng(3)
    for kind in range(6):
        tensors = []
        for size in sizes:
            zeros = rng.choice([0.0, -0.0, 1.0, -1.0], size)  # signed zeros: np.median's mean gives +0.0
            tensors.append((rng.standard_normal(size), rng.standard_normal(size) * 1e-300,
                            np.round(rng.standard_normal(size), 1), np.full(size, 0.1), np.full(size, -0.0),
                            zeros)[kind])
        tensors[2][1] = np.nan  # a NaN: np.median's NaN
        tensors[9][[0, 4]] = (-np.inf, np.inf)  # infinities sort to the ends
        tensors[1][:] = (np.inf, -np.inf)  # both infinities in the middle: (-inf + inf) / 2 is NaN
        places = [("param_after_step", "params", str(i)) for i in range(len(sizes))]
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # np.median of nothing warns
            segments = Segments(places, [(size,) for size in sizes])
            medians = segments.medians(np.concatenate(tensors))
            expected = [float(np.median(tensor)) for tensor in tensors]
        assert [float(m).hex() for m in medians] == [e.hex() for e in expected]
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            some = segments.medians(np.concatenate(tensors), [1, 3, 8, 9])  # only the tensors asked
        assert [float(m).hex() for m in some[[1, 3, 9]]] == [expected[i].hex() for i in (1, 3, 9)]
        assert np.isnan(np.delete(some, [1, 3, 9])).all()


@pytest.mark.parametrize("bound", [0.0, 1e-300, -1.0])
def test_whether_a_median_is_above_a_bound_is_np_medians_answer_exactly(bound):
    rng = np.random.default_rng(11)
    pool = np.array([0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300, 1.0, -1.0, 2.0, -2.0, np.inf, -np.inf])
    tensors = [rng.choice(pool, size) for size in rng.integers(0, 9, 4000)]
    places = [("param_after_step", "params", str(i)) for i in range(len(tensors))]
    segments = Segments(places, [t.shape for t in tensors])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # np.median of nothing, and of -inf with inf
        expected = [bool(np.median(t) > bound) for t in tensors]
    assert segments.median_above(np.concatenate(tensors), bound).tolist() == expected
    per_tensor = np.full(len(tensors), bound)  # a bound per tensor: the same answers
    assert segments.median_above(np.concatenate(tensors), per_tensor).tolist() == expected
    assert sum(expected) > 500 and len(expected) - sum(expected) > 500  # both answers, many times
    for count in (len(tensors), 100):  # many elements: counts first; few: every median at once
        part = Segments(places[:count], [t.shape for t in tensors[:count]])
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            medians = [float(np.median(t)) for t in tensors[:count]]
            got = part.medians_above(np.concatenate(tensors[:count]), bound, list(range(count)))
        assert [float(g).hex() for g in got] == [(m if m > bound else np.nan).hex() for m in medians]
