"""Meta-tests: a planted bug in scratch must make the harness fail and name where it diverges."""

import numpy as np
import pytest

from comparisons.cases import case_by_id
from comparisons.kinds.dispatch import compare_case
from scratch.activations import ReLU, Softmax

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def leaky_relu_backward(self, grad_output):
    """Planted bug: the ReLU backward lets the gradient through where x < 0 as well."""
    return grad_output * np.ones_like(self.inputs)


@pytest.mark.parametrize("framework", ["torch", "tensorflow", "jax"])
@pytest.mark.parametrize("case_id", ["mlp_spiral_cce", "mlp_spiral_vjp"])
def test_planted_relu_backward_bug_is_caught_at_the_relu_layer(monkeypatch, framework, case_id):
    monkeypatch.setattr(ReLU, "backward", leaky_relu_backward)
    outcome = compare_case(case_by_id(case_id), framework, "float64")
    if outcome.rows[0]["status"] == "skipped":
        pytest.skip(outcome.rows[0]["reason"])
    first = outcome.first_divergence
    assert first is not None, "the planted bug was not detected"
    assert (first["quantity"], first["tensor"]) == ("grad_activation", "1.relu")
    statuses = {(r["quantity"], r["tensor"]): r["status"] for r in outcome.rows}
    # Everything before the ReLU's backward still agrees: the forward pass and the later layers.
    assert statuses[("activation", "1.relu")] == "passed"
    assert statuses[("grad_activation", "2.dense")] == "passed"
    assert statuses[("grad_param", "0.weight")] == "failed"
    assert (first["blamed_layer"], first["blame_rule"], first["blame_confirmed"]) == (
        "1.relu", "backward", True)
    message = outcome.failures[0]
    for fragment in (case_id, framework, "float64", "seed", "grad_activation", "'1.relu'",
                     "worst element", "allowed", f'-k "{case_id}-{framework}-float64"',
                     "localized (backward rule): '1.relu'", "confirmed"):
        assert fragment in message, f"failure message lacks {fragment!r}:\n{message}"


def test_a_forward_bug_is_localized_by_the_forward_rule_and_confirmed(monkeypatch):
    real_forward = Softmax.forward

    def inflated(self, inputs, training=False):
        """Planted bug: softmax probabilities scaled by 1.001."""
        return real_forward(self, inputs, training) * 1.001

    monkeypatch.setattr(Softmax, "forward", inflated)
    outcome = compare_case(case_by_id("mlp_spiral_vjp"), "torch", "float64")
    first = outcome.first_divergence
    assert (first["quantity"], first["tensor"]) == ("activation", "3.softmax")
    assert (first["blamed_layer"], first["blame_rule"], first["blame_confirmed"]) == (
        "3.softmax", "forward", True)


def test_a_bug_that_does_not_reproduce_in_isolation_is_reported_unconfirmed(monkeypatch):
    from comparisons.kinds import localization

    monkeypatch.setattr(ReLU, "backward", leaky_relu_backward)
    monkeypatch.setattr(localization, "_confirm", lambda *args: (False, 0.0))
    outcome = compare_case(case_by_id("mlp_spiral_cce"), "torch", "float64")
    assert outcome.first_divergence["blame_confirmed"] is False
    assert "NOT confirmed" in outcome.failures[0]


def test_unbroken_scratch_passes_the_same_case():
    outcome = compare_case(case_by_id("mlp_spiral_cce"), "torch", "float64")
    if outcome.rows[0]["status"] == "skipped":
        pytest.skip(outcome.rows[0]["reason"])
    assert outcome.first_divergence is None
    assert {r["status"] for r in outcome.rows} == {"passed"}


def test_a_failed_parameter_copy_is_reported_as_such(monkeypatch):
    from comparisons.adapters import torch_adapter

    real_read = torch_adapter.read_params

    def transposed_read(layers):
        params = real_read(layers)
        params["2.bias"] = params["2.bias"][::-1].copy()
        return params

    monkeypatch.setattr(torch_adapter, "read_params", transposed_read)
    outcome = compare_case(case_by_id("mlp_spiral_cce"), "torch", "float64")
    assert (outcome.first_divergence["quantity"], outcome.first_divergence["tensor"]) == (
        "param_copy", "2.bias")
    assert {r["quantity"] for r in outcome.rows} == {"param_copy"}, "math compared after a bad copy"


def test_a_framework_crash_becomes_a_crash_row(monkeypatch):
    from comparisons.adapters import torch_adapter

    def broken(*args, **kwargs):
        raise RuntimeError("injected fault")

    monkeypatch.setattr(torch_adapter, "run_pass", broken)
    outcome = compare_case(case_by_id("mlp_spiral_cce"), "torch", "float32")
    assert [r["status"] for r in outcome.rows][-1] == "crash"
    assert "injected fault" in outcome.rows[-1]["reason"]
