"""Meta-tests: planted initializer and perceptron bugs in scratch must make those comparisons fail."""

from dataclasses import replace

import numpy as np
import pytest

from comparisons.cases import case_by_id
from comparisons.kinds.dispatch import compare_case
from scratch import initializers
from scratch.perceptron import Perceptron

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def statuses(outcome) -> dict[str, str]:
    if outcome.rows[0]["status"] == "skipped":
        pytest.skip(outcome.rows[0]["reason"])
    return {row["tensor"].removeprefix("0.weight."): row["status"] for row in outcome.rows}


def glorot_uniform_with_fan_in_twice(shape, rng, dtype=np.float64):
    """Planted bug: fan_in + fan_in instead of fan_in + fan_out, U(+-sqrt(6/800)): 6.5% too narrow."""
    fan_in, _ = initializers.compute_fans(tuple(shape))
    limit = np.sqrt(6.0 / (fan_in + fan_in))
    return rng.uniform(-limit, limit, shape).astype(dtype)


@pytest.mark.parametrize("framework", ["torch", "tensorflow", "jax"])
def test_a_wrong_fan_fails_the_bounds_std_and_ks_rows(monkeypatch, framework):
    monkeypatch.setitem(initializers.INITIALIZERS, "glorot_uniform", glorot_uniform_with_fan_in_twice)
    outcome = compare_case(case_by_id("init_glorot_uniform"), framework, "float32")
    assert statuses(outcome) == {"mean": "passed", "std": "failed", "min": "failed", "max": "failed",
                                 "ks_statistic": "failed"}
    message = "\n".join(outcome.failures)
    for fragment in ("init_glorot_uniform", framework, "float32", "metric", "'0.weight.std'", "KS p ="):
        assert fragment in message, f"failure message lacks {fragment!r}:\n{message}"


def fans_without_receptive_field(shape):
    """Planted bug: a conv kernel's fans as if it were a Dense weight, (in, out), the kernel size left out."""
    return (shape[-2], shape[-1]) if len(shape) > 1 else (shape[0], shape[0])


@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
def test_conv_kernel_fans_without_the_receptive_field_fail(monkeypatch, framework):
    monkeypatch.setattr(initializers, "compute_fans", fans_without_receptive_field)
    for name in ("init_conv_glorot_uniform", "init_conv_he_normal", "init_conv_glorot_normal"):
        found = statuses(compare_case(case_by_id(name), framework, "float64"))
        assert found["std"] == found["ks_statistic"] == "failed", (name, found)
    dense = statuses(compare_case(case_by_id("init_glorot_uniform"), framework, "float64"))
    assert set(dense.values()) == {"passed"}  # a (in, out) weight has no receptive field: same fans


def test_a_missing_truncation_correction_fails_against_keras(monkeypatch):
    # Planted bug: the truncated normal is not rescaled by 1/0.8796, so its std is 12% low.
    monkeypatch.setattr(initializers, "TRUNCATED_STD_CORRECTION", 1.0)
    outcome = compare_case(case_by_id("init_he_normal"), "tensorflow", "float64")
    found = statuses(outcome)
    assert {found[t] for t in ("std", "min", "max", "ks_statistic")} == {"failed"}


def test_a_plain_normal_against_a_truncated_one_fails_the_ks_row():
    case = case_by_id("init_glorot_normal")
    options = {**case.options, "scratch_options": {"truncated": False}}
    found = statuses(compare_case(replace(case, options=options), "tensorflow", "float64"))
    assert found["std"] == "passed" and found["ks_statistic"] == "failed"  # same variance, other shape


def test_unbroken_initializers_agree_and_repeat_exactly():
    case = case_by_id("init_he_uniform")
    first, second = (compare_case(case, "torch", "float64") for _ in range(2))
    statuses(first)
    assert {row["status"] for row in first.rows} == {"passed"}
    strip = [{k: v for k, v in row.items() if k != "elapsed_s"} for row in first.rows]
    assert strip == [{k: v for k, v in row.items() if k != "elapsed_s"} for row in second.rows]


def update_only_below_zero_margin(self, sample, label, lr):
    """Planted bug: the sklearn rule with y*z < 0 instead of y*z <= 0 (no update at margin 0)."""
    z = sample @ self.weight + self.bias[0]
    sign = 2 * label - 1
    if sign * z < 0:
        self.weight += lr * sign * sample
        self.bias += lr * sign
        return True
    return False


def test_a_strict_margin_perceptron_fails_where_the_margin_is_zero(monkeypatch):
    monkeypatch.setattr(Perceptron, "_update", update_only_below_zero_margin)
    outcome = compare_case(case_by_id("perceptron_and_zero_init"), "sklearn", "float64")
    statuses(outcome)
    first = outcome.first_divergence
    assert first is not None, "the planted bug was not detected"
    assert (first["quantity"], first["step"]) == ("param_after_step", 1)
    assert '-k "perceptron_and_zero_init-sklearn-float64"' in outcome.failures[0]
    # From random non-zero weights no margin is exactly 0, so the same bug is invisible there:
    # that is why the zero-init cases exist.
    assert compare_case(case_by_id("perceptron_and"), "sklearn", "float64").first_divergence is None


def test_a_perceptron_that_forgets_the_bias_fails_everywhere(monkeypatch):
    real_update = Perceptron._update

    def no_bias_update(self, sample, label, lr):
        bias = self.bias.copy()
        changed = real_update(self, sample, label, lr)
        self.bias[...] = bias
        return changed

    monkeypatch.setattr(Perceptron, "_update", no_bias_update)
    outcome = compare_case(case_by_id("perceptron_iris"), "sklearn", "float32")
    statuses(outcome)
    found = {(row["tensor"], row["step"]): row["status"] for row in outcome.rows}
    assert found[("0.bias", 1)] == "failed" and outcome.first_divergence["step"] == 1


def test_every_scratch_initializer_has_a_case_and_a_reference_in_each_framework():
    from comparisons.cases.initializers import INITIALIZER_CASES

    covered = {case.options.get("initializer") for case in INITIALIZER_CASES}
    assert set(initializers.INITIALIZERS) <= covered
    for module in ("reference.torch_initializers", "reference.tensorflow_initializers"):
        table = pytest.importorskip(module).INITIALIZERS
        assert {case.options["framework_initializer"] for case in INITIALIZER_CASES
                if "framework_initializer" in case.options} <= set(table), module
