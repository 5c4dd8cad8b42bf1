"""Smooth activations: scratch's erf, GELU's two forms and its float32 constants, softplus and its
threshold, log_softmax at extreme logits; gradients by finite differences; bad options."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratch.smooth_activations import GELU, LogSoftmax, Softplus, erf
from tests.helpers.gradcheck import check_layer_gradients

X = np.linspace(-6, 6, 241).reshape(-1, 1)  # 241 points, x = 0 included


def scalar(f, x: np.ndarray) -> np.ndarray:
    return np.array([f(float(v)) for v in x.ravel()]).reshape(x.shape)


def test_erf_agrees_with_math_erf_to_5e_15_everywhere():
    z = np.linspace(-30, 30, 600_001)
    assert np.max(np.abs(erf(z) - scalar(math.erf, z))) < 5e-15
    assert erf(np.array([0.0]))[0] == 0.0 and erf(np.array([-7.0, 7.0])).tolist() == [-1.0, 1.0]
    np.testing.assert_array_equal(erf(-z), -erf(z))  # odd by construction


def test_gelu_forms_are_torchs_formulas_and_differ_by_up_to_4_7e_4():
    exact = GELU().forward(X)
    tanh = GELU("tanh").forward(X)
    # erf's absolute error (5e-15) is the bound where 1 + erf cancels (x << 0), as in torch's formula
    np.testing.assert_allclose(exact, scalar(lambda v: 0.5 * v * math.erfc(-v / math.sqrt(2)), X),
                               rtol=1e-14, atol=2e-14)
    np.testing.assert_allclose(tanh, scalar(lambda v: 0.5 * v * (1 + math.tanh(
        math.sqrt(2 / math.pi) * (v + 0.044715 * v**3))), X), rtol=1e-14, atol=1e-15)
    gap = np.max(np.abs(exact - tanh)[np.abs(X) <= 4])
    assert 4.5e-4 < gap < 4.8e-4  # why the approximate option must be passed explicitly


def test_float32_constants_are_tf_nn_gelus():
    """tf.nn.gelu casts 1/sqrt(2) and 0.044715 from Python floats, which TensorFlow makes float32 first."""
    plain, rounded = GELU().forward(X), GELU(float32_constants=True).forward(X)
    c32 = float(np.float32(math.sqrt(0.5)))
    np.testing.assert_allclose(rounded, scalar(lambda v: 0.5 * v * math.erfc(-v * c32), X),
                               rtol=1e-14, atol=2e-14)
    gap = np.max(np.abs(rounded - plain))  # above float64's tolerance (1e-12 + 1e-10|r|), below float32's
    assert 1e-9 < gap < 1e-7
    tanh32 = GELU("tanh", float32_constants=True)
    assert tanh32.cubic == float(np.float32(0.044715)) != 0.044715


@pytest.mark.parametrize("layer", [GELU(), GELU("tanh"), GELU(float32_constants=True),
                                   GELU("tanh", float32_constants=True), Softplus(), Softplus(threshold=2.0),
                                   LogSoftmax()], ids=repr)
def test_input_gradients_match_finite_differences(layer):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 4.0, (6, 5)) * rng.choice([-1.0, 1.0], (6, 5))
    x[np.abs(np.abs(x) - 2.0) < 0.05] = 2.5  # off softplus(threshold=2)'s switch
    check_layer_gradients(layer, x, np.random.default_rng(2))


def test_softplus_is_stable_and_its_threshold_is_torchs():
    x = np.array([[-1000.0, -40.0, -1.0, 0.0, 1.0, 19.0, 20.5, 40.0, 1000.0]])
    exact = Softplus()
    out = exact.forward(x)
    expected = scalar(lambda v: max(v, 0) + math.log1p(math.exp(-abs(v))), x)
    np.testing.assert_allclose(out, expected, rtol=1e-15)
    assert out[0, 0] == 0.0 and out[0, -1] == 1000.0  # no overflow, no log(0)
    torch_form = Softplus(threshold=20.0)
    cut = torch_form.forward(x)
    np.testing.assert_array_equal(cut[x > 20], x[x > 20])
    np.testing.assert_array_equal(cut[x <= 20], out[x <= 20])
    assert 0 < out[0, 6] - 20.5 < 1.3e-9  # what the threshold drops: ln(1 + e^-20.5)
    grad = np.ones_like(x)
    np.testing.assert_array_equal(torch_form.backward(grad)[x > 20], 1.0)
    assert exact.backward(grad)[0, 6] < 1.0  # sigmoid(20.5) = 1 - 1.25e-9


def test_log_softmax_never_takes_the_log_of_an_underflowed_softmax():
    layer = LogSoftmax()
    extreme = layer.forward(np.array([[1000.0, 0.0, -1000.0]]))
    np.testing.assert_array_equal(extreme, [[0.0, -1000.0, -2000.0]])
    logits = np.random.default_rng(3).standard_normal((4, 5))
    out = layer.forward(logits)
    np.testing.assert_allclose(out, np.log(np.exp(logits) / np.exp(logits).sum(1, keepdims=True)), rtol=1e-14)
    g = np.random.default_rng(4).standard_normal((4, 5))
    softmax = np.exp(out)
    np.testing.assert_allclose(layer.backward(g), g - softmax * g.sum(1, keepdims=True), rtol=1e-14)


def test_bad_options_and_input_are_refused_naming_the_layer():
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh', got 'erf'"):
        GELU("erf")
    with pytest.raises(ValueError, match="Softplus: threshold must be a finite number"):
        Softplus(threshold=float("inf"))
    with pytest.raises(ValueError, match=r"LogSoftmax: input must have shape \('N', 'N'\)"):
        LogSoftmax().forward(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="GELU: input contains NaN"):
        GELU().forward(np.array([[0.5, np.nan]]))


@pytest.mark.parametrize("layer", [GELU(), GELU("tanh"), Softplus(threshold=20.0), LogSoftmax()], ids=repr)
def test_float32_stays_float32_and_agrees_with_float64(layer):
    x = np.random.default_rng(5).uniform(-30, 30, (4, 6))
    out32 = layer.forward(x.astype(np.float32))
    grad32 = layer.backward(np.ones((4, 6), dtype=np.float32))
    assert out32.dtype == grad32.dtype == np.float32
    out64 = layer.forward(x)
    np.testing.assert_allclose(out32, out64, rtol=1e-6, atol=3e-6)
