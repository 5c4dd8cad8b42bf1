"""Perceptron rule: hand-traced AND epoch, gates, convergence, sklearn's zero-margin rule, bad input."""

import numpy as np
import pytest

from scratch.perceptron import Perceptron

GATE_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
AND_Y = np.array([0, 0, 0, 1])
OR_Y = np.array([0, 1, 1, 1])


def and_from_given_start(**options) -> Perceptron:
    return Perceptron(2, lr=0.5, weight=np.array([0.5, -0.25]), bias=0.25, **options)


def test_and_first_epoch_traced_by_hand():
    # w = [.5, -.25], b = .25, lr = .5, y_hat = [z > 0]
    # (0,0) y0: z = .25 -> 1, wrong: w unchanged, b = .25 - .5 = -.25
    # (0,1) y0: z = -.25 - .25 = -.5 -> 0, right
    # (1,0) y0: z = .5 - .25 = .25 -> 1, wrong: w = [0, -.25], b = -.75
    # (1,1) y1: z = 0 - .25 - .75 = -1 -> 0, wrong: w = [.5, .25], b = -.25
    p = and_from_given_start().fit(GATE_X, AND_Y, epochs=1)
    np.testing.assert_array_equal(p.history[0]["weight"], [0.5, 0.25])
    np.testing.assert_array_equal(p.history[0]["bias"], [-0.25])
    assert p.history[0]["updates"] == 3


def test_zero_margin_rule_matches_sklearn_and_differs_from_classic():
    # epoch 1 has no zero margin, so both rules end at w = [.5, .25], b = -.25. Epoch 2, (0,1), y = 0:
    # z = .25 - .25 = 0. Classic: y_hat = 0 = y, no update. sklearn: s = -1, s*z = 0 <= 0, so
    # w = [.5, .25 - .5] = [.5, -.25], b = -.75; (1,0): z = -.25, right; (1,1): z = .5 - .25 - .75 = -.5,
    # s = +1 -> w = [1, .25], b = -.25.
    # Classic: (1,0): z = .25, wrong: w = [0, .25], b = -.75; (1,1): z = -.5, wrong: w = [.5, .75], b = -.25.
    classic = and_from_given_start().fit(GATE_X, AND_Y, epochs=2)
    sklearn_rule = and_from_given_start(update_on_zero_margin=True).fit(GATE_X, AND_Y, epochs=2)
    for p in (classic, sklearn_rule):
        np.testing.assert_array_equal(p.history[0]["weight"], [0.5, 0.25])
    np.testing.assert_array_equal(classic.history[1]["weight"], [0.5, 0.75])
    np.testing.assert_array_equal(sklearn_rule.history[1]["weight"], [1.0, 0.25])
    np.testing.assert_array_equal(classic.history[1]["bias"], sklearn_rule.history[1]["bias"])


@pytest.mark.parametrize("labels", [AND_Y, OR_Y], ids=["AND", "OR"])
@pytest.mark.parametrize("zero_margin", [False, True], ids=["classic", "sklearn_rule"])
def test_learns_the_gate(labels, zero_margin):
    p = Perceptron(2, update_on_zero_margin=zero_margin).fit(GATE_X, labels, epochs=20)
    np.testing.assert_array_equal(p.predict(GATE_X), labels)
    assert p.history[-1]["updates"] == 0  # converged: a full epoch without a mistake


def test_converges_on_a_separable_set():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(2.0, 0.5, (50, 3)), rng.normal(-2.0, 0.5, (50, 3))])  # 6.9 sd apart per axis
    y = np.array([1] * 50 + [0] * 50)
    p = Perceptron(3).fit(X, y, epochs=50, shuffle_rng=np.random.default_rng(1))
    np.testing.assert_array_equal(p.predict(X), y)
    assert p.history[-1]["updates"] == 0


def test_history_records_copies_after_every_epoch():
    p = and_from_given_start().fit(GATE_X, AND_Y, epochs=4)
    assert len(p.history) == 4
    np.testing.assert_array_equal(p.history[-1]["weight"], p.weight)
    p.weight[:] = 99.0
    assert not np.any(p.history[-1]["weight"] == 99.0)


def test_shuffle_only_with_an_explicit_generator():
    def fit(rng):
        return and_from_given_start().fit(GATE_X, AND_Y, epochs=3, shuffle_rng=rng).history

    a, b = fit(np.random.default_rng(3)), fit(np.random.default_rng(3))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x["weight"], y["weight"])
    before = np.random.get_state()[1].copy()
    fit(None)  # no generator: fixed order, global np.random untouched
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    with pytest.raises(TypeError, match="Generator"):
        fit(np.random.RandomState(0))
    with pytest.raises(TypeError, match="Generator"):
        fit(3)


def test_float32_stays_float32():
    p = Perceptron(2, dtype=np.float32, lr=0.1).fit(GATE_X.astype(np.float32), AND_Y, epochs=3)
    assert p.weight.dtype == np.float32 and p.bias.dtype == np.float32


BAD_LABELS = [np.array([-1, -1, -1, 1]), np.array([0, 0, 2, 1]), np.array([0, 0.5, 0, 1])]


@pytest.mark.parametrize("labels", BAD_LABELS, ids=["minus_one", "two", "half"])
def test_labels_outside_zero_one_are_rejected(labels):
    with pytest.raises(ValueError, match="only labels 0 and 1"):
        Perceptron(2).fit(GATE_X, labels, epochs=1)


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match=r"y must have shape \(4,\)"):
        Perceptron(2).fit(GATE_X, np.array([0, 1]), epochs=1)
    with pytest.raises(ValueError, match="X must have shape"):
        Perceptron(3).fit(GATE_X, AND_Y, epochs=1)
    with pytest.raises(TypeError, match="dtype"):
        Perceptron(2).fit(GATE_X.astype(np.int64), AND_Y, epochs=1)
    with pytest.raises(TypeError, match="X is float32 but the perceptron is float64"):
        Perceptron(2).predict(GATE_X.astype(np.float32))
    with pytest.raises(ValueError, match="epochs"):
        Perceptron(2).fit(GATE_X, AND_Y, epochs=0)
    with pytest.raises(ValueError, match="lr"):
        Perceptron(2, lr=0.0)
    with pytest.raises(ValueError, match="weight must have shape"):
        Perceptron(2, weight=np.zeros(3))
