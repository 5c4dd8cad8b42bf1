"""The cross-entropy convention options (docs/conventions.md §3): each one's gradient is the derivative
of its value where that is differentiable, its saturated values by hand, and bad options rejected."""

import numpy as np
import pytest

from scratch.losses import BinaryCrossEntropy, CategoricalCrossEntropy
from tests.helpers.gradcheck import assert_gradients_match, numeric_gradient
from tests.unit.training.test_losses import K, N, one_hot, random_probabilities


@pytest.mark.parametrize("renormalise", [None, "before_clip", "after_clip", "keras"])
@pytest.mark.parametrize("probability_clip", ["textbook", "zero_gradient", None])
@pytest.mark.parametrize("label_form", ["sparse", "one-hot"])
def test_categorical_gradient_matches_finite_differences_of_value(renormalise, probability_clip, label_form):
    """Away from the clip every option's gradient is d value / d p, also for rows not summing to 1."""
    rng = np.random.default_rng(3)
    pred = random_probabilities(rng, (N, K)) * rng.uniform(0.5, 0.9, (N, 1))  # row sums below 1
    labels = rng.integers(0, K, N)
    target = labels if label_form == "sparse" else one_hot(labels, K)
    loss = CategoricalCrossEntropy(probability_clip=probability_clip, renormalise=renormalise)
    numeric = numeric_gradient(lambda: float(loss.value(pred, target)), pred)
    assert_gradients_match(loss.gradient(pred, target), numeric, f"{loss!r} gradient")


def test_renormalising_adds_one_over_n_times_the_row_sum_to_every_component():
    """d/dp_j of -log(p_y / S) is the textbook -[j = y]/p_y plus 1/S (mean: divided by N)."""
    rng = np.random.default_rng(0)
    pred, labels = random_probabilities(rng, (N, K)), rng.integers(0, K, N)
    textbook = CategoricalCrossEntropy().gradient(pred, labels)
    for renormalise in ("before_clip", "after_clip"):
        got = CategoricalCrossEntropy(renormalise=renormalise).gradient(pred, labels)
        np.testing.assert_allclose(got - textbook, 1 / (N * pred.sum(axis=1, keepdims=True)) + 0 * pred,
                                   rtol=1e-12, atol=1e-15)


def test_keras_renormalises_one_hot_labels_before_the_clip_and_sparse_ones_after_it():
    """At p_y = 1e-12 Keras's categorical form clips p_y / S (gradient 0); its sparse form clips first, so
    the unclipped classes keep 1/sum(clip(p)) / N."""
    pred = np.array([[1e-12, 0.5, 0.5 - 1e-12]])
    loss = CategoricalCrossEntropy(probability_clip="zero_gradient", renormalise="keras")
    np.testing.assert_array_equal(loss.gradient(pred, one_hot(np.array([0]), 3)), np.zeros((1, 3)))
    sparse = loss.gradient(pred, np.array([0]))
    np.testing.assert_allclose(sparse, [[0.0, 1 / (1 + 1e-7 - 1e-12), 1 / (1 + 1e-7 - 1e-12)]], rtol=1e-15)
    assert float(loss.value(pred, np.array([0]))) == pytest.approx(np.log(1 + 1e-7 - 1e-12) - np.log(1e-7))


def test_probability_clip_none_and_zero_gradient_at_saturated_probabilities():
    pred, labels = np.array([[1e-12, 1 - 1e-12], [0.25, 0.75]]), np.array([0, 1])
    assert float(CategoricalCrossEntropy().value(pred, labels)) == pytest.approx(
        (-np.log(1e-7) - np.log(0.75)) / 2)
    assert float(CategoricalCrossEntropy(probability_clip=None).value(pred, labels)) == pytest.approx(
        (-np.log(1e-12) - np.log(0.75)) / 2)
    zero = CategoricalCrossEntropy(probability_clip="zero_gradient").gradient(pred, labels)
    np.testing.assert_allclose(zero, [[0.0, 0.0], [0.0, -1 / (2 * 0.75)]], rtol=1e-15)
    assert CategoricalCrossEntropy().gradient(pred, labels)[0, 0] == pytest.approx(-1 / (2 * 1e-12))


def test_torch_binary_crossentropy_floors_the_log_and_the_denominator():
    """max(log p, -100) in the value; (p - y) / max(p (1 - p), floor) / numel in the gradient."""
    pred, target = np.array([[0.0, 1.0, 0.5, 1e-9]]), np.array([[1.0, 0.0, 1.0, 1.0]])
    torch_like = BinaryCrossEntropy(probability_clip=None, log_floor=-100.0, denominator_floor=1e-12)
    expected = (100 + 100 - np.log(0.5) - np.log(1e-9)) / 4
    assert float(torch_like.value(pred, target)) == pytest.approx(expected, rel=1e-12)
    got = torch_like.gradient(pred, target)
    np.testing.assert_allclose(got, [[-1e12 / 4, 1e12 / 4, -2 / 4, (1e-9 - 1) / (1e-9 * (1 - 1e-9)) / 4]],
                               rtol=1e-12)


def test_zero_gradient_binary_clip_drops_the_gradient_outside_the_interval():
    pred, target = np.array([[0.0, 1e-9, 0.5, 1.0]]), np.array([[1.0, 1.0, 0.0, 0.0]])
    textbook = BinaryCrossEntropy().gradient(pred, target)
    zero = BinaryCrossEntropy(probability_clip="zero_gradient").gradient(pred, target)
    np.testing.assert_array_equal(zero, [[0.0, 0.0, textbook[0, 2], 0.0]])
    assert textbook[0, 0] == pytest.approx(-1 / (4 * 1e-7))
    assert float(BinaryCrossEntropy(probability_clip="zero_gradient").value(pred, target)) == float(
        BinaryCrossEntropy().value(pred, target))


@pytest.mark.parametrize(("build", "message"), [
    (lambda: BinaryCrossEntropy(probability_clip="clamp"), "probability_clip 'clamp'; known: 'textbook'"),
    (lambda: CategoricalCrossEntropy(renormalise=True), "renormalise True; known: None, 'before_clip'"),
    (lambda: BinaryCrossEntropy(denominator_floor=0.0), "denominator_floor"),
])
def test_unknown_options_name_the_known_ones(build, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        build()
