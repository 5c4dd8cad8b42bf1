"""Scratch activations: finite differences, formulas, dtypes, extreme inputs and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratch import activations, smooth_activations
from scratch.activations import ELU, LeakyReLU, PReLU, ReLU, Sigmoid, Softmax, Step, Swish
from scratch.registry import ACTIVATIONS, build_layer
from tests.helpers.gradcheck import check_layer_gradients

DIFFERENTIABLE = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "swish", "softmax"]
ALL_NAMES = sorted(ACTIVATIONS)


def away_from_kinks(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random values with 0.1 <= |x| <= 3: off the kink at 0 of relu, leaky_relu, prelu and elu."""
    return rng.uniform(0.1, 3.0, shape) * rng.choice([-1.0, 1.0], shape)


# Pure-Python scalar formulas (math module, no NumPy): the independent reference for forward values.
SCALAR_FORMULAS = {
    "step": lambda x: 1.0 if x >= 0 else 0.0,
    "linear": lambda x: x,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "tanh": math.tanh,
    "relu": lambda x: max(x, 0.0),
    "leaky_relu": lambda x: x if x > 0 else 0.01 * x,
    "prelu": lambda x: x if x > 0 else 0.25 * x,
    "elu": lambda x: x if x > 0 else math.exp(x) - 1,
    "swish": lambda x: x / (1 + math.exp(-x)),
}


def test_registry_has_every_activation_class_under_its_kind():
    base = activations.Activation
    defined = {cls for module in (activations, smooth_activations) for cls in vars(module).values()
               if isinstance(cls, type) and issubclass(cls, base)}
    assert set(ACTIVATIONS.values()) == defined - {base}, "an activation class is not registered"
    for name, cls in ACTIVATIONS.items():
        layer = build_layer({"type": name})
        assert isinstance(layer, cls) and layer.kind == name and layer.name


def test_unknown_activation_lists_the_known_names():
    with pytest.raises(KeyError, match="unknown layer type 'mish'; known: .*dense, .*relu"):
        build_layer({"type": "mish"})


def test_spec_options_reach_the_constructor():
    assert build_layer({"type": "leaky_relu", "alpha": 0.3}).alpha == 0.3
    assert build_layer({"type": "elu", "alpha": 0.5}).alpha == 0.5
    prelu = build_layer({"type": "prelu", "num_parameters": 4, "init": 0.1}, dtype="float32")
    assert prelu.params["alpha"].shape == (4,) and prelu.params["alpha"].dtype == np.float32


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_input_gradient_matches_finite_differences(name):
    rng = np.random.default_rng(10)
    check_layer_gradients(build_layer({"type": name}), away_from_kinks(rng, (5, 4)), rng)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "swish", "softmax"])
def test_smooth_activation_gradient_near_zero(name):
    rng = np.random.default_rng(11)
    check_layer_gradients(build_layer({"type": name}), rng.standard_normal((6, 3)), rng)


@pytest.mark.parametrize("num_parameters", [1, 4])
def test_prelu_input_and_alpha_gradients(num_parameters):
    rng = np.random.default_rng(12)
    layer = PReLU(num_parameters=num_parameters)
    layer.params["alpha"][...] = rng.uniform(0.05, 0.5, num_parameters)  # not the default 0.25
    check_layer_gradients(layer, away_from_kinks(rng, (6, 4)), rng)
    assert layer.grads["alpha"].shape == (num_parameters,)


def test_prelu_alpha_gradient_by_hand():
    # x = [[-2, 3], [1, -4]], g = [[1, 1], [2, 0.5]]: d/da = sum over x <= 0 of g x.
    x = np.array([[-2.0, 3.0], [1.0, -4.0]])
    g = np.array([[1.0, 1.0], [2.0, 0.5]])
    shared, per_feature = PReLU(1), PReLU(2)
    for layer in (shared, per_feature):
        layer.forward(x)
        layer.backward(g)
    np.testing.assert_allclose(shared.grads["alpha"], [1 * -2 + 0.5 * -4], rtol=0, atol=1e-15)  # [-4]
    np.testing.assert_allclose(per_feature.grads["alpha"], [-2.0, -2.0], rtol=0, atol=1e-15)


def test_prelu_per_feature_alpha_scales_its_own_column():
    layer = PReLU(num_parameters=2)
    layer.params["alpha"][...] = [0.1, 0.5]
    out = layer.forward(np.array([[-2.0, -2.0], [3.0, -1.0]]))
    np.testing.assert_allclose(out, [[-0.2, -1.0], [3.0, -0.5]], rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", sorted(SCALAR_FORMULAS))
def test_forward_matches_the_scalar_formula(name):
    x = np.array([[-3.0, -0.5, 0.0, 0.25, 2.0]])
    expected = [[SCALAR_FORMULAS[name](float(v)) for v in x[0]]]
    np.testing.assert_allclose(build_layer({"type": name}).forward(x), expected, rtol=1e-15, atol=1e-15)


def test_derivatives_at_zero_follow_torch():
    # relu'(0) = 0 (docs/conventions.md §3); leaky/prelu/elu use alpha at 0 (torch: x > 0 ? g : alpha g).
    x = np.zeros((1, 1))
    g = np.ones((1, 1))
    expected = {ReLU(): 0.0, LeakyReLU(0.2): 0.2, PReLU(init=0.3): 0.3, ELU(alpha=0.7): 0.7, Step(): 0.0}
    for layer, slope in expected.items():
        layer.forward(x)
        assert layer.backward(g)[0, 0] == pytest.approx(slope, abs=1e-15), layer


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_is_the_mask_product_bit_for_bit(dtype):
    # dx = g * (x > 0), signed zeros included (-g * 0 = -0.0); grad_output itself is not written to.
    rng = np.random.default_rng(31)
    x = np.concatenate([rng.standard_normal((6, 5)), [[0.0, -0.0, 1e-300, -1e-300, 3.0]]]).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    g_before = g.copy()
    layer = ReLU()
    layer.forward(x)
    grad_input = layer.backward(g)
    expected = g * (x > 0)
    assert grad_input.dtype == dtype
    assert grad_input.tobytes() == expected.tobytes()
    assert g.tobytes() == g_before.tobytes()


def test_step_is_one_from_zero_on_and_passes_no_gradient():
    layer = Step()
    np.testing.assert_array_equal(layer.forward(np.array([[-1e-12, 0.0, 1e-12, 5.0]])), [[0, 1, 1, 1]])
    np.testing.assert_array_equal(layer.backward(np.array([[1.0, 2.0, 3.0, 4.0]])), np.zeros((1, 4)))


def test_linear_returns_a_copy():
    x = np.ones((2, 2))
    out = build_layer({"type": "linear"}).forward(x)
    out[0, 0] = 5.0
    assert x[0, 0] == 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ALL_NAMES)
def test_dtype_is_preserved_forward_and_backward(name, dtype):
    rng = np.random.default_rng(13)
    layer = build_layer({"type": name}, dtype=np.dtype(dtype).name)
    x = rng.standard_normal((4, 3)).astype(dtype)
    out = layer.forward(x)
    grad_input = layer.backward(rng.standard_normal(out.shape).astype(dtype))
    assert out.dtype == dtype and grad_input.dtype == dtype
    for grad in layer.grads.values():
        assert grad.dtype == dtype


def test_float64_prelu_parameter_keeps_float32_work_in_float32():
    layer = PReLU(num_parameters=3, dtype="float64")
    out = layer.forward(-np.ones((2, 3), dtype=np.float32))
    assert out.dtype == np.float32
    layer.backward(np.ones((2, 3), dtype=np.float32))
    assert layer.grads["alpha"].dtype == np.float64  # the gradient keeps its parameter's dtype


def test_float64_numpy_scalar_alpha_does_not_upcast():
    out = LeakyReLU(alpha=np.float64(0.1)).forward(-np.ones((1, 2), dtype=np.float32))
    assert out.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ALL_NAMES)
def test_no_floating_point_warning_at_magnitude_1000(name, dtype):
    x = np.array([[1000.0, -1000.0, 0.5], [-1000.0, -1000.0, 1000.0]], dtype=dtype)
    g = np.array([[0.3, -1.2, 0.7], [1.1, 0.4, -0.9]], dtype=dtype)
    layer = build_layer({"type": name}, dtype=np.dtype(dtype).name)
    with np.errstate(all="raise"):
        out = layer.forward(x)
        grad_input = layer.backward(g)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(grad_input))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_values_are_exact(dtype):
    x = np.array([[1000.0, -1000.0]], dtype=dtype)
    np.testing.assert_array_equal(Sigmoid().forward(x), [[1.0, 0.0]])
    np.testing.assert_array_equal(Swish().forward(x), [[1000.0, 0.0]])
    np.testing.assert_array_equal(Softmax().forward(np.array([[1000.0, -1000.0, 0.0]], dtype=dtype)),
                                  [[1.0, 0.0, 0.0]])


def test_softmax_rows_sum_to_one_and_ignore_a_shift():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((5, 4))
    out = Softmax().forward(x)
    np.testing.assert_allclose(out.sum(axis=1), np.ones(5), rtol=0, atol=1e-15)
    # x + 100 rounds x's last bits, so the shifted result agrees to the float64 tier (1e-12), not exactly
    np.testing.assert_allclose(Softmax().forward(x + 100.0), out, rtol=0, atol=1e-12)


BAD_INPUTS = {
    "NaN": (np.array([[0.0, np.nan]]), ValueError, "contains NaN or Inf"),
    "Inf": (np.array([[np.inf, 0.0]]), ValueError, "contains NaN or Inf"),
    "empty batch": (np.zeros((0, 3)), ValueError, "empty batch"),
    "integer dtype": (np.array([[1, 2]]), TypeError, "dtype float32 or float64, got int64"),
    "list": ([[1.0, 2.0]], TypeError, "numpy.ndarray, got list"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
@pytest.mark.parametrize("name", ALL_NAMES)
def test_bad_input_names_the_component(name, case):
    bad, error, message = BAD_INPUTS[case]
    layer = build_layer({"type": name})
    with pytest.raises(error, match=f"{layer.name}: input .*{message}"):
        layer.forward(bad)


def test_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match="Sigmoid: backward called before forward"):
        Sigmoid().backward(np.ones((2, 2)))


def test_grad_output_of_the_wrong_shape_is_rejected():
    layer = ReLU()
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"ReLU: grad_output must have shape \(2, 3\), got \(3, 2\)"):
        layer.backward(np.ones((3, 2)))


def test_prelu_per_feature_needs_matching_width():
    with pytest.raises(ValueError, match=r"PReLU: input must have shape \('N', 4\), got \(2, 3\)"):
        PReLU(num_parameters=4).forward(np.ones((2, 3)))


def test_softmax_needs_a_batch_of_rows():
    with pytest.raises(ValueError, match=r"Softmax: input must have shape \('N', 'N'\), got \(3,\)"):
        Softmax().forward(np.ones(3))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_prelu_rejects_bad_num_parameters(bad):
    with pytest.raises(ValueError, match="PReLU: num_parameters must be an integer >= 1"):
        PReLU(num_parameters=bad)


@pytest.mark.parametrize("cls", [LeakyReLU, ELU])
def test_alpha_must_be_a_finite_number(cls):
    with pytest.raises(ValueError, match=f"{cls.__name__}: alpha must be a finite number"):
        cls(alpha=float("nan"))
    with pytest.raises(TypeError, match=f"{cls.__name__}: alpha must be a real number"):
        cls(alpha="0.1")
