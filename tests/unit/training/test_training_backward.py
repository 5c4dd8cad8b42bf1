"""The training backward skips only work nobody uses, and the in-place optimizer commit changes no value."""

from __future__ import annotations

import numpy as np
import pytest

from scratch import CategoricalCrossEntropy, Dense, ReLU, Sequential, Softmax
from scratch.layers import Dropout
from scratch.optimizers import SGD, Adam


def mlp(dtype=np.float64, leading_dropout: bool = False, **dense_options) -> Sequential:
    """[Dropout(0.5) ->] Dense(4,6)-ReLU-Dense(6,3)-Softmax + CCE with seeded weights and biases."""
    rng = np.random.default_rng(3)
    first = Dense(4, 6, rng.standard_normal((4, 6)), rng.uniform(-0.5, 0.5, 6), dtype=dtype, **dense_options)
    layers = [first, ReLU(), Dense(6, 3, rng.standard_normal((6, 3)), rng.uniform(-0.5, 0.5, 3), dtype=dtype),
              Softmax()]
    if leading_dropout:
        dropout = Dropout(0.5)
        dropout.set_mask(rng.integers(0, 2, (8, 4)))
        layers.insert(0, dropout)
    return Sequential(layers, loss=CategoricalCrossEntropy())


def batch(dtype=np.float64):
    rng = np.random.default_rng(4)
    return rng.standard_normal((8, 4)).astype(dtype), rng.integers(0, 3, 8)


@pytest.mark.parametrize("leading_dropout", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_without_input_grad_every_param_grad_is_bitwise_the_same(dtype, leading_dropout):
    x, y = batch(dtype)
    full, lean = mlp(dtype, leading_dropout), mlp(dtype, leading_dropout)
    for model in (full, lean):
        model.forward(x, training=True)
    grad_input = full.backward_from_loss(y)
    assert lean.backward_from_loss(y, input_grad=False) is None and grad_input is not None
    for key, grad in full.get_grads().items():
        np.testing.assert_array_equal(lean.get_grads()[key], grad, err_msg=key)
    lowest = 1 if leading_dropout else 0
    assert all(g is None for g in lean.layer_input_grads[: lowest + 1])  # from the lowest Dense down
    for above, grad in zip(lean.layer_input_grads[lowest + 1:], full.layer_input_grads[lowest + 1:],
                           strict=True):
        np.testing.assert_array_equal(above, grad)


def test_param_backward_fills_the_same_grads_as_backward_including_regularization():
    x, y = batch()
    rng = np.random.default_rng(5)
    grad_output = rng.standard_normal((8, 6))
    both, only = (Dense(4, 6, rng.standard_normal((4, 6)), weight_l1=0.01, weight_l2=0.02, bias_l2=0.03)
                  for _ in range(2))
    only.params = {k: v.copy() for k, v in both.params.items()}
    for layer in (both, only):
        layer.forward(x)
    both.backward(grad_output)
    assert only.param_backward(grad_output) is None
    for key in ("weight", "bias"):
        np.testing.assert_array_equal(only.grads[key], both.grads[key])
        assert only.grads[key].dtype == both.params[key].dtype


@pytest.mark.parametrize("make_optimizer", [lambda: SGD(0.1), lambda: SGD(0.1, momentum=0.9, nesterov=True),
                                            lambda: Adam(0.01)])
def test_train_step_updates_the_layers_own_arrays_in_place(make_optimizer):
    x, y = batch(np.float32)
    model = mlp(np.float32)
    model.optimizer = make_optimizer()
    arrays = {key: id(value) for key, value in model._live_params().items()}
    before = model.get_params()
    for _ in range(2):
        model.train_step(x, y)
    assert {key: id(value) for key, value in model._live_params().items()} == arrays
    assert all(model.get_params()[k].dtype == np.float32 and not np.array_equal(model.get_params()[k], v)
               for k, v in before.items())
