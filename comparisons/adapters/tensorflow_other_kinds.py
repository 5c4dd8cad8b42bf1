"""The TensorFlow adapter's runners of the case kinds that build no Keras model: optimizer steps,
initializer draws, scalar expression graphs (comparisons/adapters/tensorflow_adapter.py imports them)."""

from __future__ import annotations

import numpy as np

from comparisons.core.determinism import configure_tensorflow


def run_optimizer(spec: dict, params: dict[str, np.ndarray], grads: list[dict]) -> list[dict]:
    """Variables read back after loading and after each Keras apply_gradients step."""
    import keras
    import tensorflow as tf

    from reference.tensorflow_optimizers import build_optimizer

    configure_tensorflow()
    variables = {key: keras.Variable(value, dtype=value.dtype.name) for key, value in params.items()}
    optimizer = build_optimizer(spec["optimizer"], spec["hyper"], next(iter(params.values())).dtype.name)
    history = [{key: np.array(v.numpy()) for key, v in variables.items()}]
    for step_grads in grads:
        optimizer.apply_gradients([(tf.constant(step_grads[key]), v) for key, v in variables.items()])
        history.append({key: np.array(v.numpy()) for key, v in variables.items()})
    return history


def draw_initializer(spec: dict, shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    """One draw of keras.initializers.<Class>(seed=seed)(shape, dtype)."""
    from reference.tensorflow_initializers import draw

    configure_tensorflow()
    return draw(spec["initializer"], shape, dtype, seed, **spec.get("options", {}))


def default_dense_params(n_inputs: int, n_outputs: int, dtype: str, seed: int) -> dict[str, np.ndarray]:
    """keras.layers.Dense's default parameters: glorot_uniform kernel, zero bias (seeded)."""
    from reference.tensorflow_initializers import default_dense

    configure_tensorflow()
    return default_dense(n_inputs, n_outputs, dtype, seed)


def run_expression(graph: dict, dtype: str) -> dict:
    """A scalar expression graph with tf ops under a GradientTape: its value and every leaf's gradient."""
    configure_tensorflow()
    from reference.tensorflow_expressions import run_expression as run

    return run(graph, dtype)


def loss_gradient(loss, prediction, targets) -> np.ndarray:
    """dL/d(what the loss reads): a GradientTape on the Keras loss alone at a pass's own prediction."""
    import tensorflow as tf

    # NOTE: a fresh tensor from the values: Keras's sigmoid output carries _keras_logits, and its
    # binary cross-entropy would read those logits instead, leaving the prediction without a gradient
    prediction = tf.convert_to_tensor(np.array(prediction))
    with tf.GradientTape() as tape:
        tape.watch(prediction)
        value = loss(tf.constant(targets), prediction)
    return tape.gradient(value, prediction).numpy()
