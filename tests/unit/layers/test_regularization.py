"""Dense L1/L2 regularisation: finite differences of the penalised objective, hand values, bad options."""

import numpy as np
import pytest

from scratch.layers import Dense
from scratch.registry import build_layer
from tests.helpers.gradcheck import assert_gradients_match, numeric_gradient

REGULARIZERS = {
    "weight_l1": {"weight_l1": 0.1},
    "weight_l2": {"weight_l2": 0.2},
    "bias_l1": {"bias_l1": 0.3},
    "bias_l2": {"bias_l2": 0.4},
    "all_four": {"weight_l1": 0.1, "weight_l2": 0.2, "bias_l1": 0.3, "bias_l2": 0.4},
}


def away_from_zero(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Entries with |value| in [0.2, 1.5]: central differences never straddle the |x| kink at 0."""
    return rng.uniform(0.2, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


@pytest.mark.parametrize("options", REGULARIZERS.values(), ids=REGULARIZERS.keys())
def test_gradient_of_penalised_objective_matches_finite_differences(options):
    rng = np.random.default_rng(3)
    layer = Dense(4, 3, weight=away_from_zero(rng, (4, 3)), bias=away_from_zero(rng, (3,)), **options)
    x, upstream = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    layer.forward(x)
    grad_input = layer.backward(upstream)
    analytic = {name: g.copy() for name, g in layer.grads.items()}

    def objective() -> float:  # sum(out * g) + R(W, b): backward must return its full gradient
        return float(np.sum(layer.forward(x) * upstream)) + layer.regularization_loss()

    for name, value in layer.params.items():
        assert_gradients_match(analytic[name], numeric_gradient(objective, value), f"d/d{name} {options}")
    assert_gradients_match(grad_input, numeric_gradient(objective, x), "input gradient")


L1_EXAMPLE_W = np.array([[0.5, 0.0], [-0.3, 0.0]])  # docs/conventions.md §4


def l1_example(l1_zero_subgradient: float) -> Dense:
    layer = Dense(2, 2, weight=L1_EXAMPLE_W, bias=np.zeros(2), weight_l1=0.1, bias_l1=0.1,
                  l1_zero_subgradient=l1_zero_subgradient)
    layer.forward(np.ones((1, 2)))
    layer.backward(np.zeros((1, 2)))  # zero upstream: the gradients are the L1 term alone
    return layer


def test_conventions_l1_example_nnfs_sign_is_plus_one_at_zero():
    layer = l1_example(l1_zero_subgradient=1.0)  # the default
    np.testing.assert_allclose(layer.grads["weight"], [[0.1, 0.1], [-0.1, 0.1]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(layer.grads["bias"], [0.1, 0.1], rtol=0, atol=1e-15)


def test_conventions_l1_example_torch_keras_subgradient_zero():
    layer = l1_example(l1_zero_subgradient=0.0)
    np.testing.assert_allclose(layer.grads["weight"], [[0.1, 0.0], [-0.1, 0.0]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(layer.grads["bias"], [0.0, 0.0], rtol=0, atol=1e-15)


def test_default_sign_at_zero_is_nnfs():
    assert Dense(2, 2).l1_zero_subgradient == 1.0


def test_regularization_loss_by_hand():
    layer = Dense(2, 2, weight=L1_EXAMPLE_W, bias=np.array([1.0, -2.0]),
                  weight_l1=0.1, weight_l2=0.2, bias_l1=0.3, bias_l2=0.4)
    weight_term = 0.1 * (0.5 + 0.3) + 0.2 * (0.25 + 0.09)  # 0.08 + 0.068
    bias_term = 0.3 * (1 + 2) + 0.4 * (1 + 4)  # 0.9 + 2.0
    assert layer.regularization_loss() == pytest.approx(weight_term + bias_term, rel=1e-15)
    assert Dense(2, 2, weight=L1_EXAMPLE_W).regularization_loss() == 0.0


def test_l2_gradient_is_two_lambda_w_by_hand():
    layer = Dense(2, 2, weight=L1_EXAMPLE_W, bias=np.array([1.0, -2.0]), weight_l2=0.2, bias_l2=0.4)
    layer.forward(np.ones((3, 2)))
    layer.backward(np.zeros((3, 2)))
    np.testing.assert_allclose(layer.grads["weight"], [[0.2, 0.0], [-0.12, 0.0]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(layer.grads["bias"], [0.8, -1.6], rtol=0, atol=1e-15)


def test_regularised_gradients_keep_float32():
    layer = Dense(3, 2, weight=np.ones((3, 2)), bias=np.ones(2), dtype=np.float32, **REGULARIZERS["all_four"])
    layer.forward(np.ones((4, 3), dtype=np.float32))
    layer.backward(np.ones((4, 2), dtype=np.float32))
    assert layer.grads["weight"].dtype == np.float32 and layer.grads["bias"].dtype == np.float32


@pytest.mark.parametrize("option", ["weight_l1", "weight_l2", "bias_l1", "bias_l2"])
def test_negative_or_nan_lambda_is_rejected(option):
    with pytest.raises(ValueError, match=option):
        Dense(2, 2, **{option: -0.1})
    with pytest.raises(ValueError, match=option):
        Dense(2, 2, **{option: float("nan")})
    with pytest.raises(TypeError, match=option):
        Dense(2, 2, **{option: "0.1"})


def test_zero_subgradient_outside_minus_one_one_is_rejected():
    with pytest.raises(ValueError, match="l1_zero_subgradient"):
        Dense(2, 2, weight_l1=0.1, l1_zero_subgradient=2.0)


def test_build_layer_passes_regularizer_options():
    spec = {"type": "dense", "n_inputs": 2, "units": 2, "weight_l1": 0.1, "weight_l2": 0.2,
            "bias_l1": 0.3, "bias_l2": 0.4, "l1_zero_subgradient": 0.0}
    layer = build_layer(spec)
    assert layer.l1 == {"weight": 0.1, "bias": 0.3} and layer.l2 == {"weight": 0.2, "bias": 0.4}
    assert layer.l1_zero_subgradient == 0.0
