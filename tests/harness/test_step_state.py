"""A training step's checks on flat vectors (comparisons/kinds/step_state.py) give the numbers of the same
checks made tensor by tensor, bit for bit; a step whose tensors do not fit the framework's is an error."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from comparisons.adapters import scratch_adapter
from comparisons.cases import case_by_id
from comparisons.core.agreement import compare
from comparisons.core.tolerances import gradient_allowance
from comparisons.kinds import training
from comparisons.kinds.dispatch import compare_case
from comparisons.kinds.optimizer import step_update
from comparisons.kinds.step_state import Layout, update_check

SHAPES = {"0.weight": (3, 4), "0.bias": (4,), "empty": (0, 2), "1.weight": (4, 1), "1.bias": (1,)}


def step(rng: np.random.Generator, dtype: str, before: dict | None = None) -> dict:
    """A float `dtype` step result: parameters near `before` (when given), gradients, a buffer."""
    params = {key: ((before[key] if before else rng.standard_normal(shape))
                    + 1e-3 * rng.standard_normal(shape)).astype(dtype) for key, shape in SHAPES.items()}
    grads = {key: rng.standard_normal(shape).astype(dtype) for key, shape in SHAPES.items()}
    return {"loss": np.asarray(0.5, dtype), "params": params, "grads": grads,
            "buffers": {"0.running_mean": rng.standard_normal(4).astype(dtype)}}


def sides(seed: int, dtype: str, planted=None) -> tuple[dict, dict, dict]:
    """(before, mine, framework's): mine the framework's with rounding-level noise and `planted` applied."""
    rng = np.random.default_rng(seed)
    before = step(rng, dtype)["params"]
    ref = step(rng, dtype, before)
    noise = 0.5 * float(np.finfo(dtype).eps)  # rounding-level
    mine = {field: {key: (value * (1 + noise * rng.standard_normal(np.shape(value)))).astype(dtype)
                    for key, value in ref[field].items()} for field in ("params", "grads", "buffers")}
    mine["loss"] = ref["loss"]
    if planted:
        planted(mine, ref)
    return before, mine, ref


def per_tensor_updates(before, mine, ref, dtype, allowances):
    """The update check tensor by tensor: each parameter's worst (a NaN one first)."""
    checks = []
    for key, after in ref["params"].items():
        ours, theirs, tol = step_update(dtype, (before[key], mine["params"][key]), (before[key], after),
                                        allowances[key])
        checks.append(compare(ours, theirs, tol.atol, tol.rtol))
    return max(checks, key=lambda c: (c.status == "nan", c.worst_ratio))


def nan_update(mine, ref):
    mine["params"]["1.weight"][2, 0] = np.nan


def wrong_step(mine, ref):
    mine["params"]["0.bias"] += 1e-2


def two_wrong(mine, ref):  # two tensors off: the worse one is reported
    for key in ("0.bias", "1.bias"):
        mine["params"][key] = ref["params"][key] + np.asarray(1.0, ref["params"][key].dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("planted", [None, nan_update, wrong_step, two_wrong])
def test_the_flat_allowance_and_update_check_are_the_per_tensor_ones_bit_for_bit(dtype, planted):
    before, mine, ref = sides(7, dtype, planted)
    layout = Layout(ref)
    vectors = (layout.state.flatten(mine, "scratch"), layout.state.flatten(ref, "torch"))
    flat_before = layout.parts["param_after_step"][1].flatten({"params": before}, "the case")
    allowance, memory = training.teacher_allowance(layout, vectors, flat_before, None)
    per_key = layout.parts["param_after_step"][1].views(allowance)
    expected_memory = {}
    for key in ref["params"]:
        steps = tuple(np.asarray(side["params"][key], np.float64) - np.asarray(before[key], np.float64)
                      for side in (mine, ref))
        expected, expected_memory[key] = gradient_allowance(steps, (mine["grads"][key], ref["grads"][key]))
        assert per_key[key].tobytes() == expected.tobytes(), key
    got = update_check(layout, vectors, flat_before, dtype, allowance)
    assert repr(got) == repr(per_tensor_updates(before, mine, ref, dtype, per_key))
    assert got.status == {None: "passed", nan_update: "nan"}.get(planted, "failed")
    later, _ = training.teacher_allowance(layout, vectors, flat_before, memory)  # memory of one step
    for key, (gain, gap) in expected_memory.items():
        steps = tuple(np.asarray(side["params"][key], np.float64) - np.asarray(before[key], np.float64)
                      for side in (mine, ref))
        again, _ = gradient_allowance(steps, (mine["grads"][key], ref["grads"][key]), (gain, gap))
        assert layout.parts["param_after_step"][1].views(later)[key].tobytes() == again.tobytes()


def test_a_step_check_of_all_tensors_together_is_the_concatenated_compare():
    before, mine, ref = sides(3, "float32")
    layout = Layout(ref)
    vectors = (layout.state.flatten(mine, "scratch"), layout.state.flatten(ref, "torch"))
    tol = training.tolerance_for("float32", "param_after_step")
    checks = training.step_check(layout, (mine["loss"], ref["loss"]), vectors, tol)
    for field in ("grads", "params", "buffers"):
        keys = list(ref[field])
        expected = compare(np.concatenate([np.ravel(mine[field][k]) for k in keys]),
                           np.concatenate([np.ravel(ref[field][k]) for k in keys]), tol.atol, tol.rtol)
        assert repr(checks[field]) == repr(expected)
    assert set(checks) == {"loss", "grads", "params", "buffers"}


def test_maxima_of_tensors_are_each_tensors_max_with_nothing_as_zero():
    _, _, ref = sides(5, "float64")
    layout = Layout(ref)
    vector = np.abs(layout.state.flatten(ref, "torch"))
    vector[3] = np.nan  # in 0.weight
    expected = [float(np.max(np.abs(np.asarray(ref[field][name], np.float64)), initial=0.0))
                for _, field, name in layout.state.places]
    expected[0] = np.nan
    assert [float(m).hex() for m in layout.state.maxima(vector)] == [float(e).hex() for e in expected]


def test_a_tensor_missing_or_of_another_shape_is_an_error_naming_who_and_both_shapes():
    _, mine, ref = sides(1, "float32")
    layout = Layout(ref)
    mine["grads"]["0.weight"] = mine["grads"]["0.weight"].T
    with pytest.raises(ValueError, match=r"scratch's training step returned grad_param '0.weight' with "
                                         r"shape \(4, 3\); the framework's has shape \(3, 4\)"):
        layout.state.flatten(mine, "scratch")
    del mine["buffers"]
    with pytest.raises(ValueError, match="returned buffer '0.running_mean' with no such tensor"):
        layout.state.flatten({**mine, "grads": ref["grads"]}, "scratch")


def test_a_training_step_with_a_transposed_gradient_is_a_crash_row_naming_the_implementation(monkeypatch):
    pytest.importorskip("torch")

    def make_trainer(spec, params, optimizer, dtype):
        trainer = scratch_adapter.make_trainer(spec, params, optimizer, dtype)
        original = trainer.step

        def transposed(*args):
            result = original(*args)
            return {**result, "grads": {**result["grads"], "0.weight": result["grads"]["0.weight"].T}}

        trainer.step = transposed
        return trainer

    adapter = SimpleNamespace(make_trainer=make_trainer, read_params=scratch_adapter.read_params)
    monkeypatch.setattr(training, "get_adapter", lambda name: adapter)
    outcome = compare_case(case_by_id("proj_nnfs_ch10_spiral_adam_teacher"), "torch", "float64")
    crash = [row for row in outcome.rows if row["status"] == "crash"]
    assert len(crash) == 1 and crash[0]["step"] == 1, crash
    assert "grad_param '0.weight' with shape" in crash[0]["reason"] and "scratch" in crash[0]["reason"]
