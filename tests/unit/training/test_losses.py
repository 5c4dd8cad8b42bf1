"""Scratch losses: finite differences, hand values, dtypes, extreme inputs and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratch.activations import Sigmoid, Softmax
from scratch.losses import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    MeanAbsoluteError,
    MeanSquaredError,
    softmax_crossentropy_gradient,
)
from scratch.registry import LOSSES, build_loss
from tests.helpers.gradcheck import assert_gradients_match, numeric_gradient

N, K = 5, 3


def random_probabilities(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Rows of positive probabilities summing to 1, none below ~0.05 (far from the 1e-7 clip)."""
    raw = rng.uniform(0.2, 1.0, shape)
    return raw / raw.sum(axis=1, keepdims=True)


def one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    return np.eye(n_classes)[labels]


def make_case(name: str, rng: np.random.Generator, label_form: str = "sparse"):
    """(pred, target) in float64 for a loss name, kept off kinks and clips."""
    if name in ("mse", "mae", "half_mse"):
        target = rng.standard_normal((N, K))
        return target + rng.uniform(0.1, 2.0, (N, K)) * rng.choice([-1.0, 1.0], (N, K)), target  # |ŷ-y| >= .1
    if name == "binary_crossentropy":
        return rng.uniform(0.05, 0.95, (N, 1)), rng.uniform(0.0, 1.0, (N, 1))  # soft targets too
    if name == "binary_crossentropy_logits":
        return rng.standard_normal((N, 2)) * 3, rng.integers(0, 2, (N, 2)).astype(float)
    labels = rng.integers(0, K, N)
    target = labels if label_form == "sparse" else one_hot(labels, K)
    if name in ("categorical_crossentropy", "categorical_crossentropy_sum"):
        return random_probabilities(rng, (N, K)), target
    return rng.standard_normal((N, K)) * 2, target  # categorical_crossentropy_logits[_sum]


CASES = [(name, "sparse") for name in sorted(LOSSES)] + [
    ("categorical_crossentropy", "one-hot"),
    ("categorical_crossentropy_logits", "one-hot"),
    ("categorical_crossentropy_sum", "one-hot"),
    ("categorical_crossentropy_logits_sum", "one-hot"),
]


def test_registry_has_every_loss_with_its_kind_and_reduction():
    assert sorted(LOSSES) == sorted(["mse", "half_mse", "mae", "binary_crossentropy",
                                     "binary_crossentropy_logits", "categorical_crossentropy",
                                     "categorical_crossentropy_logits", "categorical_crossentropy_sum",
                                     "categorical_crossentropy_logits_sum"])
    for name in LOSSES:
        loss = build_loss(name)
        reduction = "sum" if name.endswith("_sum") else "mean"
        assert loss.kind == name and loss.reduction == reduction and loss.name


def test_unknown_loss_lists_the_known_names():
    with pytest.raises(KeyError, match="unknown loss 'hinge'; known: binary_crossentropy, "):
        build_loss("hinge")


@pytest.mark.parametrize(("name", "label_form"), CASES)
def test_gradient_matches_finite_differences_of_value(name, label_form):
    rng = np.random.default_rng(20)
    loss = build_loss(name)
    pred, target = make_case(name, rng, label_form)
    analytic = loss.gradient(pred, target)
    numeric = numeric_gradient(lambda: float(loss.value(pred, target)), pred)
    assert_gradients_match(analytic, numeric, f"{name} ({label_form}) gradient")


@pytest.mark.parametrize(("name", "label_form"), CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved_and_value_is_0d(name, label_form, dtype):
    rng = np.random.default_rng(21)
    loss = build_loss(name)
    pred, target = make_case(name, rng, label_form)
    pred = pred.astype(dtype)  # the target stays float64 / int: it must not upcast float32 work
    value, gradient = loss.value(pred, target), loss.gradient(pred, target)
    assert isinstance(value, np.ndarray) and value.shape == () and value.dtype == dtype
    assert gradient.dtype == dtype and gradient.shape == pred.shape


def test_mse_and_mae_by_hand():
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    target = np.array([[0.0, 2.0], [5.0, 4.0]])  # ŷ - y = [[1, 0], [-2, 0]], numel 4
    assert float(MeanSquaredError().value(pred, target)) == (1 + 0 + 4 + 0) / 4  # 1.25
    np.testing.assert_array_equal(MeanSquaredError().gradient(pred, target), [[0.5, 0.0], [-1.0, 0.0]])
    assert float(MeanAbsoluteError().value(pred, target)) == (1 + 0 + 2 + 0) / 4  # 0.75
    # sign(ŷ - y) / 4: + where the prediction is too high (torch L1Loss); nnfs would give the negative
    np.testing.assert_array_equal(MeanAbsoluteError().gradient(pred, target), [[0.25, 0.0], [-0.25, 0.0]])


def test_half_mse_is_half_the_mse_and_seed_07s_squared_error():
    # seed 07: one output a2 = 0.67013076 against y = 1: 1/2 (y - a)^2 = 0.05440686, dL/da = a - y
    pred, target = np.array([[0.67013076]]), np.array([[1.0]])
    half = build_loss("half_mse")
    assert float(half.value(pred, target)) == pytest.approx(0.5 * (1 - 0.67013076) ** 2, rel=1e-15)
    assert float(half.value(pred, target)) == pytest.approx(0.05440686, abs=5e-9)
    np.testing.assert_array_equal(half.gradient(pred, target), pred - target)
    rng = np.random.default_rng(25)
    pred, target = rng.standard_normal((N, K)), rng.standard_normal((N, K))
    assert float(half.value(pred, target)) == 0.5 * float(MeanSquaredError().value(pred, target))
    np.testing.assert_array_equal(half.gradient(pred, target),
                                  0.5 * MeanSquaredError().gradient(pred, target))


@pytest.mark.parametrize("from_logits", [False, True])
def test_summed_crossentropy_is_n_times_the_mean(from_logits):
    rng = np.random.default_rng(26)
    labels = rng.integers(0, K, N)
    pred = rng.standard_normal((N, K)) if from_logits else random_probabilities(rng, (N, K))
    mean = CategoricalCrossEntropy(from_logits=from_logits)
    summed = CategoricalCrossEntropy(from_logits=from_logits, reduction="sum")
    assert float(summed.value(pred, labels)) == pytest.approx(N * float(mean.value(pred, labels)), rel=1e-14)
    np.testing.assert_allclose(summed.gradient(pred, labels), N * mean.gradient(pred, labels), rtol=1e-14)
    probs = Softmax().forward(pred) if from_logits else pred  # fused softmax path: p - onehot, no /N
    np.testing.assert_allclose(softmax_crossentropy_gradient(probs, labels, "sum"),
                               probs - one_hot(labels, K), rtol=0, atol=1e-15)


def test_unknown_reduction_names_the_known_ones():
    with pytest.raises(ValueError, match="CategoricalCrossEntropy: unknown reduction 'none'; known: mean"):
        CategoricalCrossEntropy(reduction="none")
    with pytest.raises(ValueError, match="MeanSquaredError: scale must be a finite number"):
        MeanSquaredError(scale=0.0)


def test_binary_crossentropy_by_hand():
    pred, target = np.array([[0.8], [0.3]]), np.array([[1.0], [0.0]])
    expected = (-math.log(0.8) - math.log(0.7)) / 2  # (0.22314355 + 0.35667494) / 2
    assert float(BinaryCrossEntropy().value(pred, target)) == pytest.approx(expected, rel=1e-15)
    # -(y/p - (1-y)/(1-p)) / N = [-1/0.8, 1/0.7] / 2
    np.testing.assert_allclose(BinaryCrossEntropy().gradient(pred, target), [[-0.625], [1 / 1.4]], rtol=1e-15)


def test_binary_crossentropy_clips_saturated_probabilities():
    # docs/conventions.md §3: p = [0, 1e-9, 1 - 1e-9, 1], opposite labels: -ln(1e-7) = 16.118 each
    # (nnfs, Keras).
    pred = np.array([[0.0], [1e-9], [1 - 1e-9], [1.0]])
    target = np.array([[1.0], [1.0], [0.0], [0.0]])
    assert float(BinaryCrossEntropy().value(pred, target)) == pytest.approx(7 * math.log(10), rel=1e-9)
    assert np.all(np.isfinite(BinaryCrossEntropy().gradient(pred, target)))  # uses the clipped p


def test_binary_crossentropy_logits_at_30():
    # docs/conventions.md §3: logits +-30 with opposite labels: softplus(30) = 30 + ln(1 + e^-30) = 30.0000...
    pred, target = np.array([[30.0], [-30.0]]), np.array([[0.0], [1.0]])
    expected = 30 + math.log1p(math.exp(-30))
    value = BinaryCrossEntropy(from_logits=True).value(pred, target)
    assert float(value) == pytest.approx(expected, rel=1e-15)
    # the probability form saturates at the clip: -ln(1e-7) = 16.118 (docs/conventions.md §3, "nnfs 16.12")
    probs = Sigmoid().forward(pred)
    assert float(BinaryCrossEntropy().value(probs, target)) == pytest.approx(7 * math.log(10), rel=1e-6)


def test_categorical_crossentropy_clip_versus_logits():
    # docs/conventions.md §3: logits [[40, 0, 0], [0, 0, 0]], labels [1, 0].
    # probabilities: p = e^-40 / (1 + 2 e^-40) clipped to 1e-7 -> 16.1181, and 1/3 -> ln 3; mean 8.608
    # logits: 40 + ln(1 + 2 e^-40) and ln 3; mean 20.549
    logits, labels = np.array([[40.0, 0.0, 0.0], [0.0, 0.0, 0.0]]), np.array([1, 0])
    probs = Softmax().forward(logits)
    assert float(CategoricalCrossEntropy().value(probs, labels)) == pytest.approx(
        (7 * math.log(10) + math.log(3)) / 2, rel=1e-12)
    assert float(CategoricalCrossEntropy(from_logits=True).value(logits, labels)) == pytest.approx(
        (40 + math.log1p(2 * math.exp(-40)) + math.log(3)) / 2, rel=1e-15)


def test_logits_and_probability_forms_agree_away_from_the_clip():
    rng = np.random.default_rng(22)
    logits, labels = rng.standard_normal((N, K)), rng.integers(0, K, N)
    probs = Softmax().forward(logits)
    assert float(CategoricalCrossEntropy().value(probs, labels)) == pytest.approx(
        float(CategoricalCrossEntropy(from_logits=True).value(logits, labels)), rel=1e-14)
    targets = rng.integers(0, 2, (N, K)).astype(float)
    assert float(BinaryCrossEntropy().value(Sigmoid().forward(logits), targets)) == pytest.approx(
        float(BinaryCrossEntropy(from_logits=True).value(logits, targets)), rel=1e-14)


@pytest.mark.parametrize("label_form", ["sparse", "one-hot"])
def test_softmax_backward_chained_with_cce_equals_the_fused_gradient(label_form):
    rng = np.random.default_rng(23)
    logits, labels = rng.standard_normal((6, 4)) * 2, rng.integers(0, 4, 6)
    target = labels if label_form == "sparse" else one_hot(labels, 4)
    softmax = Softmax()
    probs = softmax.forward(logits)
    chained = softmax.backward(CategoricalCrossEntropy().gradient(probs, target))
    fused = softmax_crossentropy_gradient(probs, target)  # (p - onehot) / N
    np.testing.assert_allclose(chained, fused, rtol=0, atol=1e-12)
    np.testing.assert_allclose(CategoricalCrossEntropy(from_logits=True).gradient(logits, target), fused,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_gradient_is_p_minus_onehot_over_n_bit_for_bit_and_leaves_p_alone(dtype, reduction):
    rng = np.random.default_rng(25)
    probs, labels = random_probabilities(rng, (7, 4)).astype(dtype), rng.integers(0, 4, 7)
    probs_before = probs.copy()
    expected = probs - one_hot(labels, 4).astype(dtype)
    expected = expected / 7 if reduction == "mean" else expected
    fused = softmax_crossentropy_gradient(probs, labels, reduction)
    assert fused.dtype == dtype
    assert fused.tobytes() == expected.tobytes()
    assert probs.tobytes() == probs_before.tobytes()


def test_sigmoid_backward_chained_with_bce_equals_the_logits_gradient():
    rng = np.random.default_rng(24)
    logits, targets = rng.standard_normal((6, 2)), rng.uniform(0, 1, (6, 2))
    sigmoid = Sigmoid()
    probs = sigmoid.forward(logits)
    chained = sigmoid.backward(BinaryCrossEntropy().gradient(probs, targets))
    np.testing.assert_allclose(chained, (probs - targets) / probs.size, rtol=0, atol=1e-12)
    np.testing.assert_allclose(BinaryCrossEntropy(from_logits=True).gradient(logits, targets), chained,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logit_losses_raise_no_floating_point_error_at_1000(dtype):
    logits = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]], dtype=dtype)
    binary_targets = np.array([[0.0, 0.0], [1.0, 1.0]])
    with np.errstate(all="raise"):
        bce = BinaryCrossEntropy(from_logits=True)
        value, gradient = bce.value(logits, binary_targets), bce.gradient(logits, binary_targets)
        cce = CategoricalCrossEntropy(from_logits=True)
        cce_value, cce_gradient = cce.value(logits, np.array([1, 1])), cce.gradient(logits, np.array([1, 1]))
    # BCE elementwise max(z, 0) - z y + ln(1 + e^-|z|): (1000, y 0) 1000; (-1000, 0) 0; (-1000, 1) 1000;
    # (1000, 1) 0 -> mean 500. Gradient (sigmoid(z) - y) / 4. CCE: row 1 -log_softmax = 2000, row 2 0.
    assert float(value) == 500.0
    np.testing.assert_array_equal(gradient, np.array([[1.0, 0.0], [-1.0, 0.0]], dtype=dtype) / 4)
    assert float(cce_value) == 1000.0  # row 1: 2000 / 2, row 2: 0
    np.testing.assert_array_equal(cce_gradient, np.array([[1.0, -1.0], [0.0, 0.0]], dtype=dtype) / 2)


# --- bad input: every message names the loss and the expected vs actual shape / dtype / range ---


def test_prediction_label_batch_size_mismatch():
    with pytest.raises(ValueError, match=r"CategoricalCrossEntropy: labels must have shape "
                                         r"\(3,\) or \(3, 2\), got \(4,\)"):
        CategoricalCrossEntropy().value(np.full((3, 2), 0.5), np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match=r"CategoricalCrossEntropy: one-hot labels must have shape \(3, 2\), "
                                         r"got \(4, 2\)"):
        CategoricalCrossEntropy().gradient(np.full((3, 2), 0.5), np.eye(2)[[0, 1, 0, 1]])
    with pytest.raises(ValueError, match=r"MeanSquaredError: targets must have the predictions' shape "
                                         r"\(3, 1\), got \(4, 1\)"):
        MeanSquaredError().value(np.zeros((3, 1)), np.zeros((4, 1)))


@pytest.mark.parametrize("bad_labels", [np.array([0, 2]), np.array([-1, 0])])
def test_labels_out_of_range(bad_labels):
    with pytest.raises(ValueError, match=r"CategoricalCrossEntropy: labels must lie in \[0, 1\]"):
        CategoricalCrossEntropy(from_logits=True).value(np.zeros((2, 2)), bad_labels)


def test_non_integer_sparse_labels():
    with pytest.raises(TypeError, match="CategoricalCrossEntropy: sparse labels must be integers, "
                                        "got dtype float64"):
        CategoricalCrossEntropy().value(np.full((2, 2), 0.5), np.array([0.0, 1.0]))


def test_one_hot_of_the_wrong_width():
    with pytest.raises(ValueError, match=r"one-hot labels must have shape \(2, 3\), got \(2, 2\)"):
        CategoricalCrossEntropy().value(np.full((2, 3), 1 / 3), np.eye(2))


def test_soft_or_broken_one_hot_labels_are_rejected():
    with pytest.raises(ValueError, match="CategoricalCrossEntropy: 2-D labels must be one-hot"):
        CategoricalCrossEntropy().value(np.full((2, 2), 0.5), np.array([[0.9, 0.1], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="CategoricalCrossEntropy: one-hot labels contain NaN or Inf"):
        CategoricalCrossEntropy().value(np.full((2, 2), 0.5), np.array([[np.nan, 1.0], [0.0, 1.0]]))


@pytest.mark.parametrize(("name", "label_form"), CASES)
@pytest.mark.parametrize("bad_value", [np.nan, np.inf])
def test_nan_or_inf_predictions(name, label_form, bad_value):
    pred, target = make_case(name, np.random.default_rng(25), label_form)
    pred[1, 0] = bad_value
    loss = build_loss(name)
    for method in (loss.value, loss.gradient):
        with pytest.raises(ValueError, match=rf"{loss.name}: predictions contains NaN or Inf .*\(1, 0\)"):
            method(pred, target)


@pytest.mark.parametrize("name", ["mse", "mae", "binary_crossentropy", "binary_crossentropy_logits"])
def test_nan_targets(name):
    pred, target = make_case(name, np.random.default_rng(26))
    target[0, 0] = np.nan
    loss = build_loss(name)
    with pytest.raises(ValueError, match=f"{loss.name}: targets contain NaN or Inf"):
        loss.value(pred, target)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_empty_batch(name):
    loss = build_loss(name)
    target = np.zeros(0, dtype=int) if name.startswith("categorical") else np.zeros((0, 2))
    with pytest.raises(ValueError, match=rf"{loss.name}: predictions is an empty batch \(shape \(0, 2\)\)"):
        loss.value(np.zeros((0, 2)), target)


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_targets_of_the_wrong_shape(from_logits):
    loss = BinaryCrossEntropy(from_logits=from_logits)
    with pytest.raises(ValueError, match=r"BinaryCrossEntropy: targets must have the predictions' shape "
                                         r"\(4, 1\), got \(4,\) \(reshape\(-1, 1\) for one output\)"):
        loss.value(np.full((4, 1), 0.5), np.array([0.0, 1.0, 1.0, 0.0]))


def test_binary_targets_outside_zero_one():
    with pytest.raises(ValueError, match=r"BinaryCrossEntropy: targets must lie in \[0.0, 1.0\], "
                                         r"got values in \[-1.0, 1.0\]"):
        BinaryCrossEntropy().gradient(np.full((2, 1), 0.5), np.array([[-1.0], [1.0]]))


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy"])
def test_logits_given_to_a_probability_loss(name):
    loss = build_loss(name)
    target = np.array([[1.0, 0.0]]) if name.startswith("binary") else np.array([0])
    with pytest.raises(ValueError, match=rf"{loss.name}: predictions must be probabilities in \[0, 1\]"):
        loss.value(np.array([[2.5, -1.0]]), target)


def test_predictions_must_be_a_2d_batch():
    with pytest.raises(ValueError, match=r"MeanAbsoluteError: predictions must have shape "
                                         r"\('N', 'N'\), got \(3,\)"):
        MeanAbsoluteError().value(np.zeros(3), np.zeros(3))


def test_non_numeric_targets():
    with pytest.raises(TypeError, match="MeanSquaredError: targets must be real numbers, got dtype <U1"):
        MeanSquaredError().value(np.zeros((1, 1)), np.array([["a"]]))


def test_integer_predictions_are_rejected():
    with pytest.raises(TypeError, match="CategoricalCrossEntropy: predictions must have dtype "
                                        "float32 or float64, got int64"):
        CategoricalCrossEntropy().value(np.array([[1, 0]]), np.array([0]))


def test_softmax_model_with_summed_crossentropy_matches_finite_differences():
    # the david-palma cost: Dense -> tanh -> Dense -> Softmax with sum_n -log p (no 1/N), fused backward
    from scratch.activations import Tanh
    from scratch.layers import Dense
    from scratch.model import Sequential

    rng = np.random.default_rng(27)
    x, labels = rng.standard_normal((N, 2)), rng.integers(0, K, N)
    model = Sequential([Dense(2, 4, rng=rng), Tanh(), Dense(4, K, rng=rng), Softmax()],
                       loss=build_loss("categorical_crossentropy_sum"))
    for params in model._live_params().values():
        params[...] = rng.standard_normal(params.shape)
    model.forward(x, training=True)
    model.backward_from_loss(labels)
    analytic = {key: value.copy() for key, value in model.get_grads().items()}

    def loss() -> float:
        model.forward(x, training=True)
        return float(model.loss_value(labels))

    for key, params in model._live_params().items():
        assert_gradients_match(analytic[key], numeric_gradient(loss, params), f"summed CCE d/d{key}")
