"""The fast training paths (a traced tf.function, a lean torch step, a jax.jit step) compute what the pass
(run_pass) does.

The trajectory runner trains with make_trainer(...).step; the single-pass cases use run_pass. The
step must be the same math, bit for bit: the eager pass + the framework optimizer is replayed
here beside the trainer and every loss, gradient, parameter and dropout mask must be identical.
"""

from __future__ import annotations

import numpy as np
import pytest

from comparisons.adapters import get_adapter
from comparisons.data.batches import Batch

SPEC = {"seed": 3, "loss": "categorical_crossentropy", "layers": [
    {"type": "dense", "n_inputs": 4, "units": 8, "weight_l1": 1e-3, "weight_l2": 5e-4, "bias_l2": 1e-3},
    {"type": "relu"}, {"type": "dropout", "rate": 0.25},
    {"type": "dense", "n_inputs": 8, "units": 3}, {"type": "softmax"}]}
OPTIMIZER = {"optimizer": "adam", "hyper": {"lr": 0.01, "decay": 1e-2}}


def _params(dtype: str) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    shapes = {"0.weight": (4, 8), "0.bias": (8,), "3.weight": (8, 3), "3.bias": (3,)}
    return {key: rng.normal(0, 0.5, shape).astype(dtype) for key, shape in shapes.items()}


def _batches(dtype: str, sizes=(6, 6, 5)):
    rng = np.random.default_rng(9)
    return [(rng.standard_normal((n, 4)).astype(dtype), rng.integers(0, 3, n)) for n in sizes]


def _eager_steps(framework: str, dtype: str) -> list[dict]:
    """The eager pass (run_pass) and the framework's optimizer, step by step."""
    adapter = get_adapter(framework)
    model = adapter.build(SPEC, _params(dtype), dtype)
    if framework == "torch":
        from reference.torch_optimizers import build_optimizer

        tensors = [tensor for _, tensor, _ in model.parameters()]
        optimizer, scheduler = build_optimizer("adam", tensors, OPTIMIZER["hyper"])
    elif framework == "jax":
        from reference.jax_optimizers import build_optimizer

        optimizer = build_optimizer("adam", OPTIMIZER["hyper"])
        state = optimizer.init(model.params)
    else:
        from reference.tensorflow_optimizers import build_optimizer

        optimizer = build_optimizer("adam", OPTIMIZER["hyper"], dtype)
    steps = []
    for step, (x, labels) in enumerate(_batches(dtype), start=1):
        batch = Batch(x, labels, np.zeros((0,)))
        if framework == "torch":
            optimizer.zero_grad()
            result = adapter.run_pass(model, {**SPEC, "seed": SPEC["seed"] + step}, batch)
            optimizer.step()
            scheduler.step()
        elif framework == "jax":
            import optax

            result = adapter.run_pass(model, {**SPEC, "seed": SPEC["seed"] + step}, batch)
            updates, state = optimizer.update(result["grad_param"], state, model.params)
            model.params = optax.apply_updates(model.params, updates)
        else:
            import tensorflow as tf

            result = adapter.run_pass(model, model.spec, batch)
            optimizer.apply_gradients([(tf.constant(result["grad_param"][key]), variable)
                                       for key, variable in model.parameters()])
        steps.append({"loss": result["loss"]["loss"], "grads": result["grad_param"],
                      "params": adapter.read_params(model), "masks": result["shared"]["dropout_masks"]})
    return steps


def _same(framework: str, fast: np.ndarray, eager: np.ndarray) -> bool:
    """Bit for bit; for JAX within 4 ulp of the tensor's largest value: the pass (jax.vjp) and the step
    (jax.value_and_grad + optax) are two XLA programs, whose fused products round differently (1 ulp
    measured), the same math."""
    if framework != "jax":
        return np.array_equal(fast, eager)
    return np.allclose(fast, eager, rtol=0, atol=4 * np.spacing(np.abs(eager).max()))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("framework", ["torch", "tensorflow", "jax"])
def test_trainer_step_is_the_eager_pass_bit_for_bit(framework, dtype):
    adapter = get_adapter(framework)
    if adapter.unavailable_reason():
        pytest.skip(adapter.unavailable_reason())
    trainer = adapter.make_trainer(SPEC, _params(dtype), OPTIMIZER, dtype)
    for step, ((x, labels), eager) in enumerate(zip(_batches(dtype), _eager_steps(framework, dtype),
                                                    strict=True), start=1):
        fast = trainer.step(x, labels)
        assert _same(framework, fast["loss"], eager["loss"]), f"step {step} loss"
        for key in eager["params"]:
            assert _same(framework, fast["grads"][key], eager["grads"][key]), f"step {step} grad {key}"
            assert _same(framework, fast["params"][key], eager["params"][key]), f"step {step} param {key}"
        masks = fast["shared"]["dropout_masks"]
        assert masks.keys() == eager["masks"].keys() == {2}
        assert np.array_equal(masks[2], eager["masks"][2]), f"step {step} dropout mask"
        assert 0 < masks[2].mean() < 1  # the layer really dropped some units and kept others


@pytest.mark.parametrize("framework", ["scratch", "torch", "tensorflow", "jax"])
def test_trainer_loss_is_the_inference_pass_loss(framework):
    adapter = get_adapter(framework)
    if adapter.unavailable_reason():
        pytest.skip(adapter.unavailable_reason())
    spec = {**SPEC, "training": False, "backward": False}
    no_step = {"optimizer": "sgd", "hyper": {"lr": 0.0}}
    trainer = adapter.make_trainer(spec, _params("float64"), no_step, "float64")
    x, labels = _batches("float64")[0]
    expected = adapter.run_pass(adapter.build(spec, _params("float64"), "float64"), spec,
                                Batch(x, labels, np.zeros((0,))))["loss"]["loss"]
    assert np.array_equal(trainer.loss(x, labels), expected)
    assert np.array_equal(trainer.loss(x[:2], labels[:2]), adapter.run_pass(
        adapter.build(spec, _params("float64"), "float64"), spec,
        Batch(x[:2], labels[:2], np.zeros((0,))))["loss"]["loss"])  # another batch size, same function


@pytest.mark.parametrize("framework", ["scratch", "torch", "tensorflow", "jax"])
def test_teacher_forcing_set_params_is_what_the_next_step_starts_from(framework):
    adapter = get_adapter(framework)
    if adapter.unavailable_reason():
        pytest.skip(adapter.unavailable_reason())
    spec = {**SPEC, "layers": [layer for layer in SPEC["layers"] if layer["type"] != "dropout"]}
    spec["layers"][2] = {**spec["layers"][2], "n_inputs": 8}
    forced = {key.replace("3.", "2."): value + 0.25 for key, value in _params("float32").items()}
    trainer = adapter.make_trainer(spec, {k: v - 1 for k, v in forced.items()}, OPTIMIZER, "float32")
    trainer.set_params(forced)
    read_back = adapter.read_params(trainer.model)
    assert all(np.array_equal(value, forced[key]) for key, value in read_back.items())
    x, labels = _batches("float32")[0]
    fresh = adapter.make_trainer(spec, forced, OPTIMIZER, "float32")  # built at the forced point
    assert np.array_equal(trainer.step(x, labels)["loss"], fresh.step(x, labels)["loss"])
