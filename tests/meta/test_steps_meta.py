"""Meta-tests of the step rows: update rows catch a small-learning-rate bug, a wrong dtype fails, and a
raise keeps the steps before it (a NaN step as its own rows, then the crash row)."""

from dataclasses import replace

import numpy as np
import pytest

from comparisons.adapters import scratch_adapter
from comparisons.cases import case_by_id
from comparisons.core.known_differences import KnownDifference
from comparisons.core.rows import CaseOutcome, CaseRun, make_row
from comparisons.core.tolerances import GAP_MEMORY, gradient_allowance, tolerance_for, update_tolerance
from comparisons.kinds.dispatch import compare_case
from scratch.optimizers import Optimizer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def small_lr_case():
    """opt_sgd with lr 1e-4 and theta ~ N(0, 1): a 1% error of the step is ~1e-6, below float32's atol."""
    case = case_by_id("opt_sgd")
    return replace(case, id="opt_sgd_small_lr", options={**case.options, "hyper": {"lr": 1e-4}})


def by(rows, quantity):
    return [r for r in rows if r["quantity"] == quantity]


def test_a_small_learning_rate_bug_passes_param_after_step_and_fails_update(monkeypatch):
    real = scratch_adapter.build_optimizer

    def planted(name, **options):
        """Planted bug: the learning rate is 1% too large."""
        return real(name, **{**options, "lr": options["lr"] * 1.01})

    clean = compare_case(small_lr_case(), "torch", "float32")
    assert {r["status"] for r in clean.rows} == {"passed"}, "the unbroken optimizer must pass"
    monkeypatch.setattr(scratch_adapter, "build_optimizer", planted)
    outcome = compare_case(small_lr_case(), "torch", "float32")
    assert {r["status"] for r in by(outcome.rows, "param_after_step")} == {"passed"}
    updates = by(outcome.rows, "update")
    assert len(updates) == 2 * 10 and {r["status"] for r in updates} == {"failed"}
    first = outcome.first_divergence
    assert (first["quantity"], first["step"]) == ("update", 1)
    assert "update" in outcome.failures[0] and first["err_ratio"] > 2


def test_the_update_tolerance_is_relative_to_the_update_plus_an_ulp_of_theta():
    theirs, after = np.array([1e-4, -2e-4]), np.array([0.5, -3.0], np.float32)
    tol = update_tolerance("float32", theirs, after)
    assert tol.rtol == 1.3e-6
    assert tol.atol == pytest.approx(1.3e-6 * 2e-4 + 2 * np.finfo(np.float32).eps * 3.0)
    assert update_tolerance("float64", theirs, after).atol == pytest.approx(
        1e-10 * 2e-4 + 2 * np.finfo(np.float64).eps * 3.0)
    assert update_tolerance("float32", theirs, after, np.array([1e-6, 0.0])).atol == pytest.approx(
        tol.atol + np.array([1e-6, 0.0]))  # training: plus the gradient allowance, per element


def adam_first_step(g, lr=1e-3, eps=1e-7):
    return -lr * g / (np.abs(g) + eps)


def test_the_gradient_allowance_bounds_adams_first_step_element_by_element():
    """Adam's first step lr*g/(|g| + eps): where |g| ~ eps a relative 1e-3 gradient gap moves the step by
    ~lr*1e-3/4; the tensor's gain max|dtheta|/max|g| ~ lr would allow lr*1e-9 there, gain_i allows it."""
    g_fw = np.array([1e-7, -3e-7, 1e-3, 1.0])
    g_mine = g_fw * (1 + 1e-3)
    steps = (adam_first_step(g_mine), adam_first_step(g_fw))
    allowance, memory = gradient_allowance(steps, (g_mine, g_fw))
    difference = np.abs(steps[0] - steps[1])
    assert np.all(difference <= allowance) and difference[0] > 0.9 * 1e-3 * 1e-3 / 4  # ~lr*1e-3/4
    tensor_gain = np.abs(steps[1]).max() / np.abs(g_fw).max()
    assert difference[0] > tensor_gain * np.abs(g_mine - g_fw)[0]  # one gain per tensor would not do
    # a 1% learning-rate error is 1e-2 of every step: beyond the allowance wherever |g| >> eps
    wrong = (adam_first_step(g_mine, lr=1.01e-3), steps[1])
    allowed, _ = gradient_allowance(wrong, (g_mine, g_fw))
    assert np.all((np.abs(wrong[0] - wrong[1]) > allowed)[2:])
    # the memory carries the running max gain and a decaying gap into the next step
    later, _ = gradient_allowance(steps, (g_fw, g_fw), memory)
    assert np.allclose(later, memory[0] * GAP_MEMORY * memory[1])


def test_a_tensor_whose_framework_step_rounds_to_zero_keeps_the_sgd_gain_from_the_other_side():
    """SGD on a bias before BatchNorm: g ~ 1e-9, TF's step rounds to 0; scratch's step keeps gain lr."""
    g_mine, g_fw = np.array([2e-6, 1e-9]), np.array([1e-9, -1e-9])
    allowance, _ = gradient_allowance((-0.1 * g_mine, np.zeros(2)), (g_mine, g_fw))
    assert allowance == pytest.approx(0.1 * np.abs(g_mine - g_fw))


def adam_teacher(variant: str | None = None):
    case = case_by_id("proj_nnfs_ch10_spiral_adam_teacher")
    return replace(case, options={**case.options, "epochs": 5, "scratch_variant": variant})


@pytest.mark.parametrize("bug", ["lr", "adam_without_bias_correction"])
def test_adam_bugs_fail_the_float32_teacher_update_rows_that_pass_unbroken(monkeypatch, bug):
    """The per-element allowance lets float32 Adam teacher runs pass with no known difference, yet a
    learning rate 1% too large or Adam without bias correction fails every first-step update row."""
    clean = compare_case(adam_teacher(), "torch", "float32")
    assert {r["status"] for r in clean.rows} == {"passed"}
    if bug == "lr":
        real = scratch_adapter.build_optimizer
        monkeypatch.setattr(scratch_adapter, "build_optimizer",
                            lambda name, **options: real(name, **{**options, "lr": options["lr"] * 1.01}))
    outcome = compare_case(adam_teacher(None if bug == "lr" else bug), "torch", "float32")
    first_step = [r for r in by(outcome.rows, "update") if r["step"] == 1]
    assert len(first_step) == 4 and {r["status"] for r in first_step} == {"failed"}


def test_a_float64_result_in_a_float32_case_fails_naming_the_tensor_and_side(monkeypatch):
    real = scratch_adapter.run_optimizer

    def widened(spec, params, grads):
        """Planted bug: the optimizer returns float64 parameters for float32 inputs."""
        return [{k: v.astype(np.float64) for k, v in step.items()} for step in real(spec, params, grads)]

    monkeypatch.setattr(scratch_adapter, "run_optimizer", widened)
    outcome = compare_case(case_by_id("opt_sgd"), "torch", "float32")
    first = outcome.first_divergence
    assert (first["quantity"], first["tensor"], first["step"], first["status"]) == (
        "param_after_step", "0.weight", 1, "failed")
    assert "scratch returned float64 for a float32 case" in first["reason"]
    assert "'0.weight'" in outcome.failures[0] and "float64" in outcome.failures[0]


def test_the_dtype_check_names_the_framework_side_and_spares_integers_and_harness_values():
    run = CaseRun(case_by_id("opt_sgd"), "torch", "float32")
    f32, f64 = np.ones(3, np.float32), np.ones(3)
    row = make_row(run.base(), "output", "output", f32, f64)
    assert row["status"] == "failed" and row["reason"] == "dtype: torch returned float64 for a float32 case"
    assert make_row(run.base(), "output", "output", f32, f32)["status"] == "passed"
    assert make_row(run.base(), "output", "ids", np.arange(3), np.arange(3))["status"] == "passed"
    assert make_row(run.base(), "metric", "0.weight.mean", 1.0, 1.0, harness=True)["status"] == "passed"


def test_no_known_difference_covers_the_implementations_wrong_dtype_but_one_may_cover_a_frameworks():
    everything = KnownDifference("*", "*", "*", "*", "*", "covers every row", 1e9)
    run = CaseRun(case_by_id("opt_sgd"), "torch", "float32", known=[everything])
    f32, f64 = np.ones(3, np.float32), np.ones(3)
    rows = [make_row(run.base(), "output", "output", mine, theirs)
            for mine, theirs in ((f64, f32), (f64, f64), (f32, f64), (f32, f32 * 2))]
    outcome = run.finish(CaseOutcome(rows))
    assert [r["status"] for r in outcome.rows] == ["failed", "failed", "known_difference", "known_difference"]
    assert outcome.rows[1]["reason"] == ("dtype: scratch returned float64 for a float32 case; "
                                         "dtype: torch returned float64 for a float32 case")


def test_an_optimizer_that_goes_nan_then_raises_keeps_every_step_before_the_crash(monkeypatch):
    real = Optimizer.step

    def planted(self, params, grads):
        """Planted bug: step 3 writes NaN, step 4 raises."""
        if self.t == 2:
            for value in params.values():
                value[...] = np.nan
            self.t += 1
            return
        if self.t == 3:
            raise FloatingPointError("planted overflow")
        real(self, params, grads)

    monkeypatch.setattr(Optimizer, "step", planted)
    outcome = compare_case(case_by_id("opt_adam"), "torch", "float64")
    steps = [(r["step"], r["quantity"], r["status"]) for r in outcome.rows if r["quantity"] != "param_copy"]
    assert {s for s in steps if s[0] <= 2} == {(1, "param_after_step", "passed"), (1, "update", "passed"),
                                               (2, "param_after_step", "passed"), (2, "update", "passed")}
    assert {s for s in steps if s[0] == 3} == {(3, "param_after_step", "nan"), (3, "update", "nan")}
    assert steps[-1] == (4, "output", "crash") and len([s for s in steps if s[0] > 3]) == 1
    assert "planted overflow" in outcome.rows[-1]["reason"]
    assert (outcome.first_divergence["step"], outcome.first_divergence["status"]) == (3, "nan")


def test_a_training_step_that_goes_nan_then_raises_keeps_the_nan_rows_then_the_crash_row(monkeypatch):
    real, calls = scratch_adapter.ScratchTrainer.step, []

    def planted(self, x, targets, shared=None):
        """Planted bug: step 7 (not a checkpoint) returns NaN parameters, step 8 raises."""
        calls.append(1)
        result = real(self, x, targets, shared)
        if len(calls) == 8:
            raise FloatingPointError("planted overflow")
        if len(calls) == 7:
            result["params"] = {k: np.full_like(v, np.nan) for k, v in result["params"].items()}
        return result

    monkeypatch.setattr(scratch_adapter.ScratchTrainer, "step", planted)
    outcome = compare_case(case_by_id("proj_xor_mlp_teacher"), "torch", "float64")
    kept = sorted({r["step"] for r in outcome.rows})
    assert kept == [0, 1, 2, 3, 5, 7, 8]  # param_copy, checkpoints, the NaN step, the crash
    at7 = [r for r in outcome.rows if r["step"] == 7]
    assert {r["status"] for r in at7 if r["quantity"] in ("param_after_step", "update")} == {"nan"}
    assert [r["status"] for r in outcome.rows if r["step"] == 8] == ["crash"]
    assert "planted overflow" in outcome.rows[-1]["reason"]
    assert {r["status"] for r in outcome.rows if r["step"] < 7} == {"passed"}
    assert (outcome.first_divergence["step"], outcome.first_divergence["status"]) == (7, "nan")


def test_a_learning_rate_bug_fails_the_training_update_rows_despite_the_gradient_gap_term(monkeypatch):
    real = scratch_adapter.build_optimizer
    monkeypatch.setattr(scratch_adapter, "build_optimizer",
                        lambda name, **options: real(name, **{**options, "lr": options["lr"] * 1.01}))
    outcome = compare_case(case_by_id("proj_xor_mlp_teacher"), "torch", "float32")
    first_step = [r for r in by(outcome.rows, "update") if r["step"] == 1]
    assert len(first_step) == 4 and {r["status"] for r in first_step} == {"failed"}


def test_explain_names_the_gradient_allowance_of_a_teacher_forced_param_after_step_row():
    from comparisons.render.explain import tolerance_reason

    table = tolerance_for("float32", "param_after_step")
    assert tolerance_reason("float32", "param_after_step", "0.weight", table.atol, table.rtol) == table.reason
    raised = tolerance_reason("float32", "param_after_step", "0.weight", 3e-5, table.rtol)
    assert "gradient allowance" in raised and "NOTE" not in raised
