"""Each framework's profile selects scratch loss options that compute its own cross-entropy formula
(docs/conventions.md §3, §16): without an option a loss case differs from the framework by exactly what
the option changes (computed by scratch alone), with the profile's options it agrees."""

import dataclasses

import numpy as np
import pytest

from comparisons.adapters import get_adapter, profile
from comparisons.cases import case_by_id
from comparisons.kinds.dispatch import compare_case, requested_options
from comparisons.kinds.passes import loss_conventions
from scratch.registry import build_loss

# (case, framework, the profile's options it drops): torch's three BCE options only together (one
# alone leaves log 0 or a 1/0 at p = 0), each of Keras's two categorical ones alone (renormalising before
# the clip changes nothing on the saturated one-hot case: its clipped rows have no gradient either way).
WITHOUT = [
    ("loss_binary_crossentropy_binary_saturated", "torch", ("probability_clip", "log_floor",
                                                            "denominator_floor")),
    ("loss_binary_crossentropy_binary_saturated", "tensorflow", ("probability_clip",)),
    ("loss_binary_crossentropy_binary_saturated", "jax", ("probability_clip",)),
    ("loss_categorical_crossentropy_onehot_saturated", "torch", ("probability_clip",)),
    ("loss_categorical_crossentropy_sparse_saturated", "torch", ("probability_clip",)),
    ("loss_categorical_crossentropy_onehot_saturated", "tensorflow", ("probability_clip",)),
    ("loss_categorical_crossentropy_sparse_saturated", "tensorflow", ("probability_clip",)),
    ("loss_categorical_crossentropy_sparse_saturated", "tensorflow", ("renormalise",)),
    ("loss_categorical_crossentropy_onehot", "tensorflow", ("renormalise",)),
    ("loss_categorical_crossentropy_sparse", "tensorflow", ("renormalise",)),
    ("loss_categorical_crossentropy_sum_sparse", "tensorflow", ("renormalise",)),
    ("loss_categorical_crossentropy_onehot_saturated", "jax", ("probability_clip",)),
    ("loss_categorical_crossentropy_sparse_saturated", "jax", ("probability_clip",)),
]
QUANTITY = {"loss": lambda loss, batch: loss.value(batch.x, batch.targets),
            "grad_input": lambda loss, batch: loss.gradient(batch.x, batch.targets)}


def _skip_without(framework: str) -> None:
    reason = get_adapter(framework).unavailable_reason()
    if reason:
        pytest.skip(reason)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("case_id", "framework", "dropped"), WITHOUT)
def test_without_its_loss_option_a_case_differs_by_exactly_what_the_option_changes(case_id, framework,
                                                                                  dropped, dtype):
    _skip_without(framework)
    case = case_by_id(case_id)
    with_options = loss_conventions(case, framework)
    assert set(dropped) <= set(with_options), f"{framework}'s profile selects no {dropped} here"
    without = {key: value for key, value in with_options.items() if key not in dropped}
    changed = dataclasses.replace(case, options={**case.options, "scratch_loss_conventions": without})
    outcome = compare_case(changed, framework, dtype)
    failed = [row for row in outcome.rows if row["status"] != "passed"]
    assert failed, f"{case_id} on {framework} agrees without {dropped}: the option changes nothing here"
    assert {row["status"] for row in failed} == {"failed"}  # no known difference absorbs it any more
    batch, name = outcome.extras["batch"], case.loss
    for row in failed:
        mine = QUANTITY[row["quantity"]](build_loss(name, with_options), batch)
        textbook = QUANTITY[row["quantity"]](build_loss(name, without), batch)
        amount = float(np.max(np.abs(np.asarray(mine, np.float64) - np.asarray(textbook, np.float64))))
        assert row["max_abs_err"] == pytest.approx(amount, rel=1e-3), (row["quantity"], row["max_abs_err"])
    agreed = compare_case(case, framework, dtype)
    assert agreed.first_divergence is None and {row["status"] for row in agreed.rows} == {"passed"}


@pytest.mark.parametrize(("case_id", "framework", "expected"), [
    ("loss_binary_crossentropy_binary_saturated", "torch", {"probability_clip", "log_floor",
                                                           "denominator_floor"}),
    ("loss_binary_crossentropy_binary", "torch", set()),  # p in (0.02, 0.98): the clip never acts
    ("loss_categorical_crossentropy_onehot", "tensorflow", {"renormalise"}),
    ("loss_categorical_crossentropy_sparse_saturated", "tensorflow", {"probability_clip", "renormalise"}),
    ("loss_categorical_crossentropy_logits_sparse_saturated", "tensorflow", set()),
    ("mlp_spiral_cce", "torch", set()),  # a softmax output, not declared saturated
    ("loss_softmax_categorical_crossentropy_sparse_saturated", "jax", {"probability_clip"}),  # fused
    ("proj_nnfs_ch15_spiral_dropout_adam_teacher", "tensorflow", set()),  # the book's clip: known difference
    ("proj_nnfs_ch16_spiral_binary_adam_teacher", "torch", set()),  # sigmoid + BCE: not declared
])
def test_loss_options_are_requested_exactly_where_they_can_change_a_value(case_id, framework, expected):
    case = case_by_id(case_id)
    assert set(loss_conventions(case, framework)) == expected
    assert expected <= requested_options(case, framework)


def test_the_profiles_select_the_documented_formulas():
    """torch: no clip, log floor -100, torch's float 1e-12 under p(1 - p); Keras and the JAX reference: a
    clip passing no gradient outside, Keras renormalising categorical probabilities."""
    torch_bce = profile("torch").loss_conventions["binary_crossentropy"]
    assert torch_bce == {"probability_clip": None, "log_floor": -100.0,
                         "denominator_floor": float(np.float32(1e-12))}
    assert profile("tensorflow").loss_conventions["categorical_crossentropy"] == {
        "probability_clip": "zero_gradient", "renormalise": "keras"}
    assert profile("jax").loss_conventions["categorical_crossentropy_sum"] == {
        "probability_clip": "zero_gradient"}
    assert profile("scratch").loss_conventions == {}
    for framework in ("torch", "tensorflow", "jax"):  # after a softmax every framework reads the logits
        fused = profile(framework).loss_conventions["categorical_crossentropy_logits"]
        assert fused == {"probability_clip": None}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("framework", ["torch", "tensorflow", "jax"])
def test_after_a_softmax_the_unclipped_value_is_every_frameworks_from_logits_loss(framework, dtype):
    """Softmax + CCE on logits +-30/40 on the wrong side (p_true ~ e^-70): the frameworks take log-softmax
    of the logits; scratch's nnfs value clips p_true at 1e-7 and is lower by exactly the mean of
    -log p_true - (-log 1e-7); with UNCLIPPED_FUSED (probability_clip=None) it agrees: the proof of the
    projects' known differences, which keep the book's clip."""
    _skip_without(framework)
    case = case_by_id("loss_softmax_categorical_crossentropy_sparse_saturated")
    assert loss_conventions(case, framework) == {"probability_clip": None}
    assert "probability_clip" in requested_options(case, framework)
    nnfs = compare_case(dataclasses.replace(case, options={"scratch_loss_conventions": {}}), framework, dtype)
    failed = [row for row in nnfs.rows if row["status"] != "passed"]
    assert [(row["quantity"], row["status"]) for row in failed] == [("loss", "failed")]  # gradients agree
    probs = nnfs.extras["results"]["scratch"]["output"]["output"]
    amount = abs(float(build_loss("categorical_crossentropy", {"probability_clip": None}).value(
        probs, nnfs.extras["batch"].targets)) - float(build_loss("categorical_crossentropy").value(
        probs, nnfs.extras["batch"].targets)))
    assert failed[0]["max_abs_err"] == pytest.approx(amount, rel=1e-5)
    agreed = compare_case(case, framework, dtype)
    assert {row["status"] for row in agreed.rows} == {"passed"}
