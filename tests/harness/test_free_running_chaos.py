"""Free-running training is judged against a perturbed shadow of the implementation itself
(comparisons/kinds/chaos.py, docs/conventions.md §9): a chaotic but correct run passes, a small planted
gradient bug fails at its first step, and no known difference excuses a whole free-running family."""

from __future__ import annotations

from fnmatch import fnmatch
from types import SimpleNamespace

import numpy as np
import pytest

from comparisons.adapters import scratch_adapter
from comparisons.cases import all_cases, case_by_id
from comparisons.core.known_differences import load_known_differences
from comparisons.kinds import chaos, training
from comparisons.kinds.dispatch import compare_case

pytest.importorskip("torch")
CHAOTIC = "proj_nnfs_ch10_spiral_adam_free"  # float32: leaves the teacher tolerance at step 1


def buggy_adapter(relative: float, from_step: int = 1) -> SimpleNamespace:
    """scratch whose layer-0 weight gradient is (1 + relative) times too large from `from_step` on."""
    def make_trainer(spec, params, optimizer, dtype):
        trainer = scratch_adapter.make_trainer(spec, params, optimizer, dtype)
        layer, original, calls = trainer.model.layers[0], trainer.model.layers[0].param_backward, [0]

        def param_backward(grad_output):  # the lowest layer's backward in train_step (no input gradient)
            result = original(grad_output)
            calls[0] += 1
            if calls[0] >= from_step:
                layer.grads["weight"] *= 1 + relative
            return result

        layer.param_backward = param_backward
        return trainer
    return SimpleNamespace(make_trainer=make_trainer, read_params=scratch_adapter.read_params)


def first_failure(outcome) -> tuple[int, str, str] | None:
    row = outcome.first_divergence
    return (row["step"], row["quantity"], row["tensor"]) if row else None


def test_perturbation_moves_every_nonzero_element_by_one_or_two_ulps_and_keeps_the_dtype():
    value = np.random.default_rng(0).normal(size=(50, 40)).astype("float32")
    moved = chaos.perturb({"w": value, "z": np.zeros(3, "float32")}, np.random.default_rng(1))
    ulps = np.abs(moved["w"].view(np.int32) - value.view(np.int32))
    assert moved["w"].dtype == np.float32 and ulps.min() >= 1 and ulps.max() <= 2
    assert np.array_equal(moved["z"], np.zeros(3)) and set(np.sign(moved["w"] - value).ravel()) == {-1.0, 1.0}
    again = chaos.perturb({"w": value, "z": np.zeros(3, "float32")}, np.random.default_rng(1))
    assert np.array_equal(again["w"], moved["w"])


def test_a_chaotic_but_correct_free_run_passes_its_baseline():
    outcome = compare_case(case_by_id(CHAOTIC), "torch", "float32")
    assert not outcome.trajectory[0]["within_tolerance"]  # out of the teacher tolerance from step 1 on
    assert outcome.first_divergence is None, outcome.failures[:1]
    assert all(row["status"] == "passed" for row in outcome.rows)
    assert {row["quantity"] for row in outcome.rows} >= {"metric", "param_after_step", "grad_param"}
    assert all("chaos allowance" in row["reason"] for row in outcome.rows if row["quantity"] == "grad_param")
    assert all(0 <= row["chaos_ratio"] <= chaos.K for row in outcome.trajectory)


@pytest.mark.parametrize("from_step", [1, 5])
def test_a_1e_3_relative_gradient_bug_fails_at_its_first_step(monkeypatch, from_step):
    monkeypatch.setattr(training, "get_adapter", lambda name: buggy_adapter(1e-3, from_step))
    outcome = compare_case(case_by_id(CHAOTIC), "torch", "float64")
    assert first_failure(outcome) == (from_step, "grad_param", "0.weight"), outcome.failures[:1]
    assert outcome.trajectory[from_step - 1]["chaos_ratio"] > chaos.K
    assert all(row["chaos_ratio"] <= chaos.K for row in outcome.trajectory[:from_step - 1])


def test_a_run_that_breaks_far_earlier_than_its_baseline_fails_the_horizon_row():
    trajectory = [{"step": s, "state_within_tolerance": s < 2, "baseline_within_tolerance": s < 50}
                  for s in range(1, 101)]
    run = training.CaseRun(case_by_id(CHAOTIC), "torch", "float64")
    row = chaos.horizon_row(run, trajectory, 100)
    assert 2 < 50 / chaos.HORIZON_FACTOR < 40
    assert (row["status"], row["scratch_value"], row["framework_value"]) == ("failed", 2.0, 50.0)
    later = [{**r, "state_within_tolerance": r["step"] < 40} for r in trajectory]
    assert chaos.horizon_row(run, later, 100)["status"] == "passed"
    never = [{**r, "baseline_within_tolerance": True} for r in later]
    assert chaos.horizon_row(run, never, 100)["framework_value"] == 101.0


def test_no_known_difference_covers_every_quantity_of_a_free_running_family():
    free = [case.id for case in all_cases() if case.options.get("mode") == "free"]
    blanket = [entry for entry in load_known_differences()
               if entry.quantity == "*" and any(fnmatch(case, entry.case_pattern) for case in free)]
    assert blanket == []
    patterns = {(entry.case_pattern, entry.dtype) for entry in load_known_differences()}
    assert ("proj_*_free", "float32") not in patterns
    assert not any(p.startswith("proj_nnfs_ch1[0457]") and "free" in p for p, _ in patterns)
