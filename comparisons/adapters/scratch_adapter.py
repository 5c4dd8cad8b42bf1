"""Adapter for the bundled from-scratch NumPy library (the default implementation under test)."""

from __future__ import annotations

import numpy as np

from comparisons.adapters.protocol import PlotStyle, Profile, layer_internals
from comparisons.adapters.variants import apply_initializer_variant, apply_optimizer_variant, apply_variant
from comparisons.core.case import KINDS
from comparisons.core.spec import buffer_keys, has_regularizer, layer_names
from scratch.initializers import get_initializer
from scratch.layers import Dense
from scratch.model import Sequential
from scratch.optimizers import build_optimizer
from scratch.perceptron import Perceptron
from scratch.registry import build_layer, build_loss

PROFILE = Profile(name="scratch", label="scratch (bundled NumPy library)", reference=False,
                  kinds=frozenset(KINDS) - {"expression"},  # no scalar autograd engine in scratch/
                  style=PlotStyle(color="C0", linestyle="-"),
                  default_dense_init={"0.weight": "normal", "0.bias": "constant"},  # nnfs: 0.01*N(0,1), 0
                  packages=("numpy",))


def unavailable_reason() -> str | None:
    """Scratch needs only NumPy: always available."""
    return None


def version() -> str:
    """NumPy's version: scratch runs on it."""
    return f"numpy {np.__version__}"


def build(spec: dict, params: dict[str, np.ndarray], dtype: str) -> Sequential:
    """A scratch Sequential with the given parameters (copied, in the case dtype)."""
    model = Sequential(
        [build_layer(layer, dtype) for layer in spec["layers"]],
        loss=build_loss(spec["loss"], spec.get("loss_options")) if spec["loss"] else None,
    )
    _assign(model, params)
    if spec.get("scratch_variant"):  # negative controls: a deliberately wrong scratch component
        apply_variant(model, spec["scratch_variant"], strict=not spec.get("isolated"))
    return model


def _assign(model: Sequential, params: dict[str, np.ndarray]) -> None:
    """Write each '<index>.<name>' array into that layer's parameter or buffer of that name."""
    for key, value in params.items():
        index, name = key.split(".")
        layer = model.layers[int(index)]
        (layer.params if name in layer.params else layer.buffers)[name][...] = value


def read_params(model: Sequential) -> dict[str, np.ndarray]:
    """Parameters and buffers as stored, keyed '0.weight', '0.bias', ..."""
    return {**model.get_params(), **model.get_buffers()}


def _loss_only(model: Sequential, batch) -> dict[str, dict[str, np.ndarray]]:
    """A case without layers: the loss of the batch's predictions and its gradient."""
    return {"loss": {"loss": np.asarray(model.loss.value(batch.x, batch.targets))},
            "grad_input": {"input": model.loss.gradient(batch.x, batch.targets)}}


def run_pass(model: Sequential, spec: dict, batch, shared: dict | None = None) -> dict:
    """Forward, loss (if any), backward from the loss or from the batch's upstream gradient."""
    if not model.layers:
        return _loss_only(model, batch)
    for index, mask in (shared or {}).get("dropout_masks", {}).items():
        model.layers[index].set_mask(np.asarray(mask, dtype=batch.x.dtype))
    names = layer_names(spec)
    output = model.forward(batch.x, training=spec.get("training", True))
    results = {"activation": dict(zip(names, model.activations, strict=True)),
               "internal": layer_internals(model.layers, names, np.copy),
               "output": {"output": output}, "loss": {}}
    if buffer_keys(spec):  # running statistics after the pass
        results["buffer"] = model.get_buffers()
    if spec["loss"]:
        results["loss"]["loss"] = np.asarray(model.loss_value(batch.targets))
    if has_regularizer(spec):
        # a Python float (scratch's API: a metric; its sums run in the model's dtype): read in that dtype
        results["loss"]["regularization"] = np.asarray(model.regularization_loss(), dtype=output.dtype)
    if spec.get("backward", True):
        if spec["loss"]:
            grad_input = model.backward_from_loss(batch.targets)
        else:
            grad_input = model.backward(batch.upstream)
        # None where a layer's input is integer ids (an embedding): no gradient exists there
        results["grad_activation"] = {name: grad for name, grad in zip(names, model.layer_input_grads,
                                                                        strict=True) if grad is not None}
        if spec["loss"]:
            results["grad_activation"]["loss"] = loss_gradient(model, batch.targets)
        results["grad_param"] = model.get_grads()
        results["grad_input"] = {} if grad_input is None else {"input": grad_input}
    return results


def loss_gradient(model: Sequential, targets: np.ndarray) -> np.ndarray:
    """dL/d(what the loss reads): the fused (p - onehot)/N at the logits, else loss.gradient(output, y)."""
    if model.fused_softmax_loss:
        return model.layer_input_grads[-1]
    return model.loss.gradient(model.activations[-1], targets)


def run_optimizer(spec: dict, params: dict[str, np.ndarray], grads: list[dict]) -> list[dict]:
    """Parameters after loading and after each scratch optimizer step (scratch.optimizers)."""
    optimizer = apply_optimizer_variant(build_optimizer(spec["optimizer"], **spec["hyper"]),
                                        spec.get("scratch_variant"))
    current = {key: value.copy() for key, value in params.items()}
    history = [{key: value.copy() for key, value in current.items()}]
    for step_grads in grads:
        optimizer.step(current, step_grads)
        history.append({key: value.copy() for key, value in current.items()})
    return history


class ScratchTrainer:
    """Sequential.train_step with a scratch optimizer: the user-facing training API, step by step."""

    def __init__(self, spec: dict, params: dict[str, np.ndarray], optimizer: dict, dtype: str) -> None:
        self.spec = spec
        self.model = build(spec, params, dtype)
        self.model.optimizer = apply_optimizer_variant(
            build_optimizer(optimizer["optimizer"], **optimizer["hyper"]), spec.get("scratch_variant"))

    def step(self, x: np.ndarray, targets: np.ndarray, shared: dict | None = None) -> dict:
        """One update; loss and output of the pre-update model, the gradients used, params after."""
        for index, mask in (shared or {}).get("dropout_masks", {}).items():
            self.model.layers[index].set_mask(np.asarray(mask, dtype=x.dtype))
        self.model.train_step(x, targets)  # its loss is a Python float (a metric); loss_value keeps the dtype
        grads = {key: value.copy() for key, value in self.model.get_grads().items()}
        loss = np.asarray(self.model.loss_value(targets))  # of the same pre-update output
        return {"loss": loss, "output": self.model.activations[-1].copy(),
                "grads": grads, "params": self.model.get_params(), "buffers": self.model.get_buffers()}

    def loss(self, x: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """The data loss of one forward (the spec's training flag decides dropout), no update."""
        self.model.forward(x, training=self.spec.get("training", True))
        return np.asarray(self.model.loss_value(targets))

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        """Overwrite every parameter (teacher forcing)."""
        _assign(self.model, params)


def make_trainer(spec: dict, params: dict[str, np.ndarray], optimizer: dict, dtype: str) -> ScratchTrainer:
    """A stepwise trainer: step(x, targets, shared) -> {loss, output, grads, params}; set_params."""
    return ScratchTrainer(spec, params, optimizer, dtype)


def draw_initializer(spec: dict, shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    """One draw of scratch.initializers.<name>(shape, np.random.default_rng(seed), dtype, **options)."""
    initializer = get_initializer({"type": spec["initializer"], **spec.get("options", {})})
    draw = initializer(shape, np.random.default_rng(seed), dtype=np.dtype(dtype))
    return apply_initializer_variant(spec.get("scratch_variant"), spec["initializer"], draw)


def default_dense_params(n_inputs: int, n_outputs: int, dtype: str, seed: int) -> dict[str, np.ndarray]:
    """scratch Dense's default parameters: W = 0.01*N(0, 1) (nnfs), b = 0, from default_rng(seed)."""
    layer = Dense(n_inputs, n_outputs, dtype=np.dtype(dtype), rng=np.random.default_rng(seed))
    return {f"0.{name}": value.copy() for name, value in layer.params.items()}


def run_perceptron(spec: dict, x: np.ndarray, y: np.ndarray, params: dict[str, np.ndarray]) -> list[dict]:
    """{'0.weight', '0.bias'} after each epoch of scratch.perceptron.Perceptron.fit (samples in order)."""
    model = Perceptron(x.shape[1], lr=spec["lr"], weight=params["0.weight"], bias=params["0.bias"],
                       dtype=x.dtype, update_on_zero_margin=spec["update_on_zero_margin"])
    model.fit(x, y, epochs=spec["epochs"])
    return [{"0.weight": epoch["weight"], "0.bias": epoch["bias"]} for epoch in model.history]
