"""One training step of the same ReLU MLP, CNN or LSTM in scratch, torch (eager), TensorFlow (eager,
tf.function) and JAX (op by op, jax.jit; MLPs only: JAX has no image or sequence layers here).

Every implementation starts from the same weights and sees the same batch; each step is
forward -> softmax cross-entropy on the logits (fused) -> backward -> optimizer update, and
returns the pre-update loss and accuracy as Python floats (what Sequential.train_step returns). The
sequence nets regress the next value of a window (MSE, no softmax; accuracy NaN).
The framework models come from the reference builders, as in the comparison harness.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

NETWORKS: dict[str, tuple[int, ...]] = {
    "digits": (64, 128, 10),  # sklearn digits' shape: 8x8 pixels, 10 classes
    "mnist": (784, 256, 128, 10),  # MNIST's shape, on synthetic data
}
# (implementation, mode) pairs that can be timed; the first is the one every ratio is taken against.
RUNS: tuple[tuple[str, str], ...] = (
    ("scratch", "eager"), ("torch", "eager"), ("tensorflow", "eager"), ("tensorflow", "function"),
    ("jax", "eager"), ("jax", "jit"),
)
# CNN name -> (per-sample input shape, layers): the digits_cnn project's net, and a LeNet-sized net on
# 28x28 synthetic images (conv 6@5x5 same, pool, conv 16@5x5, pool, 400-120-84-10).
CNNS: dict[str, tuple[tuple[int, ...], tuple[dict, ...]]] = {
    "cnn-digits": ((1, 8, 8), ({"type": "conv2d", "filters": 6, "kernel_size": 3, "padding": "same"},
                               {"type": "relu"}, {"type": "maxpool2d", "pool_size": 2}, {"type": "flatten"},
                               {"type": "dense", "units": 10}, {"type": "softmax"})),
    "lenet-28": ((1, 28, 28), ({"type": "conv2d", "filters": 6, "kernel_size": 5, "padding": "same"},
                               {"type": "relu"}, {"type": "maxpool2d", "pool_size": 2},
                               {"type": "conv2d", "filters": 16, "kernel_size": 5}, {"type": "relu"},
                               {"type": "maxpool2d", "pool_size": 2}, {"type": "flatten"},
                               {"type": "dense", "units": 120}, {"type": "relu"},
                               {"type": "dense", "units": 84}, {"type": "relu"},
                               {"type": "dense", "units": 10}, {"type": "softmax"})),
}
# Sequence net name -> (per-sample input shape (T, F), layers), MSE on one value: the time_series project's
# LSTM (windows of 10 -> the next value) and a wider LSTM on longer, 8-feature windows.
SEQUENCES: dict[str, tuple[tuple[int, ...], tuple[dict, ...]]] = {
    "lstm-series": ((10, 1), ({"type": "lstm", "units": 16}, {"type": "dense", "units": 1})),
    "lstm-32x8-64": ((32, 8), ({"type": "lstm", "units": 64}, {"type": "dense", "units": 1})),
}
CNN_CLASSES = 10
OPTIMIZERS = {"sgd": {"lr": 0.01}, "adam": {"lr": 0.001}}
Step = Callable[[], tuple[float, float]]


def network_name(dims: tuple[int, ...]) -> str:
    """'mlp-784-256-128-10': the layer widths, input first."""
    return "mlp-" + "-".join(str(d) for d in dims)


def network_spec(dims: tuple[int, ...]) -> dict:
    """Plain-data spec: Dense + ReLU per hidden layer, Dense + Softmax last, categorical cross-entropy."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
        layers.append({"type": "dense", "n_inputs": n_in, "units": n_out})
        layers.append({"type": "relu" if i < len(dims) - 2 else "softmax"})
    return {"layers": layers, "loss": "categorical_crossentropy"}


def initial_params(dims: tuple[int, ...], dtype: str, seed: int = 0) -> dict[str, np.ndarray]:
    """He-normal weights W (in, out) and small non-zero biases, keyed like scratch ('0.weight')."""
    rng = np.random.default_rng(seed)
    params = {}
    for i, (n_in, n_out) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
        params[f"{2 * i}.weight"] = (rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).astype(dtype)
        params[f"{2 * i}.bias"] = rng.uniform(-0.1, 0.1, n_out).astype(dtype)
    return params


def make_batch(shape: tuple[int, ...], classes: int, batch: int, dtype: str, seed: int = 1
               ) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic inputs x ~ N(0, 1) of shape (batch, *shape) and int64 labels in [0, classes); classes 0:
    regression targets N(0, 1) of shape (batch, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *shape)).astype(dtype)
    return x, rng.integers(0, classes, batch) if classes else rng.standard_normal((batch, 1)).astype(dtype)


def network_setup(network: str | tuple[int, ...], dtype: str) -> tuple[dict, dict, tuple[int, ...], int]:
    """(spec, initial parameters, per-sample input shape, classes) of an MLP's widths or a CNN's or
    sequence net's name; classes 0 for the sequence nets' regression.

    A named net's spec is resolved like a case's (in_channels, n_inputs read off the shapes) and its
    parameters drawn by the harness's draw rules (comparisons.data.parameters)."""
    if isinstance(network, str):
        from comparisons.core.case import Case
        from comparisons.data.parameters import draw_params

        sequence = network in SEQUENCES
        shape, layers = (SEQUENCES if sequence else CNNS)[network]
        spec = Case(id=network, suite="benchmark", component=network, layers=layers,
                    loss="mse" if sequence else "categorical_crossentropy",
                    data={"shape": shape, "image": not sequence}).model_spec()
        params = draw_params(spec["layers"], np.random.default_rng(0))
        return spec, {k: v.astype(dtype) for k, v in params.items()}, shape, 0 if sequence else CNN_CLASSES
    dims = tuple(network)
    return network_spec(dims), initial_params(dims, dtype), (dims[0],), dims[-1]


def build_step(implementation: str, mode: str, network: str | tuple[int, ...], batch: int, dtype: str,
               optimizer: str = "sgd") -> tuple[Step, object]:
    """(step, model) for one implementation; step() runs one training step on a fixed batch."""
    spec, params, shape, classes = network_setup(network, dtype)
    x, labels = make_batch(shape, classes, batch, dtype)
    builders = {"scratch": _scratch_step, "torch": _torch_step, "tensorflow": _tensorflow_step,
                "jax": _jax_step}
    if (implementation, mode) not in RUNS:
        raise KeyError(f"unknown run {implementation}/{mode}; known: {RUNS}")
    return builders[implementation](spec, params, x, labels, dtype, optimizer, mode)


def _scratch_step(spec, params, x, labels, dtype, optimizer, mode):
    from scratch.model import Sequential
    from scratch.optimizers import build_optimizer
    from scratch.registry import build_layer, build_loss

    model = Sequential([build_layer(layer, dtype) for layer in spec["layers"]], loss=build_loss(spec["loss"]),
                       optimizer=build_optimizer(optimizer, **OPTIMIZERS[optimizer]))
    model.set_params(params)

    def step() -> tuple[float, float]:
        result = model.train_step(x, labels)
        return result["loss"], result["accuracy"] if labels.dtype.kind in "iu" else float("nan")

    return step, model


def _logit_layers(spec: dict) -> int:
    """How many layers produce the logits: all but the Softmax, which the fused loss absorbs."""
    from comparisons.core.spec import effective_loss

    _, prediction = effective_loss(spec)  # index into [x, out_0, ..., out_n-1]
    return len(spec["layers"]) + 1 + prediction


def _torch_step(spec, params, x, labels, dtype, optimizer, mode):
    import torch

    from reference.layouts import declared_tensors
    from reference.torch_models import LAYOUTS, LOSSES, build_layers
    from reference.torch_optimizers import build_optimizer

    layer_specs = spec["layers"][: _logit_layers(spec)]
    net = torch.nn.Sequential(*build_layers(layer_specs, dtype))
    with torch.no_grad():
        for i, key, layout in declared_tensors(layer_specs, LAYOUTS):
            tensor = getattr(net[i], layout.attribute)
            value = layout.to_framework(params[key], tuple(tensor.shape), f"torch {key}")
            tensor.copy_(torch.from_numpy(value))
    classify = labels.dtype.kind in "iu"
    loss_fn = LOSSES["categorical_crossentropy_logits" if classify else "mse"]  # F.cross_entropy on logits
    opt, _ = build_optimizer(optimizer, list(net.parameters()), OPTIMIZERS[optimizer])
    inputs, targets = torch.from_numpy(x), torch.from_numpy(labels)

    def step() -> tuple[float, float]:
        opt.zero_grad()
        logits = net(inputs)
        loss = loss_fn(logits, targets)
        loss.backward()
        opt.step()
        hits = (logits.argmax(dim=1) == targets).double().mean().item() if classify else float("nan")
        return loss.item(), hits

    return step, net


def _tensorflow_step(spec, params, x, labels, dtype, optimizer, mode):
    import tensorflow as tf

    from comparisons.adapters.tensorflow_adapter import keras_layer_specs
    from reference.layouts import declared_tensors, to_channels_last
    from reference.tensorflow_models import LAYOUTS, LOSSES, build_layers
    from reference.tensorflow_optimizers import build_optimizer

    layer_specs = keras_layer_specs(spec)[: _logit_layers(spec)]
    layers = build_layers(layer_specs, dtype)
    for i, key, layout in declared_tensors(layer_specs, LAYOUTS):
        variable = getattr(layers[i], layout.attribute)
        variable.assign(layout.to_framework(params[key], tuple(variable.shape), f"tf {key}"))
    variables = [v for layer in layers for v in layer.trainable_variables]
    classify = labels.dtype.kind in "iu"
    loss_fn = LOSSES["categorical_crossentropy_logits" if classify else "mse"](dtype, True)  # sparse, logits
    opt = build_optimizer(optimizer, OPTIMIZERS[optimizer])
    opt.build(variables)
    inputs, targets = tf.constant(to_channels_last(x, spec.get("image", False))), tf.constant(labels)

    def train(inputs, targets):
        with tf.GradientTape() as tape:
            logits = inputs
            for layer in layers:
                logits = layer(logits)
            loss = loss_fn(targets, logits)
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        if not classify:
            return loss, tf.constant(float("nan"), tf.float64)
        hits = tf.cast(tf.equal(tf.argmax(logits, axis=1), targets), tf.float64)
        return loss, tf.reduce_mean(hits)

    train = tf.function(train) if mode == "function" else train

    def step() -> tuple[float, float]:
        loss, accuracy = train(inputs, targets)
        return float(loss.numpy()), float(accuracy.numpy())

    return step, layers


def _jax_step(spec, params, x, labels, dtype, optimizer, mode):
    """jax.value_and_grad of the reference layer functions + an optax update; 'jit' wraps it in jax.jit."""
    import jax
    import jax.numpy as jnp
    import optax

    from reference.jax_models import LOSSES, build_layers, forward
    from reference.jax_optimizers import build_optimizer

    layer_specs = spec["layers"][: _logit_layers(spec)]
    layers = build_layers(layer_specs)
    weights = {key: jnp.asarray(value) for key, value in params.items()}  # W (in, out), as scratch
    loss_fn = LOSSES["categorical_crossentropy_logits"]  # optax softmax_cross_entropy_with_integer_labels
    opt = build_optimizer(optimizer, OPTIMIZERS[optimizer])
    inputs, targets = jnp.asarray(x), jnp.asarray(labels)

    def train(weights, state, inputs, targets):
        def loss_of(weights):
            logits = forward(layers, weights, inputs, {})[-1]
            return loss_fn(logits, targets), logits

        (loss, logits), grads = jax.value_and_grad(loss_of, has_aux=True)(weights)
        updates, state = opt.update(grads, state, weights)
        return optax.apply_updates(weights, updates), state, loss, jnp.mean(jnp.argmax(logits, 1) == targets)

    train = jax.jit(train) if mode == "jit" else train
    current = {"weights": weights, "state": opt.init(weights)}

    def step() -> tuple[float, float]:
        current["weights"], current["state"], loss, accuracy = train(current["weights"], current["state"],
                                                                     inputs, targets)
        return float(loss), float(accuracy)

    return step, current
