"""The bulk rule of free runs (comparisons/kinds/chaos.py, docs/conventions.md §9): a tensor whose median
element is off by more than BULK_K x the median |impl - shadow| fails, a few flipped elements do not, and
chaos_ratio reads the training state, not the loss value."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from comparisons.cases import case_by_id
from comparisons.core.tolerances import Tolerance
from comparisons.kinds import chaos
from comparisons.kinds.dispatch import compare_case

TOL = Tolerance(1e-5, 1.3e-6, "float32 step")
KEY = ("param_after_step", "0.weight")


def shadow_with(mine: np.ndarray, framework: np.ndarray, shadow: np.ndarray, loss=(0.5, 0.5)) -> chaos.Shadow:
    """A Shadow after one step whose implementation, shadow and framework gave these tensors."""
    state = object.__new__(chaos.Shadow)
    state.current = {side: {KEY: value, ("loss", "loss"): np.asarray(lossvalue)}
                     for side, value, lossvalue in (("mine", mine, loss[0]), ("shadow", shadow, loss[0]),
                                                    ("framework", framework, loss[1]))}
    gaps = np.abs(mine - shadow)
    state.baseline = {KEY: float(gaps.max()), ("loss", "loss"): 0.0}
    state.bulk_baseline = {KEY: float(np.median(gaps))}
    state.bulk_open = {KEY: chaos.bulk_excess(mine, shadow, TOL) <= 0}  # as Shadow.step keeps it
    state._bulk = {}
    return state


def judged(state: chaos.Shadow) -> str:
    """The status of the rejudged param_after_step row of that step."""
    row = {name: "x" for name in ("case", "suite", "component", "implementation", "framework",
                                  "framework_version", "expected_divergence")}
    row.update(dtype="float32", seed=0, step=1, quantity=KEY[0], tensor=KEY[1])
    return state.rejudge([row], TOL)[0]["status"]


@pytest.fixture
def weights() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(16, 8)).astype(np.float32)


def test_every_element_off_by_a_few_percent_fails_the_bulk_rule(weights):
    shadow = weights * np.float32(1 + 1e-7)  # the shadow: rounding-level differences everywhere
    state = shadow_with(weights, weights * np.float32(1.03), shadow)
    assert state.bulk(KEY, TOL) > chaos.BULK_K and state.ratio(TOL) < chaos.K  # K alone lets it pass
    assert judged(state) == "failed"
    assert "bulk off" in state.allowance(*KEY, TOL).reason
    assert not chaos.step_passes({"chaos_ratio": state.ratio(TOL), "bulk_ratio": state.bulk_ratio(TOL)})


def test_a_few_flipped_elements_pass(weights):
    shadow = weights * np.float32(1 + 1e-7)
    framework = weights.copy()
    framework.flat[:3] += 0.1  # three near-tie elements went the other way: large, but few
    shadow.flat[:3] += 0.05  # the shadow saw such flips too (its max gap sets the chaos baseline)
    state = shadow_with(weights, framework, shadow)
    assert state.bulk(KEY, TOL) == 0.0 and state.ratio(TOL) <= chaos.K
    assert judged(state) == "passed"
    assert chaos.step_passes({"chaos_ratio": state.ratio(TOL), "bulk_ratio": state.bulk_ratio(TOL)})


def test_bulk_off_as_far_as_the_shadow_median_passes(weights):
    shadow = weights + np.float32(4e-6)  # the shadow's median element moved, within the tolerance
    state = shadow_with(weights, weights + np.float32(2e-5), shadow)  # the framework's: 2.5x that, beyond it
    assert 0 < state.bulk(KEY, TOL) <= chaos.BULK_K and judged(state) == "passed"


def test_once_the_shadow_bulk_left_the_tolerance_only_k_judges(weights):
    shadow = weights * np.float32(1.01)  # chaos has reached the bulk: the median no longer tells
    state = shadow_with(weights, weights * np.float32(0.9), shadow)
    assert state.bulk_open == {KEY: False} and state.bulk(KEY, TOL) == 0.0
    assert judged(state) == "passed" and "chaos allowance" in state.allowance(*KEY, TOL).reason
def test_chaos_ratio_ignores_the_loss_value_as_the_horizons_do(weights):
    state = shadow_with(weights, weights.copy(), weights.copy(), loss=(0.5, 0.6))
    assert state.ratio(TOL) == 0.0 and state.bulk_ratio(TOL) == 0.0


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


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 64, 129, 4096])
def test_the_partition_median_is_numpys_median_bit_for_bit(size):
    rng = np.random.default_rng(size)
    zeros = rng.choice([0.0, -0.0, 1.0, -1.0], size)  # signed zeros: np.median's mean turns -0.0 into +0.0
    for values in (rng.standard_normal(size), rng.standard_normal(size) * 1e-300,
                   np.round(rng.standard_normal(size), 1), np.full(size, 0.1), np.full(size, -0.0), zeros):
        values = values.reshape((size, 1) if size % 2 else (2, size // 2))
        assert chaos.median(values).hex() == float(np.median(values)).hex()


def test_the_partition_median_of_nan_or_nothing_is_numpys():
    assert np.isnan(chaos.median(np.array([1.0, np.nan, 3.0])))
    with pytest.warns(RuntimeWarning):
        assert np.isnan(chaos.median(np.array([])))
