"""Keras tf.casts Python-float hyperparameters through float32 even with floatx float64: scratch's
float32_hyperparameters / float32_factors / float32_slope options compute that; without them a float64 case
differs from Keras by exactly the rounding's effect (docs/conventions.md §7)."""

import dataclasses

import numpy as np
import pytest

from comparisons.adapters import get_adapter, profile
from comparisons.cases import case_by_id
from comparisons.kinds.dispatch import compare_case
from comparisons.kinds.optimizer import draw_optimizer_data
from scratch.optimizers import build_optimizer

pytestmark = pytest.mark.skipif(bool(get_adapter("tensorflow").unavailable_reason()),
                                reason="tensorflow is not installed")


def _scratch_run(case, float32_hyperparameters: bool) -> list[dict]:
    """scratch's parameters after every step of the optimizer case, in float64, with or without the option."""
    params, grads = draw_optimizer_data(case.options, case.seed)
    name = case.options["optimizer"]
    conventions = {**profile("tensorflow").optimizer_conventions[name],
                   "float32_hyperparameters": float32_hyperparameters}
    optimizer = build_optimizer(name, **case.options["hyper"], **conventions)
    history = []
    for grad in grads:
        optimizer.step(params, grad)
        history.append({key: value.copy() for key, value in params.items()})
    return history


@pytest.mark.parametrize("case_id", ["opt_sgd_decimal_hyper", "opt_adam_decimal_hyper_decay", "opt_sgd_decay",
                                     "opt_adam_decay", "opt_rmsprop_decay"])
def test_without_float32_hyperparameters_an_optimizer_case_differs_by_exactly_the_rounding(case_id):
    """Without the option the case fails in param_after_step (and in the steps themselves, update) alone,
    its parameters by max |theta(rounded) - theta(exact)| computed by scratch alone; with the tensorflow
    profile's option it passes."""
    case = case_by_id(case_id)
    name = case.options["optimizer"]
    without = {**profile("tensorflow").optimizer_conventions[name], "float32_hyperparameters": False}
    case_without = dataclasses.replace(case, options={**case.options, "scratch_conventions": without})
    outcome = compare_case(case_without, "tensorflow", "float64")
    failed = [r for r in outcome.rows if r["status"] != "passed"]
    assert failed and {r["quantity"] for r in failed} <= {"param_after_step", "update"}
    failed = [r for r in failed if r["quantity"] == "param_after_step"]
    assert failed
    rounded, exact = _scratch_run(case, True), _scratch_run(case, False)
    amount = {(step + 1, key): float(np.max(np.abs(rounded[step][key] - exact[step][key])))
              for step in range(len(rounded)) for key in rounded[step]}
    for row in failed:
        assert row["max_abs_err"] == pytest.approx(amount[row["step"], row["tensor"]], rel=1e-3)
    assert compare_case(case, "tensorflow", "float64").first_divergence is None


@pytest.mark.parametrize(("case_id", "conventions"), [
    ("dense_decimal_factors", {"dense": {"float32_factors": False}}),
    ("act_leaky_relu_alpha_0p2_normal", {"leaky_relu": {"float32_slope": False}}),
])
def test_without_its_float32_option_a_layer_differs_by_exactly_the_rounded_factor(case_id, conventions):
    """L1L2's gradient (l1 sign(W) + 2 l2 W) and LeakyReLU's negative side (alpha x, alpha g) scale with the
    factor: without the option the float64 difference is exactly (float32(c) - c) times that term."""
    case = case_by_id(case_id)
    outcome = compare_case(dataclasses.replace(case, options={**case.options,
                                                              "scratch_layer_conventions": conventions}),
                           "tensorflow", "float64")
    assert any(r["status"] != "passed" for r in outcome.rows)
    mine, theirs = (outcome.extras["results"][side] for side in ("scratch", "framework"))
    layer = case.layers[0]
    rounded = {key: float(np.float32(value)) - value for key, value in layer.items()
               if isinstance(value, float)}
    if layer["type"] == "dense":
        params = outcome.extras["params"]
        for key in ("weight", "bias"):
            w = params[f"0.{key}"]
            expected = rounded[f"{key}_l1"] * np.sign(w) + 2 * rounded[f"{key}_l2"] * w
            got = theirs["grad_param"][f"0.{key}"] - mine["grad_param"][f"0.{key}"]
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-14)  # + float64 rounding of |g| ~ 1
    else:
        x = outcome.extras["batch"].x
        got = theirs["output"]["output"] - mine["output"]["output"]
        np.testing.assert_allclose(got, rounded["alpha"] * np.minimum(x, 0), rtol=0, atol=1e-15)
    assert compare_case(case, "tensorflow", "float64").first_divergence is None


@pytest.mark.parametrize(("name", "hyper", "requested"), [
    ("adam", {"lr": 0.05}, True),  # scratch's (and Keras's) default beta_2 0.999 is not a float32 value
    ("adam", {"lr": 2**-4, "beta_1": 0.875, "beta_2": 1 - 2**-10}, False),
    ("sgd", {"lr": 0.1}, False),  # lr stays in floatx: nothing to round
    ("sgd", {"lr": 2**-4, "momentum": 0.875, "decay": 2**-3}, True),  # InverseTimeDecay divides in float32
])
def test_float32_hyperparameters_is_requested_exactly_where_it_can_change_a_value(name, hyper, requested):
    from comparisons.kinds.optimizer import active_conventions

    conventions = active_conventions(name, "tensorflow", None, hyper)
    assert ("float32_hyperparameters" in conventions) == requested
