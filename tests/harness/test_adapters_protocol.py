"""Adapters satisfy the protocol of the kinds their profile declares; profiles, reference tables and
layer records agree; a case a side cannot run is skipped with the reason, never a crash."""

from __future__ import annotations

import dataclasses
import importlib.util
import types
from dataclasses import replace

import numpy as np
import pytest

from comparisons.adapters import ADAPTER_MODULES, frameworks_for, get_adapter, profile, reference_frameworks
from comparisons.adapters.protocol import KIND_PROTOCOLS, PlotStyle, Profile, conformance_problems
from comparisons.cases import all_cases, case_by_id
from comparisons.kinds.dispatch import compare_case, requested_options
from comparisons.kinds.passes import implementation_spec
from reference.layouts import Layout, LayoutError, declared_tensors
from scratch.registry import LAYER_TYPES, LOSSES

REFERENCE_MODULES = {"torch": "reference.torch_models", "tensorflow": "reference.tensorflow_models",
                     "jax": "reference.jax_models"}


@pytest.mark.parametrize("name", sorted(ADAPTER_MODULES))
def test_every_adapter_satisfies_the_protocol_of_its_kinds(name):
    assert conformance_problems(get_adapter(name)) == []
    assert profile(name).name == name


def test_the_conformance_check_names_what_an_adapter_lacks():
    fake = types.ModuleType("fake_adapter")
    fake.PROFILE = Profile("fake", "Fake", True, frozenset({"pass"}), PlotStyle("k", "-"))
    fake.unavailable_reason = fake.version = lambda: None
    fake.build = fake.read_params = lambda *a: None
    assert conformance_problems(fake) == ["fake_adapter lacks run_pass() for PassRunner"]
    assert conformance_problems(types.ModuleType("bare")) == ["bare has no PROFILE (a comparisons.adapters."
                                                              "protocol.Profile)"]
    assert set(KIND_PROTOCOLS) == {"pass", "optimizer", "training", "initializer", "perceptron", "landscape",
                                   "expression"}


@pytest.mark.parametrize("framework", sorted(REFERENCE_MODULES))
def test_profiles_claim_exactly_what_the_reference_tables_build(framework):
    if get_adapter(framework).unavailable_reason():
        pytest.skip(get_adapter(framework).unavailable_reason())
    reference = importlib.import_module(REFERENCE_MODULES[framework])
    assert set(reference.LAYERS) == set(profile(framework).layers) <= set(LAYER_TYPES)
    if framework in ("torch", "tensorflow"):  # the two references of every layer type
        assert set(reference.LAYERS) == set(LAYER_TYPES)
    assert set(reference.LOSSES) == set(profile(framework).losses) == set(LOSSES)


@pytest.mark.parametrize("framework", sorted(REFERENCE_MODULES))
def test_every_parameter_and_buffer_of_a_record_has_a_declared_layout(framework):
    if get_adapter(framework).unavailable_reason():
        pytest.skip(get_adapter(framework).unavailable_reason())
    layouts = importlib.import_module(REFERENCE_MODULES[framework]).LAYOUTS
    for name in profile(framework).layers:
        record, declared = LAYER_TYPES[name], layouts.get(name, {})
        assert set(declared) == {t.name for t in (*record.params, *record.buffers)}, name
        assert {k for k, v in declared.items() if not v.trainable} == {b.name for b in record.buffers}, name
        # a tensor a spec option switches off (a conv's bias, use_bias) or on (a learned initial state) is
        # declared for the same option, with the same value when the spec leaves it out
        assert {k: (v.when, v.when_default) for k, v in declared.items()} == {
            t.name: (t.when, t.when_default) for t in (*record.params, *record.buffers)}, name


def test_a_layout_permutes_both_ways_and_refuses_a_shape_that_does_not_fit():
    weight = np.arange(6.0).reshape(2, 3)  # scratch (in, out)
    layout = Layout("weight", permutation=(1, 0))
    moved = layout.to_framework(weight, (3, 2), "torch 0.weight")
    assert moved.shape == (3, 2) and moved.flags.c_contiguous
    np.testing.assert_array_equal(layout.from_framework(moved), weight)
    cycle = Layout("kernel", permutation=(1, 2, 0))  # not its own inverse: the way back must undo it
    kernel = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(cycle.from_framework(cycle.to_framework(kernel, (3, 4, 2), "k")), kernel)
    with pytest.raises(LayoutError, match=r"torch 0\.weight: scratch shape \(2, 3\).*has shape \(2, 3\)"):
        layout.to_framework(weight, (2, 3), "torch 0.weight")  # the permuted (3, 2) does not fit
    with pytest.raises(LayoutError, match="has shape"):
        Layout("kernel").to_framework(weight.ravel(), (2, 3), "tf 0.weight")  # never reshaped silently


def test_a_layout_reorders_gate_blocks_both_ways_and_only_where_declared():
    kernel = np.arange(12.0).reshape(2, 6)  # scratch (F, 3H), GRU blocks z, r, h of H = 2
    torch_gru = Layout("weight_ih_l0", permutation=(1, 0), blocks=(1, 0, 2))  # torch: r, z, n
    moved = torch_gru.to_framework(kernel, (6, 2), "torch 0.kernel")
    np.testing.assert_array_equal(moved[:2], kernel[:, 2:4].T)  # torch's first block: scratch's r
    np.testing.assert_array_equal(moved[2:4], kernel[:, :2].T)
    np.testing.assert_array_equal(torch_gru.from_framework(moved), kernel)
    rotate = Layout("bias", blocks=(2, 0, 1))  # not its own inverse: the way back must undo it
    bias = np.arange(6.0)
    np.testing.assert_array_equal(rotate.to_framework(bias, (6,), "b"), [4, 5, 0, 1, 2, 3])
    np.testing.assert_array_equal(rotate.from_framework(rotate.to_framework(bias, (6,), "b")), bias)
    with pytest.raises(LayoutError, match="does not split into 3 equal blocks"):
        rotate.to_framework(np.arange(7.0), (7,), "b")
    layouts = {"lstm": {"kernel": Layout("k"),
                        "initial_h": Layout("h", when="learned_initial_state", when_default=False)}}
    keys = [key for _, key, _ in declared_tensors([{"type": "lstm"}, {"type": "lstm",
                                                   "learned_initial_state": True}], layouts)]
    assert keys == ["0.kernel", "1.kernel", "1.initial_h"]


@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
def test_integer_ids_have_no_gradient_and_the_embedding_gradient_sums_repeats(framework):
    """An embedding's input is int64 ids: no grad_input, no gradient row for it, no crash; the repeated id's
    row of dW is the sum of its upstream rows on both sides (Keras's IndexedSlices summed dense)."""
    if get_adapter(framework).unavailable_reason():
        pytest.skip(get_adapter(framework).unavailable_reason())
    outcome = compare_case(case_by_id("embedding_repeated_ids"), framework, "float64")
    batch, results = outcome.extras["batch"], outcome.extras["results"]
    assert batch.x.dtype == np.int64 and batch.x.flat[-1] == batch.x.flat[0] and batch.dtype == "float64"
    for side in results.values():
        assert side["grad_input"] == {} and side["grad_activation"] == {}
    grad = results["framework"]["grad_param"]["0.weight"]
    np.testing.assert_allclose(grad[batch.x.flat[0]], batch.upstream[batch.x == batch.x.flat[0]].sum(axis=0))
    assert {(r["quantity"], r["status"]) for r in outcome.rows} == {
        ("param_copy", "passed"), ("activation", "passed"), ("output", "passed"), ("grad_param", "passed")}


def test_cases_without_named_frameworks_run_on_every_reference_that_runs_their_kind():
    for case in all_cases():
        runs_it = tuple(f for f in reference_frameworks() if case.kind in profile(f).kinds)
        expected = case.frameworks or runs_it
        assert frameworks_for(case) == expected and expected, case.id
    assert frameworks_for(case_by_id("perceptron_and")) == ("sklearn",)
    assert frameworks_for(case_by_id("mlp_spiral_cce")) == ("torch", "tensorflow", "jax")


def test_a_case_a_profile_cannot_run_is_skipped_with_the_reason(monkeypatch):
    torch_adapter = get_adapter("torch")
    narrowed = replace(torch_adapter.PROFILE, layers=frozenset(LAYER_TYPES) - {"relu"})
    monkeypatch.setattr(torch_adapter, "PROFILE", narrowed)
    [row] = compare_case(case_by_id("mlp_spiral_cce"), "torch", "float64").rows
    assert (row["status"], row["reason"]) == ("skipped", "torch has no layer type 'relu'")
    [row] = compare_case(case_by_id("perceptron_and"), "torch", "float64").rows
    assert row["status"] == "skipped" and row["reason"].startswith("torch does not run perceptron cases")


# ----- layer conventions: the scratch options that compute each framework's formula -----

def test_a_frameworks_layer_conventions_reach_only_the_implementations_spec():
    case = case_by_id("bn1d_train")
    assert implementation_spec(case, "torch")["layers"][0]["running_variance"] == "unbiased"
    assert implementation_spec(case, "tensorflow")["layers"][0]["running_variance"] == "biased"
    assert "running_variance" not in case.model_spec()["layers"][0]  # the frameworks' spec
    given = dataclasses.replace(case, options={"scratch_layer_conventions": {}})
    assert implementation_spec(given, "torch") == case.model_spec()
    assert "running_variance" in requested_options(case, "torch")


def _with_conventions(case_id: str, conventions: dict):
    case = case_by_id(case_id)
    return dataclasses.replace(case, options={**case.options, "scratch_layer_conventions": conventions})


@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
def test_the_other_running_variance_differs_in_running_var_alone_by_exactly_the_bessel_factor(framework):
    """torch's running_var blends var_B n/(n-1), Keras's var_B: scratch told the other framework's
    convention fails only there, by m var_B / (n - 1) (batch of 8, m = 0.1), and passes with its own."""
    if get_adapter(framework).unavailable_reason():
        pytest.skip(get_adapter(framework).unavailable_reason())
    other = "biased" if framework == "torch" else "unbiased"
    outcome = compare_case(_with_conventions("bn1d_train", {"batchnorm1d": {"running_variance": other}}),
                           framework, "float64")
    failed = [(r["quantity"], r["tensor"]) for r in outcome.rows if r["status"] != "passed"]
    assert failed == [("buffer", "0.running_var")]
    x = outcome.extras["batch"].x
    mine, theirs = (outcome.extras["results"][side]["buffer"]["0.running_var"]
                    for side in ("scratch", "framework"))
    sign = 1 if framework == "torch" else -1
    np.testing.assert_allclose(sign * (theirs - mine), 0.1 * x.var(axis=0) / (len(x) - 1), rtol=1e-12)
    assert compare_case(case_by_id("bn1d_train"), framework, "float64").first_divergence is None


@pytest.mark.parametrize(("case_id", "framework", "conventions", "bound"), [
    ("act_softplus_extreme", "torch", {"softplus": {"threshold": None}}, 1e-8),  # (1 + |g|) e^-20
    ("act_gelu_normal", "tensorflow", {"gelu": {"float32_constants": False}}, 1e-7),
    ("act_gelu_tanh_normal", "tensorflow", {"gelu": {"float32_constants": False}}, 1e-7),
    ("mha_e8_h4_causal", "tensorflow", {"multi_head_attention": {"float32_scale": False}}, 1e-6),
])
def test_without_its_layer_convention_a_framework_differs_in_float64_by_a_rounding_of_its_formula(
        case_id, framework, conventions, bound):
    """torch's softplus is x above 20 (gradient 1), tf.nn.gelu rounds its constants to float32: scratch
    without the option differs by more than float64's tolerance and less than `bound`; with it, agrees."""
    if get_adapter(framework).unavailable_reason():
        pytest.skip(get_adapter(framework).unavailable_reason())
    outcome = compare_case(_with_conventions(case_id, conventions), framework, "float64")
    failed = [r for r in outcome.rows if r["status"] != "passed"]
    assert failed and max(r["max_abs_err"] for r in failed) < bound
    assert compare_case(case_by_id(case_id), framework, "float64").first_divergence is None


@pytest.mark.parametrize(("case_id", "framework", "kink", "alpha"), [
    ("act_leaky_relu_kink", "jax", 1.0, 0.25),  # jax.nn.leaky_relu: where(x >= 0, x, slope*x)
    ("act_prelu_shared_kink", "tensorflow", 0.0, 0.25),  # Keras PReLU: relu(x) - alpha*relu(-x)
])
def test_without_its_kink_derivative_a_framework_differs_at_the_zeros_alone_by_exactly_kink_minus_alpha(
        case_id, framework, kink, alpha):
    """scratch's derivative at x = 0 is alpha (torch); without the framework's kink_derivative option the
    input gradient differs only where x == 0, by (kink - alpha) g; with the profile's option it agrees."""
    if get_adapter(framework).unavailable_reason():
        pytest.skip(get_adapter(framework).unavailable_reason())
    layer_type = case_by_id(case_id).layers[0]["type"]
    outcome = compare_case(_with_conventions(case_id, {layer_type: {}}), framework, "float64")
    failed = {r["quantity"] for r in outcome.rows if r["status"] != "passed"}
    assert failed == {"grad_activation", "grad_input"}
    x = outcome.extras["batch"].x
    mine, theirs = (outcome.extras["results"][side]["grad_input"]["input"]
                    for side in ("scratch", "framework"))
    assert (x == 0).any()
    np.testing.assert_allclose(theirs - mine, np.where(x == 0, (kink - alpha) / alpha * mine, 0.0),
                               rtol=0, atol=1e-15)
    assert compare_case(case_by_id(case_id), framework, "float64").first_divergence is None
