"""Adapter for TensorFlow / Keras 3: layers from reference.tensorflow_models; GradientTape backward."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from comparisons.adapters import attach_dropout_masks, effective_loss, indices_of, layer_names
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


@dataclass
class KerasModel:
    """The Keras layers of a spec, in order, and the spec they were built from."""

    layers: list
    spec: dict

    def parameters(self):
        """(scratch key, Keras variable) for every parameter."""
        from reference.tensorflow_models import PARAMETERS

        for i, layer_spec in enumerate(self.spec["layers"]):
            for name, attr in PARAMETERS.get(layer_spec["type"], {}).items():
                yield f"{i}.{name}", getattr(self.layers[i], attr)


def build(spec: dict, params: dict[str, np.ndarray], dtype: str) -> KerasModel:
    """Keras layers of the spec; every variable assigned from the scratch-layout parameters."""
    configure_tensorflow()
    from reference.tensorflow_models import build_layers

    spec = {**spec, "layers": [{**s, "seed": spec.get("seed", 0)} for s in spec["layers"]]}
    model = KerasModel(build_layers(spec["layers"], dtype), spec)
    for key, variable in model.parameters():
        variable.assign(params[key].reshape(variable.shape))
    return model


def read_params(model: KerasModel) -> dict[str, np.ndarray]:
    """Parameters read back from the Keras variables (kernel is already (in, out))."""
    return {key: np.array(variable.numpy()) for key, variable in model.parameters()}


def _forward(model: KerasModel, x, training: bool) -> tuple[list, list]:
    inputs, outputs = [x], []
    for layer, layer_spec in zip(model.layers, model.spec["layers"], strict=True):
        kwargs = {"training": training} if layer_spec["type"] == "dropout" else {}
        outputs.append(layer(inputs[-1], **kwargs))
        inputs.append(outputs[-1])
    return inputs, outputs


def run_pass(model: KerasModel, spec: dict, batch, shared: dict | None = None) -> dict:
    """Forward under a GradientTape; gradients w.r.t. every layer input and every variable."""
    import tensorflow as tf

    from reference.tensorflow_models import LOSSES

    x = tf.constant(batch.x)
    loss_name, prediction = effective_loss(spec)
    with tf.GradientTape() as tape:
        tape.watch(x)
        inputs, outputs = _forward(model, x, spec.get("training", True))
        if loss_name:
            make_loss = LOSSES[loss_name](batch.x.dtype.name, batch.targets.ndim == 1)
            heads = [make_loss(tf.constant(batch.targets), inputs[prediction])]
            head_grads = [tf.ones_like(heads[0])]  # d loss / d loss = 1
        else:
            heads, head_grads = [inputs[-1]], [tf.constant(batch.upstream)]
        penalties = [loss for i in indices_of(spec, ("dense",)) for loss in model.layers[i].losses]
        if penalties:
            heads.append(tf.add_n(penalties))
            head_grads.append(tf.ones_like(heads[-1]))
    names = layer_names(spec)
    results = {"activation": {n: o.numpy() for n, o in zip(names, outputs, strict=True)},
               "loss": {}}
    if outputs:
        results["output"] = {"output": outputs[-1].numpy()}
    if loss_name:
        results["loss"]["loss"] = heads[0].numpy()
    if penalties:
        results["loss"]["regularization"] = heads[-1].numpy()
    if not spec.get("backward", True):
        return attach_dropout_masks(results, spec)
    parameters = list(model.parameters())
    keys = [key for key, _ in parameters]
    sources = inputs[: len(model.layers)] + [x] * (not model.layers) + [v for _, v in parameters]
    grads = tape.gradient(heads, sources, output_gradients=head_grads)
    results["grad_activation"] = {n: g.numpy() for n, g in zip(names, grads, strict=False)}
    results["grad_param"] = {k: g.numpy() for k, g in zip(keys, grads[len(sources) - len(keys):],
                                                         strict=True)}
    results["grad_input"] = {"input": grads[0].numpy()}
    return attach_dropout_masks(results, spec)


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


class KerasTrainer:
    """Keras layers + keras.optimizers: GradientTape, then optimizer.apply_gradients."""

    def __init__(self, spec: dict, params: dict[str, np.ndarray], optimizer: dict, dtype: str) -> None:
        from reference.tensorflow_optimizers import build_optimizer

        self.spec, self.steps = spec, 0
        self.model = build(spec, params, dtype)
        self.optimizer = build_optimizer(optimizer["optimizer"], optimizer["hyper"], dtype)

    def step(self, x: np.ndarray, targets: np.ndarray, shared: dict | None = None) -> dict:
        """One update; loss and output of the pre-update model, the gradients used, params after."""
        import tensorflow as tf

        from comparisons.data import Batch

        self.steps += 1
        self.model.spec["seed"] = self.spec["seed"] + self.steps
        result = run_pass(self.model, self.model.spec, Batch(x, targets, np.zeros((0,))))
        pairs = [(tf.constant(result["grad_param"][key]), variable)
                 for key, variable in self.model.parameters()]
        self.optimizer.apply_gradients(pairs)
        return {"loss": result["loss"]["loss"], "output": result["output"]["output"],
                "grads": result["grad_param"], "params": read_params(self.model),
                "shared": result["shared"]}

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        """Overwrite every variable (teacher forcing); optimizer state is kept."""
        for key, variable in self.model.parameters():
            variable.assign(params[key].reshape(variable.shape))


def make_trainer(spec: dict, params: dict[str, np.ndarray], optimizer: dict, dtype: str) -> KerasTrainer:
    """A stepwise trainer: step(x, targets) -> {loss, output, grads, params, shared}; set_params."""
    configure_tensorflow()
    return KerasTrainer(spec, params, optimizer, dtype)


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
