"""Meta-tests: a bug planted in a layer, its record or Sequential makes a component check fail.

The checks are those of tests/helpers/component_checks.py.

Each bug is planted with monkeypatch (undone after the test) or in a copy of a record, so the real
records and classes stay as they are. A test-only layer type with a buffer shows the buffer paths
work although no registered layer type has buffers yet.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from scratch import activations
from scratch.activations import PReLU, Softmax, Tanh
from scratch.errors import check_float_array, check_shape
from scratch.layers import Dense, Dropout, Layer
from scratch.layers import dense as dense_module
from scratch.model import Sequential
from scratch.registry import LAYER_TYPES, LayerType, Tensor
from tests.helpers import component_checks as checks

FAILED = (AssertionError, pytest.fail.Exception)  # a failed assert, or pytest.raises' DID NOT RAISE


class Shifted(Layer):
    """y = x * scale + shift: scale a parameter, shift a buffer (test-only, like a frozen batch norm)."""

    kind = "shifted"

    def __init__(self, n_inputs: int, dtype: str) -> None:
        super().__init__()
        self.n_inputs = n_inputs
        self.params["scale"] = np.ones(n_inputs, dtype=dtype)
        self.buffers["shift"] = np.zeros(n_inputs, dtype=dtype)

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        check_float_array("Shifted", "input", inputs)
        check_shape("Shifted", "input", inputs, (None, self.n_inputs))
        self.inputs = inputs
        return inputs * self.params["scale"] + self.buffers["shift"]

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        self.grads["scale"] = (grad_output * self.inputs).sum(axis=0)
        return grad_output * self.params["scale"]


SHIFTED = LayerType(
    "shifted", lambda spec, dtype: Shifted(spec["n_inputs"], dtype), required=("n_inputs",),
    params=(Tensor("scale", lambda s: (s["n_inputs"],), "slope"),),
    buffers=(Tensor("shift", lambda s: (s["n_inputs"],), "bias"),))


def every_check(record: LayerType, directory) -> None:
    checks.check_gradients(record)
    checks.check_dtype_preserved(record)
    checks.check_output_shape(record)
    checks.check_rejects_nan_input(record)
    checks.check_input_width(record)
    checks.check_params_round_trip(record)
    checks.check_save_load_round_trip(record, directory)


def test_a_correct_layer_with_a_buffer_passes_every_check(tmp_path):
    every_check(SHIFTED, tmp_path)
    assert checks.fixed_width(SHIFTED)


def test_a_layer_type_without_an_example_spec_is_named():
    conv = LayerType("conv", lambda spec, dtype: None, required=("n_inputs", "filters", "kernel_size"))
    named = r"'conv' requires 'filters', 'kernel_size'.*EXAMPLE_SPECS\['conv'\]"
    with pytest.raises(LookupError, match=named):
        checks.example_spec(conv)


# ----- gradients -----

def test_dense_input_gradient_one_percent_off(monkeypatch):
    real = Dense.backward
    monkeypatch.setattr(Dense, "backward", lambda self, g: real(self, g) * 1.01)
    with pytest.raises(AssertionError, match="input gradient"):
        checks.check_gradients(LAYER_TYPES["dense"])


def test_dense_weight_gradient_averaged_over_the_batch(monkeypatch):
    real = Dense.param_backward

    def mean_not_sum(self, g):
        real(self, g)
        self.grads["weight"] = self.grads["weight"] / g.shape[0]

    monkeypatch.setattr(Dense, "param_backward", mean_not_sum)
    with pytest.raises(AssertionError, match="gradient of weight"):
        checks.check_gradients(LAYER_TYPES["dense"])


def test_softmax_backward_taken_elementwise(monkeypatch):
    monkeypatch.setattr(Softmax, "_backward", lambda self, g: g * self.output * (1 - self.output))
    with pytest.raises(AssertionError, match="input gradient"):
        checks.check_gradients(LAYER_TYPES["softmax"])


def test_prelu_alpha_gradient_over_positive_inputs_too(monkeypatch):
    real = PReLU._backward

    def wrong_alpha(self, g):
        grad_input = real(self, g)
        self.grads["alpha"] = (g * self.inputs).sum().reshape(1)
        return grad_input

    monkeypatch.setattr(PReLU, "_backward", wrong_alpha)
    with pytest.raises(AssertionError, match="gradient of alpha"):
        checks.check_gradients(LAYER_TYPES["prelu"])


def test_dropout_backward_without_the_rescaling(monkeypatch):
    monkeypatch.setattr(Dropout, "backward", lambda self, g: g * self.mask)
    with pytest.raises(AssertionError, match="input gradient"):
        checks.check_gradients(LAYER_TYPES["dropout"])


def test_a_parameter_left_without_gradient(monkeypatch):
    real = Shifted.backward

    def forgets(self, g):
        grad_input = real(self, g)
        del self.grads["scale"]
        return grad_input

    monkeypatch.setattr(Shifted, "backward", forgets)
    with pytest.raises(AssertionError, match="backward filled gradients"):
        checks.check_gradients(SHIFTED)


# ----- dtypes, shapes, bad input -----

def test_an_activation_that_upcasts_float32(monkeypatch):
    monkeypatch.setattr(Tanh, "_forward", lambda self, x: np.tanh(x.astype(np.float64)))
    with pytest.raises(AssertionError, match="output"):
        checks.check_dtype_preserved(LAYER_TYPES["tanh"])


def test_a_record_with_the_wrong_output_shape():
    wrong = dataclasses.replace(LAYER_TYPES["dense"], output_shape=lambda spec, shape: (spec["n_inputs"],))
    with pytest.raises(AssertionError, match="the record says"):
        checks.check_output_shape(wrong)


def test_a_record_with_the_wrong_parameter_shape():
    weight, bias = LAYER_TYPES["dense"].params
    wrong = dataclasses.replace(LAYER_TYPES["dense"], params=(
        dataclasses.replace(weight, shape=lambda s: (s["units"], s["n_inputs"])), bias))
    with pytest.raises(AssertionError, match=r"dense.weight: shape \(4, 3\), the record says \(3, 4\)"):
        checks.build(wrong)


def test_an_activation_that_lets_nan_through(monkeypatch):
    monkeypatch.setattr(activations, "check_float_array", lambda component, name, array: array)
    with pytest.raises(FAILED):
        checks.check_rejects_nan_input(LAYER_TYPES["relu"])


def test_a_width_error_that_does_not_name_the_layer(monkeypatch):
    def anonymous(component, name, array, expected):
        check_shape("somewhere", name, array, expected)

    monkeypatch.setattr(dense_module, "check_shape", anonymous)
    with pytest.raises(AssertionError, match="does not name Dense"):
        checks.check_input_width(LAYER_TYPES["dense"])


# ----- round trips -----

@pytest.mark.parametrize("record", [LAYER_TYPES["dense"], LAYER_TYPES["prelu"], SHIFTED],
                         ids=lambda r: r.name)
@pytest.mark.parametrize("method, bug", [
    ("set_params", lambda self, params: None),
    ("get_params", lambda self: self._live_params()),  # the layers' own arrays, not copies
])
def test_params_round_trip_that_drops_or_aliases(monkeypatch, record, method, bug):
    monkeypatch.setattr(Sequential, method, bug)
    with pytest.raises(AssertionError):
        checks.check_params_round_trip(record)


def test_set_buffers_that_drops_them(monkeypatch):
    monkeypatch.setattr(Sequential, "set_buffers", lambda self, buffers: None)
    with pytest.raises(AssertionError, match="shift"):
        checks.check_params_round_trip(SHIFTED)


@pytest.mark.parametrize("record", [LAYER_TYPES["dense"], SHIFTED], ids=lambda r: r.name)
def test_load_that_reads_nothing(monkeypatch, tmp_path, record):
    monkeypatch.setattr(Sequential, "load", lambda self, path: None)
    with pytest.raises(AssertionError):
        checks.check_save_load_round_trip(record, tmp_path)

