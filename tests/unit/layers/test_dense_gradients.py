"""Finite-difference checks of the Dense layer and the core activations (float64)."""

import numpy as np

from scratch import Dense, ReLU, Softmax
from tests.helpers.gradcheck import check_layer_gradients


def test_dense_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    layer = Dense(4, 3, weight=rng.standard_normal((4, 3)), bias=rng.standard_normal(3))
    check_layer_gradients(layer, rng.standard_normal((5, 4)), rng)


def test_relu_gradient_away_from_the_kink():
    rng = np.random.default_rng(1)
    x = rng.uniform(0.1, 2.0, (6, 4)) * rng.choice([-1.0, 1.0], (6, 4))
    check_layer_gradients(ReLU(), x, rng)


def test_softmax_backward_is_a_vector_jacobian_product():
    rng = np.random.default_rng(2)
    check_layer_gradients(Softmax(), rng.standard_normal((5, 4)), rng)
