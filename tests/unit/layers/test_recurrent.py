"""SimpleRNN, LSTM, GRU: gradients through time for every option, bias forms, initial states, bad input."""

import numpy as np
import pytest

from scratch.layers.gated import GRU, LSTM
from scratch.layers.recurrent import SimpleRNN
from tests.helpers.gradcheck import assert_gradients_match, check_layer_gradients, numeric_gradient

F, H = 3, 4  # hidden != input

FORMS = [(cls, options) for cls in (SimpleRNN, LSTM) for options in (
    {}, {"return_sequences": True}, {"biases": 2, "learned_initial_state": True},
    {"biases": 2, "return_sequences": True})]
FORMS += [(GRU, options) for options in (
    {}, {"return_sequences": True, "learned_initial_state": True}, {"reset_after": False},
    {"reset_after": False, "return_sequences": True, "learned_initial_state": True})]


def _layer(cls, seed=0, dtype=np.float64, **options):
    layer = cls(F, H, dtype=dtype, **options)
    rng = np.random.default_rng(seed)
    for value in layer.params.values():
        value[...] = 0.6 * rng.standard_normal(value.shape)  # non-zero biases and states
    return layer


def _x(n=2, steps=5, dtype=np.float64, seed=1):
    return np.random.default_rng(seed).standard_normal((n, steps, F)).astype(dtype)


@pytest.mark.parametrize(("cls", "options"), FORMS, ids=lambda v: v.__name__ if isinstance(v, type) else
                         "-".join(f"{k}={w}" for k, w in v.items()) or "defaults")
def test_gradients_through_time_match_finite_differences(cls, options):
    check_layer_gradients(_layer(cls, **options), _x(), np.random.default_rng(2))


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_a_given_initial_state_gets_its_gradient_and_equals_the_learned_one_broadcast(cls):
    learned = _layer(cls, learned_initial_state=True, return_sequences=True)
    given = cls(F, H, return_sequences=True)
    for key in ("kernel", "recurrent_kernel", "bias"):
        given.params[key][...] = learned.params[key]
    names = ("initial_h", "initial_c")[:cls.states]
    states = [np.tile(learned.params[name], (2, 1)) for name in names]
    x, g = _x(), np.random.default_rng(3).standard_normal((2, 5, H))
    np.testing.assert_array_equal(given.forward(x, initial_state=states), learned.forward(x))
    given.backward(g)
    learned.backward(g)
    for name, state, grad in zip(names, states, given.grad_initial_state, strict=True):
        np.testing.assert_allclose(grad.sum(axis=0), learned.grads[name], rtol=1e-13)
        numeric = numeric_gradient(lambda: float(np.sum(given.forward(x, initial_state=states) * g)), state)
        assert_gradients_match(grad, numeric, f"{cls.__name__} dL/d{name}")


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM])
def test_two_biases_compute_keras_one_bias_their_sum_and_get_the_same_gradient(cls):
    """torch's b_ih + b_hh is Keras's one bias: the same outputs, and each bias row gets that gradient."""
    two = _layer(cls, biases=2, return_sequences=True)
    one = cls(F, H, return_sequences=True)
    one.params["kernel"][...], one.params["recurrent_kernel"][...] = two.params["kernel"], two.params[
        "recurrent_kernel"]
    one.params["bias"][...] = two.params["bias"].sum(axis=0)
    x, g = _x(), np.random.default_rng(4).standard_normal((2, 5, H))
    np.testing.assert_allclose(two.forward(x), one.forward(x), rtol=1e-13, atol=1e-15)
    two.backward(g)
    one.backward(g)
    for row in two.grads["bias"]:
        np.testing.assert_allclose(row, one.grads["bias"], rtol=1e-12, atol=1e-15)


def test_gru_reset_before_is_another_formula_than_reset_after():
    """One step from h0: reset_after multiplies r into (h U_h + b_hh), reset_before into h before U_h."""
    after = _layer(GRU, learned_initial_state=True)
    before = GRU(F, H, reset_after=False, learned_initial_state=True)
    for key in ("kernel", "recurrent_kernel", "initial_h"):
        before.params[key][...] = after.params[key]
    before.params["bias"][...] = after.params["bias"][0]
    x = _x(steps=1)
    h0 = before.params["initial_h"]
    kernel, recurrent, bias = (before.params[k] for k in ("kernel", "recurrent_kernel", "bias"))
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    pre = x[:, 0] @ kernel + bias
    z, r = sigmoid(pre[:, :H] + h0 @ recurrent[:, :H]), sigmoid(pre[:, H:2 * H] + h0 @ recurrent[:, H:2 * H])
    candidate = np.tanh(pre[:, 2 * H:] + (r * h0) @ recurrent[:, 2 * H:])
    np.testing.assert_allclose(before.forward(x), z * h0 + (1 - z) * candidate, rtol=1e-13)
    assert np.abs(after.forward(x) - before.forward(x)).max() > 1e-3


def test_the_last_step_is_the_last_row_of_the_sequence_and_float32_stays_float32():
    every = _layer(LSTM, return_sequences=True, dtype=np.float32)
    last = LSTM(F, H, dtype=np.float32)
    for key, value in every.params.items():
        last.params[key][...] = value
    x = _x(dtype=np.float32)
    out = last.forward(x)
    np.testing.assert_array_equal(out, every.forward(x)[:, -1])
    grad_input = last.backward(np.ones_like(out))
    assert {a.dtype for a in (out, grad_input, *last.grads.values())} == {np.dtype(np.float32)}


@pytest.mark.parametrize(("x", "message"), [
    (np.zeros((2, F)), r"input must have shape \(N, T, F=3\) with T >= 1, got shape \(2, 3\)"),
    (np.zeros((2, 5, F + 1)), r"input must have shape \(N, T, F=3\) with T >= 1, got shape \(2, 5, 4\)"),
    (np.zeros((2, 0, F)), r"input must have shape \(N, T, F=3\) with T >= 1, got shape \(2, 0, 3\)"),
    (np.zeros((2, 5, F), dtype=np.int64), "input must have dtype float32 or float64"),
])
@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_a_wrong_input_is_refused_naming_the_layer_and_nothing_changes(cls, x, message):
    layer = _layer(cls)
    good = _x()
    layer.forward(good)
    before = {k: v.copy() for k, v in layer.params.items()}
    with pytest.raises((ValueError, TypeError), match=rf"{cls.__name__}\(3->4.*\): {message}"):
        layer.forward(x)
    assert layer.inputs is good
    for key, value in before.items():
        np.testing.assert_array_equal(layer.params[key], value)


@pytest.mark.parametrize(("state", "message"), [
    (np.zeros((3, H)), r"LSTM\(3->4\): initial_state must be 2 array\(s\) of shape \(N=2, H=4\), got 1"),
    ((np.zeros((2, H)), np.zeros((3, H))), r"initial_state c must have shape \(N=2, H=4\), got \(3, 4\)"),
    ((np.zeros((2, H + 1)), np.zeros((2, H))), r"initial_state h must have shape \(N=2, H=4\), got \(2, 5\)"),
    ((np.zeros((2, H), np.float32), np.zeros((2, H))), "initial_state h must have the input's dtype float64"),
    ((np.full((2, H), np.nan), np.zeros((2, H))), "initial_state h contains NaN"),
])
def test_an_initial_state_of_the_wrong_shape_is_refused(state, message):
    layer = _layer(LSTM)
    with pytest.raises(ValueError, match=message):
        layer.forward(_x(), initial_state=state)
    assert layer.inputs is None  # nothing was kept from the refused call


def test_bad_options_and_upstream_gradients_are_refused():
    with pytest.raises(ValueError, match=r"GRU\(3->4, learned_initial_state, reset_after=True\): "
                                         "initial_state was given to a layer whose initial state is a"):
        _layer(GRU, learned_initial_state=True).forward(_x(), initial_state=np.zeros((2, H)))
    with pytest.raises(ValueError, match=r"LSTM\(3->4\): biases must be 1 \(Keras\) or 2"):
        LSTM(F, H, biases=3)
    with pytest.raises(ValueError, match="SimpleRNN: units must be an integer >= 1, got 0"):
        SimpleRNN(F, 0)
    layer = _layer(SimpleRNN, return_sequences=True)
    with pytest.raises(RuntimeError, match="backward before forward"):
        layer.backward(np.zeros((2, 5, H)))
    layer.forward(_x())
    with pytest.raises(ValueError, match=r"grad_output must have shape \(2, 5, 4\), got \(2, 4\)"):
        layer.backward(np.zeros((2, H)))
