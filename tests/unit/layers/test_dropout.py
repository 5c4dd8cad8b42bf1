"""Inverted dropout: drop fraction, 1/(1-p) scaling, inference identity, shared masks, correct backward."""

import numpy as np
import pytest

from scratch.layers import Dropout
from scratch.registry import build_layer
from tests.helpers.gradcheck import check_layer_gradients


def test_drop_fraction_and_scaling_on_a_large_draw():
    rate = 0.3
    layer = Dropout(rate, rng=np.random.default_rng(0))
    out = layer.forward(np.ones((200, 500)), training=True)
    # n = 100 000 Bernoulli(0.3) draws: the dropped fraction has sd sqrt(.3*.7/n) = 0.00145, so 0.01
    # is ~7 sd; the mean output (kept fraction / 0.7) has sd 0.0021, so 0.015 is ~7 sd.
    assert abs(np.mean(out == 0) - rate) < 0.01
    assert abs(out.mean() - 1.0) < 0.015
    assert set(np.unique(out)) == {0.0, 1 / (1 - rate)}  # survivors scaled by exactly 1/(1-p)
    np.testing.assert_array_equal(layer.mask, (out != 0).astype(float))  # .mask is the 0/1 pattern used


def test_identity_at_inference_forward_and_backward():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((4, 3))
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    grad = np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(layer.backward(grad), grad)
    assert layer.mask is None


def test_supplied_mask_by_hand():
    layer = Dropout(0.5)  # no rng: only a supplied mask can be used in training
    layer.set_mask(np.array([[1, 0], [0, 1]]))
    out = layer.forward(np.array([[1.0, 2.0], [3.0, 4.0]]), training=True)
    np.testing.assert_array_equal(out, [[2.0, 0.0], [0.0, 8.0]])  # x * mask / (1 - 0.5)
    grad = layer.backward(np.ones((2, 2)))
    np.testing.assert_array_equal(grad, [[2.0, 0.0], [0.0, 2.0]])  # dy * mask / (1 - 0.5), not dy * mask


def test_supplied_mask_persists_until_cleared():
    layer = Dropout(0.25, rng=np.random.default_rng(0))
    mask = np.random.default_rng(7).random((30, 40)) >= 0.25  # boolean masks are accepted
    layer.set_mask(mask)
    x = np.ones((30, 40))
    first, second = layer.forward(x, training=True), layer.forward(x, training=True)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, mask / 0.75)
    layer.set_mask(None)
    assert not np.array_equal(layer.forward(x, training=True), first)  # drawn from the rng again


def test_same_seed_same_mask_and_successive_draws_differ():
    x = np.ones((20, 30))
    a, b = Dropout(0.5, rng=np.random.default_rng(4)), Dropout(0.5, rng=np.random.default_rng(4))
    first = a.forward(x, training=True)
    np.testing.assert_array_equal(first, b.forward(x, training=True))
    assert not np.array_equal(first, a.forward(x, training=True))


def test_rate_zero_keeps_everything():
    x = np.random.default_rng(0).standard_normal((5, 6))
    np.testing.assert_array_equal(Dropout(0.0, rng=np.random.default_rng(0)).forward(x, training=True), x)


def test_backward_matches_finite_differences_with_a_fixed_mask():
    rng = np.random.default_rng(5)
    layer = Dropout(0.4)
    layer.set_mask(rng.random((6, 5)) >= 0.4)
    check_layer_gradients(layer, rng.standard_normal((6, 5)), rng, training=True)


def test_float32_stays_float32():
    layer = Dropout(0.1, rng=np.random.default_rng(0))
    out = layer.forward(np.ones((3, 4), dtype=np.float32), training=True)
    assert out.dtype == np.float32
    assert layer.backward(np.ones((3, 4), dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, float("nan")])
def test_bad_rate_is_rejected(rate):
    with pytest.raises(ValueError, match="rate"):
        Dropout(rate)


@pytest.mark.parametrize("rate", ["0.5", None, True])
def test_non_numeric_rate_is_rejected(rate):
    with pytest.raises(TypeError, match="rate"):
        Dropout(rate)


def test_bad_masks_and_inputs_are_rejected():
    layer = Dropout(0.5)
    with pytest.raises(ValueError, match="only 0 and 1"):
        layer.set_mask(np.array([[0.0, 2.0]]))
    with pytest.raises(ValueError, match="needs set_mask"):
        layer.forward(np.ones((2, 2)), training=True)  # neither a mask nor an rng
    layer.set_mask(np.ones((3, 2)))
    with pytest.raises(ValueError, match="mask must have shape"):
        layer.forward(np.ones((2, 2)), training=True)
    with pytest.raises(TypeError, match="dtype"):
        layer.forward(np.ones((3, 2), dtype=np.int64), training=True)
    with pytest.raises(TypeError, match="Generator"):
        Dropout(0.5, rng=np.random.RandomState(0))


def test_build_layer_makes_dropout():
    layer = build_layer({"type": "dropout", "rate": 0.2})
    assert isinstance(layer, Dropout) and layer.rate == 0.2 and layer.rng is None
    assert build_layer({"type": "dropout", "rate": 0.2, "seed": 3}).rng is not None
