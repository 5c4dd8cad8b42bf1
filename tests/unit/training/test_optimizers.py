"""Optimizers: one hand-computed step per formula and convention option, decay, atomic failure, bad input.

Numbers are chosen so the arithmetic is short; each expected value is written as its arithmetic.
"""

import math

import numpy as np
import pytest

from scratch.layers import Dense
from scratch.optimizers import OPTIMIZERS, SGD, Adagrad, Adam, RMSprop, build_optimizer


def run(optimizer, theta0: float, gradients: list[float]) -> float:
    """theta after one step per gradient, on a single float64 scalar parameter."""
    params = {"w": np.array([theta0])}
    for g in gradients:
        optimizer.step(params, {"w": np.array([g])})
    return float(params["w"][0])


def close(value: float) -> object:
    return pytest.approx(value, rel=1e-14, abs=1e-15)


# --- SGD ---------------------------------------------------------------------------------------

def test_sgd_plain_step():
    params = {"w": np.array([1.0, -2.0])}
    SGD(lr=0.1).step(params, {"w": np.array([0.5, -1.0])})
    np.testing.assert_allclose(params["w"], [1.0 - 0.1 * 0.5, -2.0 + 0.1 * 1.0], rtol=0, atol=1e-15)


def test_decay_is_inverse_time_with_one_based_t():
    opt = SGD(lr=1.0, decay=0.5)  # lr_t = 1/(1 + 0.5(t-1)): 1, 2/3, 1/2
    assert [opt.current_lr(t) for t in (1, 2, 3)] == [1.0, close(2 / 3), 0.5]
    assert run(opt, 0.0, [1.0, 1.0, 1.0]) == close(-(1 + 2 / 3 + 1 / 2))
    assert opt.t == 3


def test_momentum_forms_agree_at_constant_lr():
    # nnfs: v1 = -.1*1 = -.1, theta = -.1; v2 = .9*(-.1) - .1*2 = -.29, theta = -.39
    # torch: buf1 = 1, theta = -.1; buf2 = .9*1 + 2 = 2.9, theta = -.1 - .1*2.9 = -.39
    for form in ("nnfs", "torch"):
        assert run(SGD(lr=0.1, momentum=0.9, momentum_form=form), 0.0, [1.0, 2.0]) == close(-0.39)


def test_momentum_forms_differ_under_decay():
    # lr .1 -> .01 (decay 9: .1/(1 + 9*1)), g = 1, mu = .9 (docs/conventions.md §5)
    # nnfs / keras: v1 = -.1; v2 = .9*(-.1) - .01 = -.1; theta2 = -.2
    # torch: buf1 = 1, theta1 = -.1; buf2 = .9 + 1 = 1.9, theta2 = -.1 - .01*1.9 = -.119
    assert run(SGD(lr=0.1, momentum=0.9, decay=9.0), 0.0, [1.0, 1.0]) == close(-0.2)
    assert run(SGD(lr=0.1, momentum=0.9, decay=9.0, momentum_form="torch"), 0.0, [1.0, 1.0]) == close(-0.119)


def test_nesterov_torch_form():
    # buf1 = 1, theta -= .1*(1 + .9*1) -> -.19; buf2 = 1.9, theta -= .1*(1 + .9*1.9) = .271 -> -.461
    opt = SGD(lr=0.1, momentum=0.9, nesterov=True, momentum_form="torch")
    assert run(opt, 0.0, [1.0, 1.0]) == close(-0.461)


def test_nesterov_keras_sklearn_form():
    # v1 = -.1, theta += .9*(-.1) - .1 -> -.19; v2 = .9*(-.1) - .1 = -.19, theta += .9*(-.19) - .1 -> -.461
    assert run(SGD(lr=0.1, momentum=0.9, nesterov=True), 0.0, [1.0, 1.0]) == close(-0.461)
    # under decay 9 (lr .1 -> .01) they part: keras v2 = -.09 - .01 = -.1, theta2 = -.19 + .9*(-.1) - .01
    # = -.29; torch buf2 = 1.9, theta2 = -.19 - .01*(1 + .9*1.9) = -.2171
    assert run(SGD(lr=0.1, momentum=0.9, nesterov=True, decay=9.0), 0.0, [1.0, 1.0]) == close(-0.29)
    torch_form = SGD(lr=0.1, momentum=0.9, nesterov=True, decay=9.0, momentum_form="torch")
    assert run(torch_form, 0.0, [1.0, 1.0]) == close(-0.2171)


# --- Adagrad ------------------------------------------------------------------------------------

def test_adagrad_two_steps_nnfs_torch():
    # eps 0: cache = 9, step 3/sqrt(9) = 1; cache = 9 + 16 = 25, step 4/5 = .8
    assert run(Adagrad(lr=1.0, epsilon=0.0), 10.0, [3.0, 4.0]) == close(10.0 - 1.0 - 0.8)
    # with decay 1 (torch lr_decay): the second step uses lr 1/(1 + 1) = .5 -> .4
    assert run(Adagrad(lr=1.0, epsilon=0.0, decay=1.0), 10.0, [3.0, 4.0]) == close(10.0 - 1.0 - 0.4)


def test_adagrad_epsilon_placement():
    # g = 3, eps = 7: outside 3/(sqrt(9) + 7) = .3; inside 3/sqrt(9 + 7) = .75
    assert run(Adagrad(lr=1.0, epsilon=7.0), 0.0, [3.0]) == close(-0.3)
    assert run(Adagrad(lr=1.0, epsilon=7.0, eps_inside_sqrt=True), 0.0, [3.0]) == close(-0.75)


def test_adagrad_keras_initial_accumulator():
    # keras: acc starts at .1; g = 1.2, eps .71 inside: sqrt(.1 + 1.44 + .71) = sqrt(2.25) = 1.5
    # step 1.2/1.5 = .8
    opt = Adagrad(lr=1.0, epsilon=0.71, initial_accumulator=0.1, eps_inside_sqrt=True)
    assert run(opt, 0.0, [1.2]) == close(-0.8)


# --- RMSprop ------------------------------------------------------------------------------------

def test_rmsprop_two_steps_and_epsilon_placement():
    # rho .75, g1 = 2: cache = .25*4 = 1; eps 3 outside: .1*2/(1 + 3) = .05; inside: .1*2/sqrt(1 + 3) = .1
    # g2 = 1: cache = .75*1 + .25*1 = 1; outside .1*1/4 = .025; inside .1*1/2 = .05
    assert run(RMSprop(lr=0.1, rho=0.75, epsilon=3.0), 0.0, [2.0, 1.0]) == close(-0.05 - 0.025)
    inside = RMSprop(lr=0.1, rho=0.75, epsilon=3.0, eps_inside_sqrt=True)
    assert run(inside, 0.0, [2.0, 1.0]) == close(-0.1 - 0.05)


# --- Adam ---------------------------------------------------------------------------------------

def test_adam_textbook_vs_epsilon_hat_first_step():
    # b1 .5, b2 .75, g = 2: m = .5*2 = 1, v = .25*4 = 1
    # textbook: m_hat = 1/.5 = 2, v_hat = 1/.25 = 4; eps 1: .1*2/(sqrt(4) + 1) = 1/15
    # epsilon-hat: alpha = .1*sqrt(.25)/.5 = .1; .1*1/(sqrt(1) + 1) = .05
    assert run(Adam(lr=0.1, beta_1=0.5, beta_2=0.75, epsilon=1.0), 0.0, [2.0]) == close(-1 / 15)
    hat = Adam(lr=0.1, beta_1=0.5, beta_2=0.75, epsilon=1.0, epsilon_hat=True)
    assert run(hat, 0.0, [2.0]) == close(-0.05)


def test_adam_second_step_bias_correction():
    # eps 0. t=1 as above: -.1. t=2, g = 0: m = .5*1 = .5, v = .75*1 = .75
    # m_hat = .5/(1 - .25) = 2/3, v_hat = .75/(1 - .5625) = 12/7 -> step .1*(2/3)/sqrt(12/7)
    expected = -0.1 - 0.1 * (2 / 3) / np.sqrt(12 / 7)
    assert run(Adam(lr=0.1, beta_1=0.5, beta_2=0.75, epsilon=0.0), 0.0, [2.0, 0.0]) == close(expected)
    # with eps 0 the two forms are the same formula: alpha*m/sqrt(v) = lr*m_hat/sqrt(v_hat)
    hat = Adam(lr=0.1, beta_1=0.5, beta_2=0.75, epsilon=0.0, epsilon_hat=True)
    assert run(hat, 0.0, [2.0, 0.0]) == close(expected)


def test_textbook_defaults_conventions_5():
    assert SGD().lr == 1.0 and SGD().momentum == 0.0
    assert (Adagrad().lr, Adagrad().epsilon, Adagrad().initial_accumulator) == (1.0, 1e-7, 0.0)
    assert (RMSprop().lr, RMSprop().rho, RMSprop().epsilon) == (1e-3, 0.9, 1e-7)
    adam = Adam()
    assert (adam.lr, adam.beta_1, adam.beta_2, adam.epsilon) == (1e-3, 0.9, 0.999, 1e-7)
    assert not adam.epsilon_hat


# --- interface ----------------------------------------------------------------------------------

FLOAT32_CASES = {name: {} for name in OPTIMIZERS} | {
    "sgd_momentum_nnfs": {"momentum": 0.9}, "sgd_nesterov_torch": {"momentum": 0.9, "nesterov": True,
                                                                  "momentum_form": "torch"}}


@pytest.mark.parametrize("case", sorted(FLOAT32_CASES))
def test_updates_in_place_keep_float32_and_count_steps(case):
    layer = Dense(3, 2, dtype=np.float32)
    weight = layer.params["weight"]
    layer.forward(np.ones((4, 3), dtype=np.float32))
    layer.backward(np.ones((4, 2), dtype=np.float32))
    name = case.split("_")[0]
    # float64 NumPy scalars on purpose: under NEP 50 they would upcast float32 arrays
    opt = build_optimizer(name, lr=np.float64(0.1), decay=np.float64(0.01), **FLOAT32_CASES[case])
    assert opt.t == 0
    opt.step(layer.params, layer.grads)
    opt.step(layer.params, layer.grads)
    assert opt.t == 2 and layer.params["weight"] is weight  # same array, updated in place
    assert all(p.dtype == np.float32 for p in layer.params.values())
    assert all(s.dtype == np.float32 for state in opt.state.values() for s in state.values())


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_failing_step_leaves_params_and_state_unchanged(name):
    opt = build_optimizer(name, lr=0.1) if name != "sgd" else SGD(lr=0.1, momentum=0.9)
    params = {"a": np.array([1.0, 2.0]), "b": np.array([3.0])}
    opt.step(params, {"a": np.array([0.5, 0.5]), "b": np.array([0.5])})
    before = {k: v.copy() for k, v in params.items()}
    state_before = {k: {n: s.copy() for n, s in st.items()} for k, st in opt.state.items()}
    bad_grads = [
        {"a": np.array([0.5, 0.5]), "b": np.array([np.nan])},  # "a" first: a naive loop would update it
        {"a": np.array([0.5, np.inf]), "b": np.array([0.5])},
        {"a": np.array([0.5, 0.5]), "b": np.array([0.5, 0.5])},  # shape mismatch
    ]
    for grads in bad_grads:
        with pytest.raises(ValueError, match=name):
            opt.step(params, grads)
        for key in params:
            np.testing.assert_array_equal(params[key], before[key])
            for n, s in opt.state[key].items():
                np.testing.assert_array_equal(s, state_before[key][n])
    assert opt.t == 1


def test_error_names_optimizer_and_key():
    with pytest.raises(ValueError, match=r"adam: grad 'layer.bias' contains NaN"):
        Adam().step({"layer.bias": np.zeros(2)}, {"layer.bias": np.array([0.0, np.nan])})
    with pytest.raises(ValueError, match=r"sgd: grad 'w' has shape \(3,\), param has \(2,\)"):
        SGD().step({"w": np.zeros(2)}, {"w": np.zeros(3)})


def test_state_is_per_key():
    opt = Adagrad(lr=1.0, epsilon=0.0)
    params = {"a": np.array([0.0]), "b": np.array([0.0])}
    opt.step(params, {"a": np.array([3.0]), "b": np.array([4.0])})
    assert opt.state["a"]["cache"][0] == 9.0 and opt.state["b"]["cache"][0] == 16.0


def test_unknown_optimizer_lists_known_names():
    with pytest.raises(KeyError, match="unknown optimizer 'adamw'; known: adagrad, adam, rmsprop, sgd"):
        build_optimizer("adamw")


def test_bad_params_and_grads():
    with pytest.raises(TypeError, match="grad 'w' is float32, param is float64"):
        SGD().step({"w": np.zeros(2)}, {"w": np.zeros(2, dtype=np.float32)})
    with pytest.raises(TypeError, match="param 'w' must be a float array"):
        SGD().step({"w": np.zeros(2, dtype=np.int64)}, {"w": np.zeros(2, dtype=np.int64)})
    with pytest.raises(ValueError, match=r"no grad for \['b'\]"):
        SGD().step({"w": np.zeros(2), "b": np.zeros(1)}, {"w": np.zeros(2)})
    frozen = np.zeros(2)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        SGD().step({"w": frozen}, {"w": np.ones(2)})


@pytest.mark.parametrize("make", [
    lambda: SGD(lr=-1.0), lambda: SGD(momentum=1.0), lambda: SGD(momentum_form="keras", momentum=0.9),
    lambda: SGD(nesterov=True), lambda: Adam(beta_1=1.0), lambda: Adam(decay=-1.0),
    lambda: RMSprop(rho=1.5), lambda: Adagrad(epsilon=float("nan")),
    lambda: Adagrad(initial_accumulator=-0.1),
])
def test_bad_hyperparameters_are_rejected(make):
    with pytest.raises(ValueError):
        make()


def test_float32_hyperparameters_round_what_keras_tf_casts():
    """momentum and the betas of the bias corrections become float32 values; a decayed lr is computed in
    float32; without decay lr stays exact (Keras keeps it in floatx)."""
    f32 = np.float32
    sgd = SGD(lr=1.0, momentum=0.9, float32_hyperparameters=True)
    assert run(sgd, 0.0, [1.0, 1.0]) == -1.0 + (-float(f32(0.9)) - 1.0)  # v2 = mu32 * v1 - g
    decayed = SGD(lr=0.1, decay=0.01, float32_hyperparameters=True)
    assert decayed.current_lr(3) == float(f32(0.1) / (f32(1.0) + f32(0.01) * f32(2.0)))
    assert SGD(lr=0.1, float32_hyperparameters=True).current_lr(3) == 0.1
    adam = Adam(lr=0.5, beta_1=0.9, beta_2=0.999, epsilon=0.0, epsilon_hat=True, float32_hyperparameters=True)
    alpha = 0.5 * math.sqrt(1 - float(f32(0.999))) / (1 - float(f32(0.9)))
    assert run(adam, 0.0, [2.0]) == pytest.approx(-alpha * (0.1 * 2.0) / math.sqrt(0.001 * 4.0), rel=1e-15)
    assert Adagrad(initial_accumulator=0.1, float32_hyperparameters=True)._initial_state(
        np.zeros(1))["cache"][0] == float(f32(0.1))
