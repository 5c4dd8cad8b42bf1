"""Buffers (non-trainable layer state) travel like parameters: drawn, loaded, read back, compared after a
pass, saved and loaded, never given to an optimizer. Shown with a test-only layer type that keeps a
running mean, registered for the test alone."""

from __future__ import annotations

import numpy as np
import pytest

from comparisons.adapters import scratch_adapter
from comparisons.core.spec import buffer_keys, training_indices
from comparisons.data.batches import Batch
from comparisons.data.parameters import draw_params
from scratch.layers import Layer
from scratch.model import Sequential
from scratch.registry import LAYER_TYPES, LayerType, Tensor, output_shape


class RunningMean(Layer):
    """y = x; training updates running = 0.5 running + 0.5 mean_n(x) (a buffer, like BatchNorm's)."""

    kind = "running_mean_probe"

    def __init__(self, width: int, dtype: str = "float64") -> None:
        super().__init__()
        self.buffers["running"] = np.zeros(width, dtype=dtype)

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        if training:
            self.buffers["running"][...] = 0.5 * self.buffers["running"] + 0.5 * inputs.mean(axis=0)
        return inputs

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output


@pytest.fixture
def probe_type(monkeypatch):
    record = LayerType("running_mean_probe", lambda spec, dtype: RunningMean(spec["n_inputs"], dtype),
                       required=("n_inputs",), takes_training=True,
                       buffers=(Tensor("running", lambda spec: (spec["n_inputs"],), "bias"),))
    monkeypatch.setitem(LAYER_TYPES, record.name, record)
    return record


def test_the_records_buffers_are_drawn_keyed_and_shaped(probe_type):
    layers = [{"type": "dense", "n_inputs": 3, "units": 4}, {"type": "running_mean_probe", "n_inputs": 4}]
    params = draw_params(layers, np.random.default_rng(0))
    assert list(params) == ["0.weight", "0.bias", "1.running"] and params["1.running"].shape == (4,)
    spec = {"layers": layers, "loss": None}
    assert buffer_keys(spec) == ["1.running"] and training_indices(spec) == [1]
    assert output_shape(layers[1], (4,)) == (4,)


def test_scratch_adapter_loads_reads_back_and_reports_buffers_after_the_pass(probe_type):
    spec = {"layers": [{"type": "running_mean_probe", "n_inputs": 2}], "loss": None, "training": True}
    model = scratch_adapter.build(spec, {"0.running": np.array([1.0, -1.0])}, "float64")
    assert scratch_adapter.read_params(model)["0.running"].tolist() == [1.0, -1.0]
    x = np.array([[1.0, 3.0], [3.0, 5.0]])
    results = scratch_adapter.run_pass(model, spec, Batch(x, np.zeros(2), np.ones((2, 2))))
    assert results["buffer"]["0.running"].tolist() == [1.5, 1.5]  # 0.5*[1, -1] + 0.5*[2, 4]
    assert "0.running" not in results["grad_param"]


def test_a_model_saves_and_loads_its_buffers_and_optimizers_never_see_them(tmp_path):
    model = Sequential([RunningMean(2)])
    model.set_buffers({"0.running": np.array([0.25, 0.5])})
    assert model.get_params() == {} and model.get_buffers()["0.running"].tolist() == [0.25, 0.5]
    model.save(tmp_path / "m.npz")
    other = Sequential([RunningMean(2)])
    other.load(tmp_path / "m.npz")
    assert other.get_buffers()["0.running"].tolist() == [0.25, 0.5]
    refused = r"buffers: parameters refused: '0.running': expected shape \(2,\), got \(3,\)"
    with pytest.raises(ValueError, match=refused):
        other.set_buffers({"0.running": np.zeros(3)})
