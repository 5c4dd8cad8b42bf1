"""A spec built from a user's nnfs-style classes, and one forward and backward through them.

Parameters cross as nn-parity's W (in, out) and b (out,): Layer_Dense keeps `weights` (in, out) and
`biases` (1, out), so b gains a leading axis on the way in and loses it on the way out (docs/conventions.md
§1). Softmax + categorical cross-entropy goes backward through the combined
Activation_Softmax_Loss_CategoricalCrossentropy when the module has it ((p - onehot)/N, dL/dlogits, as
the frameworks fuse them), else through the loss's and the softmax's own backward. Every array read from
the user's objects is copied at once: the book's classes keep references to what they were given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from comparisons.adapters.nnfs.classes import PENALTY_KEYWORDS, NnfsClasses, positional_count, takes
from comparisons.adapters.nnfs.dropout import forward_with_mask
from comparisons.core.spec import effective_loss, has_regularizer, layer_names


@dataclass
class NnfsModel:
    """The user's layer objects in spec order, its loss (or None), the combined softmax-CCE (or None)."""

    spec: dict
    layers: list
    loss: object | None
    fused: object | None
    classes: NnfsClasses

    def dense(self) -> list[tuple[int, object]]:
        """(index, layer) of every Layer_Dense."""
        types = [layer["type"] for layer in self.spec["layers"]]
        return [(i, layer) for i, layer in enumerate(self.layers) if types[i] == "dense"]


def _layer(classes: NnfsClasses, layer: dict):
    """One user layer object; Layer_Dense draws its own initial weights from the global np.random, whose
    state is put back so that building a model changes no other draw of the process."""
    cls = classes.layers[layer["type"]]
    if layer["type"] == "dropout":
        return cls(layer["rate"])
    if layer["type"] != "dense":
        return cls()
    penalties = {keyword: layer[key] for key, keyword in PENALTY_KEYWORDS.items() if key in layer}
    state = np.random.get_state()
    try:
        return cls(layer["n_inputs"], layer["units"], **penalties)
    finally:
        np.random.set_state(state)


def assign(model: NnfsModel, params: dict[str, np.ndarray]) -> None:
    """Copy '<i>.weight' (in, out) into layer i's weights and '<i>.bias' (out,) into its biases (1, out)."""
    for key, value in params.items():
        index, name = key.split(".")
        layer = model.layers[int(index)]
        if name == "weight":
            layer.weights = np.array(value, copy=True)
        elif name == "bias":
            layer.biases = np.array(value, copy=True).reshape(1, -1)
        else:
            raise KeyError(f"nnfs adapter: Layer_Dense has weights and biases, not {name!r} ({key})")


def build(classes: NnfsClasses, spec: dict, params: dict[str, np.ndarray], dtype: str) -> NnfsModel:
    """The user's objects for the spec, nn-parity's parameters copied in (in the case dtype)."""
    loss = classes.losses[spec["loss"]]() if spec["loss"] else None
    fused = classes.fused() if classes.fused is not None and effective_loss(spec)[1] == -2 else None
    model = NnfsModel(spec, [_layer(classes, layer) for layer in spec["layers"]], loss, fused, classes)
    assign(model, params)
    return model


def read_params(model: NnfsModel) -> dict[str, np.ndarray]:
    """Every Layer_Dense's weights (in, out) and biases as (out,), copied."""
    params = {}
    for i, layer in model.dense():
        params[f"{i}.weight"] = np.array(layer.weights, copy=True)
        params[f"{i}.bias"] = np.array(layer.biases, copy=True).reshape(-1)
    return params


def _forward(layer, layer_type: str, x: np.ndarray, training: bool, mask) -> tuple[np.ndarray, bool]:
    """(layer output, whether the layer ran): forward(x, training) when it takes `training`, else forward(x).

    A Layer_Dropout without `training` (the book before its Model class) is left out at inference, as the
    book's validation code leaves it out; one with `training` that sets no mask at inference gets an
    all-ones binary_mask, so that its backward (never called at inference in the book) is the identity.
    """
    with_training = takes(type(layer).forward, "training")
    if layer_type == "dropout" and not training and not with_training:
        return x, False
    args, returned = ((x, training) if with_training else (x,)), None
    if layer_type == "dropout" and training:
        if mask is None:
            raise ValueError("nnfs adapter: no shared dropout mask for this layer (the framework draws it)")
        forward_with_mask(layer, mask, *args)
    else:
        if layer_type == "dropout":
            layer.__dict__.pop("binary_mask", None)
        returned = layer.forward(*args)
        if layer_type == "dropout" and not hasattr(layer, "binary_mask"):
            layer.binary_mask = np.ones_like(x)
    return (returned if returned is not None else layer.output), True


def forward(model: NnfsModel, x: np.ndarray, training: bool, masks: dict) -> tuple[list, list[bool]]:
    """(copy of each layer's output, which layers ran); the user's own output goes on to the next layer."""
    outputs, ran = [], []
    for i, (layer, spec) in enumerate(zip(model.layers, model.spec["layers"], strict=True)):
        x, did = _forward(layer, spec["type"], x, training, masks.get(i))
        outputs.append(np.array(x, copy=True))
        ran.append(did)
    return outputs, ran


def loss_value(loss, prediction: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The data loss: calculate(output, y) after new_pass() where the loss accumulates (later chapters)."""
    if hasattr(loss, "new_pass"):
        loss.new_pass()
    value = loss.calculate(prediction, targets)
    return np.array(value[0] if isinstance(value, tuple) else value, copy=True)


def regularization(model: NnfsModel) -> np.ndarray:
    """The penalty: regularization_loss(layer) summed over Layer_Dense (chapters 14-18), or
    remember_trainable_layers(dense) then regularization_loss() (the book's Model chapters)."""
    loss = model.loss if model.loss is not None else model.classes.loss_base()
    layers = [layer for _, layer in model.dense()]
    if positional_count(loss.regularization_loss):
        return np.array(sum(loss.regularization_loss(layer) for layer in layers), copy=True)
    loss.remember_trainable_layers(layers)
    return np.array(loss.regularization_loss(), copy=True)


def backward(model: NnfsModel, outputs: list, ran: list[bool], targets: np.ndarray, upstream) -> dict:
    """grad_activation (what each layer's backward stored in dinputs), grad_param (dweights, dbiases with
    the layer's own penalty gradients), grad_input; from the loss, or from `upstream` without one."""
    names, grads = layer_names(model.spec), {}
    start = len(model.layers) - 1
    if model.loss is None:
        grad = np.array(upstream, copy=True)
    elif model.fused is not None:  # dL/dlogits = (p - onehot) / N, the softmax's input gradient
        model.fused.backward(np.array(outputs[-1], copy=True), np.array(targets, copy=True))
        grad, start = model.fused.dinputs, start - 1
        grads[names[-1]] = grads["loss"] = np.array(grad, copy=True)
    else:
        model.loss.backward(np.array(outputs[-1], copy=True), np.array(targets, copy=True))
        grad = model.loss.dinputs
        grads["loss"] = np.array(grad, copy=True)
    for i in range(start, -1, -1):
        if ran[i]:  # a layer left out at inference passes the gradient on unchanged
            model.layers[i].backward(grad)
            grad = model.layers[i].dinputs
        grads[names[i]] = np.array(grad, copy=True)
    params = {}
    for i, layer in model.dense():
        params[f"{i}.weight"] = np.array(layer.dweights, copy=True)
        params[f"{i}.bias"] = np.array(layer.dbiases, copy=True).reshape(-1)
    loss = {"loss": grads["loss"]} if "loss" in grads else {}  # dL/d(what the loss reads)
    return {"grad_activation": {**{name: grads[name] for name in names}, **loss}, "grad_param": params,
            "grad_input": {"input": grads[names[0]]}}


def run_pass(model: NnfsModel, spec: dict, batch, shared: dict | None = None) -> dict:
    """Forward (the shared dropout masks drawn by the user's own Layer_Dropout), loss and penalty,
    backward from the loss or from the batch's upstream gradient; a loss alone without layers."""
    x, targets = np.array(batch.x, copy=True), np.array(batch.targets, copy=True)
    if not model.layers:
        value = loss_value(model.loss, np.array(x, copy=True), targets)
        model.loss.backward(np.array(x, copy=True), np.array(targets, copy=True))
        return {"loss": {"loss": value}, "grad_input": {"input": np.array(model.loss.dinputs, copy=True)}}
    masks = (shared or {}).get("dropout_masks", {})
    outputs, ran = forward(model, x, spec.get("training", True), masks)
    results = {"activation": dict(zip(layer_names(spec), outputs, strict=True)),
               "output": {"output": outputs[-1]}, "loss": {}}
    if model.loss is not None:
        results["loss"]["loss"] = loss_value(model.loss, np.array(outputs[-1], copy=True), targets)
    if has_regularizer(spec):
        results["loss"]["regularization"] = regularization(model)
    if spec.get("backward", True):
        results.update(backward(model, outputs, ran, targets, batch.upstream))
    return results
