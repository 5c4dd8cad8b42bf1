"""Numbers printed in the seed texts, recomputed here from the inputs those texts use.

The seed texts are the tutorials this project started from, numbered 000-003: 000 the README of a
collection of ten from-scratch ANN projects (its activation list), 001 "Creating a Simple Neural
Network" (single neurons, a 3-neuron layer, ReLU, softmax and cross-entropy, with printed outputs),
003 an activation-function and backpropagation walk-through (six activations with derivatives on a
1000-point grid, a 2-2-1 sigmoid network with BCE); 002 gives no numbers used here. Inputs and
printed outputs are transcribed below as literals; nothing is read from outside the repository.

Seed 001 ("Creating a Simple Neural Network", an nnfs-style walk-through) prints several numbers that
do not follow from its own inputs. SEED_001_ERRATA lists each one with the value worked out by hand;
scratch is checked against the hand value, and a test shows the printed one is off by far more than
its rounding. Reference values here come from the seed text or from arithmetic in the comments
(pure-Python math), never from scratch's output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratch.activations import ELU, LeakyReLU, ReLU, Sigmoid, Softmax, Swish, Tanh
from scratch.layers import Dense
from scratch.losses import BinaryCrossEntropy, CategoricalCrossEntropy

# ---- seed 001 inputs, copied from the seed text -------------------------------------------------
LAYER_INPUTS = [2.1, 1.7, 3.3, 0.8]
LAYER_WEIGHTS = [[0.5, -0.2, 0.9, -0.3], [0.7, 0.4, -0.6, 0.8], [-0.1, 0.6, 0.2, -0.7]]  # (out, in)
LAYER_BIASES = [1.5, 2.2, 0.9]
LAYER2_WEIGHTS = [[0.3, -0.4, 0.6], [0.2, 0.5, -0.3], [0.8, -0.1, 0.4]]
LAYER2_BIASES = [0.7, 1.2, -0.5]
SOFTMAX_INPUTS = [[1, 2, 3, 2.5], [2, 5, -1, 2], [-1.5, 2.7, 3.3, -0.8]]
SOFTMAX_PRINTED = [[0.06414709, 0.17437149, 0.47399085, 0.28748998],
                   [0.00517666, 0.90739747, 0.00224921, 0.08517666],
                   [0.00522904, 0.14875873, 0.83547983, 0.0105316]]
CCE_PROBS = [[0.7, 0.1, 0.2], [0.1, 0.5, 0.4], [0.02, 0.0, 0.98]]
CCE_ONE_HOT = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]


def hand_softmax(row: list[float]) -> list[float]:
    """Softmax of one row in pure Python: exp(x - max) / sum."""
    exps = [math.exp(v - max(row)) for v in row]
    return [e / sum(exps) for e in exps]


# Softmax rows by hand (exp(x - max), then / sum):
#   row 1: e^-2, e^-1, e^0, e^-0.5 = .1353353, .3678794, 1, .6065307; sum 2.1097454
#          -> .0641477, .1743715, .4739908, .2874900
#   row 2: e^-3, 1, e^-6, e^-3 = .0497871, 1, .0024788, .0497871; sum 1.1020529
#          -> .0451767, .9073975, .0022492, .0451767 (inputs 0 and 3 are equal, so are their outputs)
#   row 3: e^-4.8, e^-.6, 1, e^-4.1 = .0082297, .5488116, 1, .0165727; sum 1.5736141
#          -> .0052298, .3487587, .6354798, .0105316
SOFTMAX_BY_HAND = [hand_softmax(row) for row in SOFTMAX_INPUTS]

# (what, printed in seed 001, worked out by hand from the seed's own inputs)
SEED_001_ERRATA = [
    # 2.5*.6 + 1.8*-.4 + .7*1.2 + .8 = 1.5 - .72 + .84 + .8
    ("neuron with 3 inputs", [2.54], [2.42]),
    # 3.2*.3 + 1.5*-.8 + 2.1*.5 + .9*1.1 + 1.4 = .96 - 1.2 + 1.05 + .99 + 1.4
    ("neuron with 4 inputs", [2.89], [3.2]),
    # 1.05 - .34 + 2.97 - .24 + 1.5;  1.47 + .68 - 1.98 + .64 + 2.2;  -.21 + 1.02 + .66 - .56 + .9
    ("layer of 3 neurons", [4.67, 2.93, 1.19], [4.94, 3.01, 1.81]),
    # from [4.94, 3.01, 1.81]: 1.482 - 1.204 + 1.086 + .7;  .988 + 1.505 - .543 + 1.2;
    # 3.952 - .301 + .724 - .5  (the printed values follow from neither layer-1 result)
    ("second layer", [2.234, 3.185, 2.89], [2.064, 3.15, 3.875]),
    ("softmax row 1, entry 0", [0.06414709], [SOFTMAX_BY_HAND[0][0]]),
    ("softmax row 2, entries 0 and 3", [0.00517666, 0.08517666],
     [SOFTMAX_BY_HAND[1][0], SOFTMAX_BY_HAND[1][3]]),
    ("softmax row 3, entries 0-2", [0.00522904, 0.14875873, 0.83547983], SOFTMAX_BY_HAND[2][:3]),
    # -(ln .7 + ln .5 + ln .98) / 3 = -ln(.343) / 3 = -ln .7, because .7 * .5 * .98 = .343 = .7^3
    ("categorical cross-entropy", [0.385068885216884], [-math.log(0.7)]),
]


def dense_from_seed(weights: list[list[float]], biases: list[float]) -> Dense:
    """The seed's (out, in) weights used as W x + b, in the project layout z = x @ W.T + b.

    docs/conventions.md §1 (layouts).
    """
    weights_out_in = np.array(weights)
    return Dense(weights_out_in.shape[1], weights_out_in.shape[0], weight=weights_out_in.T, bias=biases)


def test_seed_001_single_neurons():
    three = dense_from_seed([[0.6, -0.4, 1.2]], [0.8]).forward(np.array([[2.5, 1.8, 0.7]]))
    four = dense_from_seed([[0.3, -0.8, 0.5, 1.1]], [1.4]).forward(np.array([[3.2, 1.5, 2.1, 0.9]]))
    np.testing.assert_allclose(three, [[2.42]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(four, [[3.2]], rtol=0, atol=1e-12)


def test_seed_001_two_layers():
    layer1 = dense_from_seed(LAYER_WEIGHTS, LAYER_BIASES).forward(np.array([LAYER_INPUTS]))
    layer2 = dense_from_seed(LAYER2_WEIGHTS, LAYER2_BIASES).forward(layer1)
    np.testing.assert_allclose(layer1, [[4.94, 3.01, 1.81]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(layer2, [[2.064, 3.15, 3.875]], rtol=0, atol=1e-12)


def test_seed_001_relu_demo_as_printed():
    out = ReLU().forward(np.array([[0, 2, -1, 3.3, -2.7, 1.1, 2.2, -100]]))
    np.testing.assert_array_equal(out, [[0.0, 2.0, 0.0, 3.3, 0.0, 1.1, 2.2, 0.0]])  # printed in the seed


def test_seed_001_softmax():
    out = Softmax().forward(np.array(SOFTMAX_INPUTS, dtype=float))
    np.testing.assert_allclose(out, SOFTMAX_BY_HAND, rtol=0, atol=1e-15)
    np.testing.assert_allclose(out.sum(axis=1), [1.0, 1.0, 1.0], rtol=0, atol=1e-15)  # printed: [1. 1. 1.]
    correct_in_seed = [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (2, 3)]  # the entries the seed prints right
    for row, col in correct_in_seed:
        assert out[row, col] == pytest.approx(SOFTMAX_PRINTED[row][col], abs=5e-9)  # 8 printed decimals


def test_seed_001_crossentropy():
    value = CategoricalCrossEntropy().value(np.array(CCE_PROBS), np.array(CCE_ONE_HOT))
    assert float(value) == pytest.approx(-math.log(0.7), rel=1e-15)  # 0.35667494393873245


def test_nnfs_book_crossentropy_example():
    # The nnfs book's version of the seed's example: third row [.02, .9, .08], sparse labels [0, 1, 1].
    # -(ln .7 + ln .5 + ln .9) / 3 = -ln(.315) / 3 = 0.3850608800521...; seed 001's printed
    # 0.385068885216884 resembles it but differs from the 6th significant digit on.
    probs = np.array([[0.7, 0.1, 0.2], [0.1, 0.5, 0.4], [0.02, 0.9, 0.08]])
    value = CategoricalCrossEntropy().value(probs, np.array([0, 1, 1]))
    assert float(value) == pytest.approx(-math.log(0.315) / 3, rel=1e-15)


def test_seed_001_untrained_five_class_loss():
    # Uniform predictions 0.2 over 5 classes: -ln(0.2) = ln 5 = 1.6094379..., printed "loss: 1.6094379".
    value = CategoricalCrossEntropy().value(np.full((5, 5), 0.2), np.arange(5))
    assert float(value) == pytest.approx(1.6094379, abs=5e-8)
    assert float(value) == pytest.approx(math.log(5), rel=1e-15)


@pytest.mark.parametrize(("what", "printed", "by_hand"), SEED_001_ERRATA, ids=[e[0] for e in SEED_001_ERRATA])
def test_seed_001_errata_are_not_rounding(what, printed, by_hand):
    # Each printed value misses the hand value by more than half a unit of its last printed decimal:
    # a misprint, not rounding.
    for shown, exact in zip(printed, by_hand, strict=True):
        half_unit = 0.5 * 10.0 ** -len(repr(shown).split(".")[1])
        assert abs(shown - exact) > half_unit, f"{what}: {shown} vs {exact}"


def test_nnfs_chapter_2_batch():
    # nnfs Ch. 2 (docs/conventions.md §12 gives the first row [4.8, 1.21, 2.385]); the inputs are seed 001's
    # softmax inputs.
    weights = [[0.2, 0.8, -0.5, 1.0], [0.5, -0.91, 0.26, -0.5], [-0.26, -0.27, 0.17, 0.87]]
    out = dense_from_seed(weights, [2.0, 3.0, 0.5]).forward(np.array(SOFTMAX_INPUTS, dtype=float))
    expected = [
        [4.8, 1.21, 2.385],    # .2+1.6-1.5+2.5+2;  .5-1.82+.78-1.25+3;  -.26-.54+.51+2.175+.5
        [8.9, -1.81, 0.2],     # .4+4+.5+2+2;  1-4.55-.26-1+3;  -.52-1.35-.17+1.74+.5
        [1.41, 1.051, 0.026],  # -.3+2.16-1.65-.8+2;  -.75-2.457+.858+.4+3;  .39-.729+.561-.696+.5
    ]
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


# ---- seed 003: activation formulas and derivatives, transcribed from its ActivationFunctionsAnalysis ----
SEED_003_ACTIVATIONS = {
    "Sigmoid": (Sigmoid, lambda x: 1 / (1 + np.exp(-x)),
                lambda x: (1 / (1 + np.exp(-x))) * (1 - 1 / (1 + np.exp(-x)))),
    "Tanh": (Tanh, lambda x: np.tanh(x), lambda x: 1 - np.tanh(x) ** 2),
    "ReLU": (ReLU, lambda x: np.maximum(0, x), lambda x: (x > 0).astype(float)),
    "Leaky ReLU": (LeakyReLU, lambda x: np.where(x > 0, x, 0.01 * x), lambda x: np.where(x > 0, 1, 0.01)),
    "ELU": (ELU, lambda x: np.where(x > 0, x, np.exp(x) - 1), lambda x: np.where(x > 0, 1, np.exp(x))),
    "Swish": (Swish, lambda x: x * (1 / (1 + np.exp(-x))),
              lambda x: (1 / (1 + np.exp(-x))) + x * (1 / (1 + np.exp(-x))) * (1 - 1 / (1 + np.exp(-x)))),
}


@pytest.mark.parametrize("name", sorted(SEED_003_ACTIVATIONS))
def test_seed_003_activation_formulas(name):
    cls, func, deriv = SEED_003_ACTIVATIONS[name]
    x = np.linspace(-5, 5, 1000).reshape(1, -1)  # the seed's grid (1000 points, none exactly 0)
    upstream = np.random.default_rng(30).standard_normal(x.shape)
    layer = cls()
    np.testing.assert_allclose(layer.forward(x), func(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(layer.backward(upstream), upstream * deriv(x), rtol=1e-12, atol=1e-15)


def test_leaky_relu_is_max_of_alpha_x_and_x():
    # seed 003 "Leaky ReLU: f(x) = max(0.01x, x)"; seed 000 "max(alpha x, x)"
    x = np.linspace(-5, 5, 1000).reshape(1, -1)
    np.testing.assert_array_equal(LeakyReLU().forward(x), np.maximum(0.01 * x, x))


def test_seed_003_backprop_example_output_layer():
    # Seed 003's 2-2-1 sigmoid network: X [[0.5, 0.3]], y [[1]], np.random.seed(42), weights randn * 0.5,
    # zero biases. RandomState(42) draws the same numbers without touching the global generator.
    draws = np.random.RandomState(42)
    w1, w2 = draws.randn(2, 2) * 0.5, draws.randn(2, 1) * 0.5
    x, y = np.array([[0.5, 0.3]]), np.array([[1.0]])
    # the seed's own lines
    a1 = 1 / (1 + np.exp(-(x @ w1)))
    a2 = 1 / (1 + np.exp(-(a1 @ w2)))
    seed_loss = -np.mean(y * np.log(a2) + (1 - y) * np.log(1 - a2))
    seed_da2 = -(y / a2 - (1 - y) / (1 - a2))
    seed_dz2 = seed_da2 * a2 * (1 - a2)
    # scratch: Dense -> Sigmoid -> Dense -> Sigmoid, binary cross-entropy (N = k = 1, so no 1/N)
    dense1, sigmoid1 = Dense(2, 2, weight=w1, bias=np.zeros(2)), Sigmoid()
    dense2, sigmoid2 = Dense(2, 1, weight=w2, bias=np.zeros(1)), Sigmoid()
    out = sigmoid2.forward(dense2.forward(sigmoid1.forward(dense1.forward(x))))
    loss = BinaryCrossEntropy()
    assert float(loss.value(out, y)) == pytest.approx(seed_loss, rel=1e-14)
    da2 = loss.gradient(out, y)
    np.testing.assert_allclose(da2, seed_da2, rtol=1e-14)
    dz2 = sigmoid2.backward(da2)
    np.testing.assert_allclose(dz2, seed_dz2, rtol=1e-14)
    np.testing.assert_allclose(dz2, a2 - y, rtol=1e-12)  # sigmoid + BCE collapse to a - y
    dense1.backward(sigmoid1.backward(dense2.backward(dz2)))
    np.testing.assert_allclose(dense2.grads["weight"], a1.T @ seed_dz2, rtol=1e-14)  # seed: dW2 = a1.T @ dz2
    seed_dz1 = (seed_dz2 @ w2.T) * a1 * (1 - a1)
    np.testing.assert_allclose(dense1.grads["weight"], x.T @ seed_dz1, rtol=1e-14)  # seed: dW1 = X.T @ dz1
