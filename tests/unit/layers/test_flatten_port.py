"""Porting a Dense weight across flatten orders (docs/conventions.md §18): port_dense_weight against the
index formula written out, scratch models in both orders, and torch and Keras on the ported model."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from comparisons.adapters import get_adapter
from comparisons.cases import case_by_id
from comparisons.data.batches import draw_case_data
from scratch.layers import Flatten, port_dense_weight
from scratch.model import Sequential
from scratch.registry import build_layer

RNG = np.random.default_rng(11)
DENSE = 2  # position of the Dense layer after the flatten in the flatten_port_* cases


def _written_out(weight: np.ndarray, image: tuple[int, int, int]) -> np.ndarray:
    """W'[(h*W + w)*C + c] = W[c*H*W + h*W + w], one row at a time (channels_first -> channels_last)."""
    channels, height, width = image
    ported = np.empty_like(weight)
    for c, h, w in itertools.product(range(channels), range(height), range(width)):
        ported[(h * width + w) * channels + c] = weight[c * height * width + h * width + w]
    return ported


@pytest.mark.parametrize("image", [(3, 4, 2), (1, 5, 5), (4, 1, 3), (2, 3, 7)])
def test_port_dense_weight_is_the_written_out_index_formula_and_its_inverse(image):
    weight = RNG.standard_normal((int(np.prod(image)), 5))
    ported = port_dense_weight(weight, image, "channels_first", "channels_last")
    np.testing.assert_array_equal(ported, _written_out(weight, image))
    np.testing.assert_array_equal(port_dense_weight(ported, image, "channels_last", "channels_first"), weight)
    same = port_dense_weight(weight, image, "channels_first", "channels_first")
    np.testing.assert_array_equal(same, weight)
    assert same is not weight


@pytest.mark.parametrize(("source", "target"), [("channels_first", "channels_last"),
                                                ("channels_last", "channels_first")])
def test_a_ported_dense_after_the_other_flatten_computes_the_same_function(source, target):
    """flatten(target) @ W' = flatten(source) @ W; dx equal; the ported model's dW is the ported dW."""
    x, g = RNG.standard_normal((3, 2, 4, 5)), RNG.standard_normal((3, 6))
    weight, bias = RNG.standard_normal((40, 6)), RNG.standard_normal(6)
    ported = port_dense_weight(weight, (2, 4, 5), source, target)
    models = {order: Sequential([Flatten(order), build_layer({"type": "dense", "n_inputs": 40, "units": 6})])
              for order in (source, target)}
    for order, w in ((source, weight), (target, ported)):
        models[order].set_params({"1.weight": w, "1.bias": bias})
    np.testing.assert_allclose(models[target].forward(x), models[source].forward(x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(models[target].backward(g), models[source].backward(g), rtol=1e-12, atol=1e-14)
    grads = {order: model.get_grads()["1.weight"] for order, model in models.items()}
    np.testing.assert_allclose(grads[target], port_dense_weight(grads[source], (2, 4, 5), source, target),
                               rtol=1e-12, atol=1e-14)
    models[target].set_params({"1.weight": weight, "1.bias": bias})  # the weight not ported: another function
    assert not np.allclose(models[target].forward(x), models[source].forward(x))


def test_port_dense_weight_refuses_a_weight_of_another_width_or_an_unknown_order():
    with pytest.raises(ValueError, match=r"port_dense_weight\('channels_first' -> 'channels_last'\): weight "
                                         r"must be \(in, out\) with in = 24 \(image \(2, 3, 4\)\), got shape "
                                         r"\(25, 3\)"):
        port_dense_weight(np.zeros((25, 3)), (2, 3, 4), "channels_first", "channels_last")
    with pytest.raises(ValueError, match="order must be one of channels_first, channels_last, got 'nhwc'"):
        port_dense_weight(np.zeros((24, 3)), (2, 3, 4), "channels_first", "nhwc")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
def test_frameworks_agree_with_the_ported_model_of_the_flatten_port_cases(framework):
    """The channels_first case's parameters, its Dense weight ported, loaded into the channels_last case:
    scratch and the framework give the channels_first model's output, loss and gradients (float64)."""
    first, last = case_by_id("flatten_port_channels_first"), case_by_id("flatten_port_channels_last")
    spec_first, spec_last = first.model_spec(), last.model_spec()
    batch, params = draw_case_data(spec_first, first.data, first.seed)
    pooled = (3, 4, 3)  # MaxPool2D 2x2 'same' of 3x7x5
    ported = {**params, f"{DENSE}.weight": port_dense_weight(params[f"{DENSE}.weight"], pooled,
                                                             "channels_first", "channels_last")}
    scratch = get_adapter("scratch")
    reference = scratch.run_pass(scratch.build(spec_first, params, "float64"), spec_first, batch)
    for name in ("scratch", framework):
        adapter = get_adapter(name)
        got = adapter.run_pass(adapter.build(spec_last, ported, "float64"), spec_last, batch)
        for quantity, tensor in (("output", "output"), ("loss", "loss"), ("grad_input", "input")):
            np.testing.assert_allclose(got[quantity][tensor], reference[quantity][tensor], rtol=1e-12,
                                       atol=1e-14, err_msg=f"{name}: {quantity} {tensor}")
        np.testing.assert_allclose(
            got["grad_param"][f"{DENSE}.weight"],
            port_dense_weight(reference["grad_param"][f"{DENSE}.weight"], pooled, "channels_first",
                              "channels_last"), rtol=1e-12, atol=1e-14, err_msg=f"{name}: dW")
        unported = adapter.run_pass(adapter.build(spec_last, params, "float64"), spec_last, batch)
        assert not np.allclose(unported["output"]["output"], reference["output"]["output"]), (
            f"{name}: the unported weight gives the same output: the case would not show a wrong port")
