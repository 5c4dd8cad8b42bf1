"""Adapter for TensorFlow / Keras 3: Dense kernels are (in, out) already; gradients by GradientTape."""

from __future__ import annotations

import importlib.util

import numpy as np

from comparisons.adapters import dense_indices, layer_names, loss_on_logits
from comparisons.determinism import configure_tensorflow


def unavailable_reason() -> str | None:
    """None when tensorflow and keras import; otherwise why not."""
    for module in ("tensorflow", "keras"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install 'nn-parity[tensorflow]' -c constraints.txt)"
    return None


def version() -> str:
    """TensorFlow and Keras versions."""
    import keras
    import tensorflow as tf

    return f"tensorflow {tf.__version__} / keras {keras.__version__}"


def build(spec: dict, params: dict[str, np.ndarray], dtype: str):
    """Keras layers of the spec; Dense.set_weights([W, b])."""
    configure_tensorflow()
    from reference.tensorflow_models import build_layers

    layers = build_layers(spec["layers"], dtype)
    for i in dense_indices(spec):
        layers[i].set_weights([params[f"{i}.weight"], params[f"{i}.bias"]])
    return layers


def read_params(layers) -> dict[str, np.ndarray]:
    """Parameters read back from the Keras variables (kernel is already (in, out))."""
    params = {}
    for i, layer in enumerate(layers):
        if layer.weights:
            params[f"{i}.weight"] = np.array(layer.kernel.numpy())
            params[f"{i}.bias"] = np.array(layer.bias.numpy())
    return params


def run_pass(layers, spec: dict, batch) -> dict[str, dict[str, np.ndarray]]:
    """Forward under a GradientTape; gradients of the loss (or upstream VJP) w.r.t. every layer input."""
    import tensorflow as tf

    from reference.tensorflow_models import LOSSES

    x = tf.constant(batch.x)
    dtype = batch.x.dtype.name
    with tf.GradientTape() as tape:
        tape.watch(x)
        inputs, outputs = [x], []
        for layer in layers:
            outputs.append(layer(inputs[-1]))
            inputs.append(outputs[-1])
        if spec["loss"]:
            prediction = inputs[-2] if loss_on_logits(spec) else outputs[-1]
            loss = LOSSES[spec["loss"]](dtype)(tf.constant(batch.labels), prediction)
    dense = dense_indices(spec)
    variables = [v for i in dense for v in (layers[i].kernel, layers[i].bias)]
    sources = inputs[: len(layers)] + variables
    if spec["loss"]:
        grads = tape.gradient(loss, sources)
    else:
        grads = tape.gradient(outputs[-1], sources, output_gradients=tf.constant(batch.upstream))
    names = layer_names(spec)
    results = {
        "activation": {n: o.numpy() for n, o in zip(names, outputs, strict=True)},
        "output": {"output": outputs[-1].numpy()},
        "grad_activation": {n: g.numpy() for n, g in zip(names, grads, strict=False)},
        "grad_param": {},
        "grad_input": {"input": grads[0].numpy()},
    }
    if spec["loss"]:
        results["loss"] = {"loss": loss.numpy()}
    param_grads = grads[len(layers):]
    for k, i in enumerate(dense):
        results["grad_param"][f"{i}.weight"] = param_grads[2 * k].numpy()
        results["grad_param"][f"{i}.bias"] = param_grads[2 * k + 1].numpy()
    return results
