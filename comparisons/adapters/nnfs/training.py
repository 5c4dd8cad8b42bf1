"""The user's Optimizer_* classes: stepping given gradients (kind optimizer) and training a model
(kinds training and landscape).

The book's optimizers update a layer: update_params(layer) reads layer.dweights / dbiases, writes
layer.weights / biases and keeps its state on the layer (weight_momentums, weight_cache, ...), between
pre_update_params() (the decayed lr_t = lr / (1 + decay * iterations)) and post_update_params()
(iterations += 1). nn-parity's hyperparameters map to the book's keywords (lr -> learning_rate);
a hyperparameter a case leaves out keeps the class's own default.
"""

from __future__ import annotations

import numpy as np

from comparisons.adapters.nnfs.classes import HYPER_KEYWORDS, NnfsClasses, takes
from comparisons.adapters.nnfs.network import (
    NnfsModel,
    assign,
    backward,
    build,
    forward,
    loss_value,
    read_params,
)


def make_optimizer(classes: NnfsClasses, name: str, hyper: dict):
    """Optimizer_<name>(**the book's keywords for hyper); a keyword the class lacks is an error."""
    cls = classes.optimizers[name]
    unknown = sorted(set(hyper) - set(HYPER_KEYWORDS))
    missing = sorted(key for key in set(hyper) & set(HYPER_KEYWORDS)
                     if not takes(cls.__init__, HYPER_KEYWORDS[key]))
    if unknown or missing:
        raise TypeError(f"nnfs adapter: {cls.__name__} takes no {', '.join(map(repr, unknown + missing))}")
    return cls(**{HYPER_KEYWORDS[key]: value for key, value in hyper.items()})


def update(optimizer, layers: list) -> None:
    """One step of the book's loop: pre_update_params, update_params per layer, post_update_params
    (the first optimizers of the book have only update_params)."""
    if hasattr(optimizer, "pre_update_params"):
        optimizer.pre_update_params()
    for layer in layers:
        optimizer.update_params(layer)
    if hasattr(optimizer, "post_update_params"):
        optimizer.post_update_params()


class ParameterPair:
    """A layer-like holder of one weight and bias, (in, out) and (1, out), for update_params(layer)."""

    def __init__(self, weights: np.ndarray, biases: np.ndarray) -> None:
        self.weights, self.biases = weights, biases


def _pairs(params: dict[str, np.ndarray]) -> dict[str, ParameterPair]:
    """'<i>.weight' / '<i>.bias' grouped per prefix i; a missing bias is an empty (1, 0) array."""
    pairs: dict[str, dict] = {}
    for key, value in params.items():
        prefix, _, name = key.rpartition(".")
        if name not in ("weight", "bias"):
            raise KeyError(f"nnfs adapter: the book's optimizers update weights and biases, not {key!r}")
        pairs.setdefault(prefix, {})[name] = np.array(value, copy=True)
    return {prefix: ParameterPair(pair.get("weight", np.zeros((1, 0))),
                                  pair.get("bias", np.zeros((1, 0))).reshape(1, -1))
            for prefix, pair in pairs.items()}


def run_optimizer(classes: NnfsClasses, spec: dict, params: dict[str, np.ndarray],
                  grads: list[dict]) -> list[dict]:
    """Parameters after loading and after each step of the user's optimizer on the given gradients."""
    optimizer = make_optimizer(classes, spec["optimizer"], spec["hyper"])
    pairs = _pairs(params)

    def current() -> dict[str, np.ndarray]:
        return {key: np.array(getattr(pairs[key.rpartition(".")[0]],
                                      "weights" if key.endswith(".weight") else "biases"), copy=True)
                .reshape(params[key].shape) for key in params}

    history = [current()]
    for step_grads in grads:
        empty = np.zeros((1, 0))
        for prefix, pair in pairs.items():
            pair.dweights = np.array(step_grads.get(f"{prefix}.weight", empty), copy=True)
            pair.dbiases = np.array(step_grads.get(f"{prefix}.bias", empty), copy=True).reshape(1, -1)
        update(optimizer, list(pairs.values()))
        history.append(current())
    return history


class NnfsTrainer:
    """forward, loss, backward, then the user's optimizer on every Layer_Dense: the book's training loop."""

    def __init__(self, classes: NnfsClasses, spec: dict, params: dict[str, np.ndarray], optimizer: dict,
                 dtype: str) -> None:
        self.classes, self.spec, self.optimizer_spec = classes, spec, optimizer
        self.model: NnfsModel = build(classes, spec, params, dtype)
        self.optimizer = None  # made at the first step: a landscape never steps (and may lack Optimizer_SGD)

    def step(self, x: np.ndarray, targets: np.ndarray, shared: dict | None = None) -> dict:
        """One update; loss and output of the pre-update model, the gradients used, params after."""
        if self.optimizer is None:
            self.optimizer = make_optimizer(self.classes, self.optimizer_spec["optimizer"],
                                            self.optimizer_spec["hyper"])
        masks = (shared or {}).get("dropout_masks", {})
        x, targets = np.array(x, copy=True), np.array(targets, copy=True)
        outputs, ran = forward(self.model, x, self.spec.get("training", True), masks)
        loss = loss_value(self.model.loss, np.array(outputs[-1], copy=True), targets)
        grads = backward(self.model, outputs, ran, targets, None)["grad_param"]
        update(self.optimizer, [layer for _, layer in self.model.dense()])
        return {"loss": loss, "output": outputs[-1], "grads": grads, "params": read_params(self.model),
                "buffers": {}}

    def loss(self, x: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """The data loss of one forward (the spec's training flag decides dropout), no update."""
        outputs, _ = forward(self.model, np.array(x, copy=True), self.spec.get("training", True), {})
        return loss_value(self.model.loss, np.array(outputs[-1], copy=True), np.array(targets, copy=True))

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        """Overwrite every parameter (teacher forcing); the optimizer state on the layers is kept."""
        assign(self.model, params)
