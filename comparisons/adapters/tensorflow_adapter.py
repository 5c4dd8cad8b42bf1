"""Adapter for TensorFlow / Keras 3: layers from reference.tensorflow_models; GradientTape backward.

Variables are assigned through each tensor's declared layout (reference.tensorflow_models.LAYOUTS)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from comparisons.adapters.dropout import attach_dropout_masks, dropout_masks
from comparisons.adapters.protocol import (
    UNCLIPPED_FUSED,
    PlotStyle,
    Profile,
    layer_internals,
    missing_package,
)
from comparisons.adapters.tensorflow_other_kinds import (  # noqa: F401 - protocol functions of this adapter
    default_dense_params,
    draw_initializer,
    loss_gradient,
    run_expression,
    run_optimizer,
)
from comparisons.core.determinism import configure_tensorflow
from comparisons.core.spec import (
    buffer_keys,
    effective_loss,
    image_positions,
    indices_of,
    layer_names,
    penalized_layers,
    training_indices,
)
from reference.layouts import declared_tensors, to_channels_first, to_channels_last
from scratch.registry import LAYER_TYPES, LOSSES

PROFILE = Profile(
    name="tensorflow", label="TensorFlow / Keras", reference=True,
    kinds=frozenset({"pass", "optimizer", "training", "initializer", "landscape", "expression"}),
    style=PlotStyle(color="C2", linestyle=":"),
    layers=frozenset(LAYER_TYPES), losses=frozenset(LOSSES),  # all of scratch's: a test checks the tables
    optimizers=frozenset({"sgd", "adagrad", "rmsprop", "adam"}),
    # Keras divides by sqrt(acc + eps) in Adagrad/RMSprop and uses epsilon-hat in Adam; it tf.casts
    # momentum, betas, the initial accumulator and InverseTimeDecay through float32 (docs/conventions.md §7)
    optimizer_conventions={"sgd": {"float32_hyperparameters": True},
                           "adagrad": {"eps_inside_sqrt": True, "float32_hyperparameters": True},
                           "rmsprop": {"eps_inside_sqrt": True, "float32_hyperparameters": True},
                           "adam": {"epsilon_hat": True, "float32_hyperparameters": True}},
    # moving_variance keeps the biased batch variance; tf.nn.gelu rounds its constants to float32, so do
    # tf.nn.leaky_relu its alpha attribute and keras.regularizers.L1L2 its factors (docs/conventions.md §7)
    layer_conventions={"batchnorm1d": {"running_variance": "biased"},
                       "dense": {"float32_factors": True}, "leaky_relu": {"float32_slope": True},
                       "prelu": {"kink_derivative": 0.0},  # relu(x) - alpha*relu(-x): 0 at x = 0
                       "batchnorm2d": {"running_variance": "biased"}, "gelu": {"float32_constants": True},
                       "softplus": {"threshold": None},  # tf.math.softplus's cut-off cannot show
                       "multi_head_attention": {"float32_scale": True}},  # Keras: 1/sqrt(D) via float32
    # clip_by_value passes no gradient outside [1e-7, 1 - 1e-7]; categorical_crossentropy divides p by its
    # row sum before that clip, sparse_categorical_crossentropy after it (docs/conventions.md §3)
    loss_conventions={"binary_crossentropy": {"probability_clip": "zero_gradient"},
                      **dict.fromkeys(("categorical_crossentropy", "categorical_crossentropy_sum"),
                                      {"probability_clip": "zero_gradient", "renormalise": "keras"}),
                      **UNCLIPPED_FUSED},
    truncated_initializers=frozenset({"glorot_normal", "he_normal", "lecun_normal"}),
    default_dense_init={"0.weight": "uniform", "0.bias": "constant"},  # glorot_uniform kernel, zero bias
    packages=("tensorflow-cpu", "tensorflow", "keras"),
)


def unavailable_reason() -> str | None:
    """None when tensorflow and keras import; otherwise why not."""
    return missing_package(("tensorflow", "keras"), "tensorflow")


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

    def tensors(self, trainable_only: bool = False):
        """(scratch key, Keras variable, layout) of every parameter and buffer (or parameters only)."""
        from reference.tensorflow_models import LAYOUTS

        for i, key, layout in declared_tensors(self.spec["layers"], LAYOUTS, trainable_only):
            yield key, getattr(self.layers[i], layout.attribute), layout

    def parameters(self):
        """(scratch key, Keras variable) of every trainable parameter."""
        return ((key, variable) for key, variable, _ in self.tensors(trainable_only=True))

    def to_scratch(self, tensors) -> dict[str, np.ndarray]:
        """{key: array}: one tensor per parameter (its value or gradient), in the scratch layout."""
        return {key: layout.from_framework(t.numpy())
                for (key, _, layout), t in zip(self.tensors(trainable_only=True), tensors, strict=True)}

    def buffers(self) -> dict[str, np.ndarray]:
        """Every buffer (moving statistics) read back in the scratch layout; {} for most specs."""
        return {key: layout.from_framework(variable.numpy())
                for key, variable, layout in self.tensors() if not layout.trainable}


def _framework_value(key: str, variable, layout, params: dict[str, np.ndarray]) -> np.ndarray:
    """params[key] in the variable's layout; LayoutError when its shape does not fit."""
    return layout.to_framework(params[key], tuple(variable.shape), f"tensorflow {key}")


def keras_layer_specs(spec: dict) -> list[dict]:
    """The layer specs as Keras's references read them: with the case seed (dropout) and whether the
    layer's input is an image, which Keras holds channel-last (channel_last_input)."""
    image = image_positions(spec)
    return [{**layer, "seed": spec.get("seed", 0), "channel_last_input": image[i]}
            for i, layer in enumerate(spec["layers"])]


def build(spec: dict, params: dict[str, np.ndarray], dtype: str) -> KerasModel:
    """Keras layers of the spec; every variable assigned from the scratch-layout parameters."""
    configure_tensorflow()
    from reference.tensorflow_models import build_layers

    spec = {**spec, "layers": keras_layer_specs(spec)}
    model = KerasModel(build_layers(spec["layers"], dtype), spec)
    for key, variable, layout in model.tensors():
        variable.assign(_framework_value(key, variable, layout, params))
    return model


def read_params(model: KerasModel) -> dict[str, np.ndarray]:
    """Parameters and buffers read back from the Keras variables, in the scratch layout."""
    return {key: layout.from_framework(variable.numpy()) for key, variable, layout in model.tensors()}


def _forward(model: KerasModel, x, training: bool) -> tuple[list, list]:
    inputs, outputs, takes_training = [x], [], set(training_indices(model.spec))
    for i, layer in enumerate(model.layers):
        kwargs = {"training": training} if i in takes_training else {}
        outputs.append(layer(inputs[-1], **kwargs))
        inputs.append(outputs[-1])
    return inputs, outputs


def make_loss(spec: dict, dtype: str, sparse_targets: bool):
    """The Keras loss object of the spec's effective loss, or None when the spec has no loss."""
    from reference.tensorflow_models import LOSSES

    loss_name, _ = effective_loss(spec)
    return LOSSES[loss_name](dtype, sparse_targets) if loss_name else None


def tape_pass(model: KerasModel, spec: dict, x, targets, upstream, loss) -> dict:
    """Forward under a GradientTape and the gradients of every layer input and variable, as tensors.

    Runs eagerly (run_pass) or traced inside a tf.function (KerasTrainer): the same ops either way.
    """
    import tensorflow as tf

    from reference.sequence.tensorflow_sequence import dense_gradients

    with tf.GradientTape() as tape:
        tape.watch(x if x.dtype.is_floating else [])  # integer ids (an embedding's input): no gradient
        inputs, outputs = _forward(model, x, spec.get("training", True))
        if loss is not None:
            heads = [loss(targets, inputs[effective_loss(spec)[1]])]
            head_grads = [tf.ones_like(heads[0])]  # d loss / d loss = 1
        else:
            heads, head_grads = [inputs[-1]], [upstream]
        penalties = [p for i in penalized_layers(spec) for p in model.layers[i].losses]
        if penalties:
            heads.append(tf.add_n(penalties))
            head_grads.append(tf.ones_like(heads[-1]))
    tensors = {"outputs": outputs, "loss": heads[0] if loss is not None else None,
               "regularization": heads[-1] if penalties else None}
    if not spec.get("backward", True):
        return tensors
    variables = [v for _, v in model.parameters()]
    sources = inputs[: len(model.layers)] + [x] * (not model.layers) + variables
    grads = dense_gradients(tape, heads, sources, head_grads)  # None only at integer ids
    tensors["grad_activation"] = grads[: len(model.layers)]
    tensors["grad_param"] = grads[len(sources) - len(variables):]
    tensors["grad_input"] = grads[0]
    return tensors


def run_pass(model: KerasModel, spec: dict, batch, shared: dict | None = None) -> dict:
    """Forward under a GradientTape; gradients w.r.t. every layer input and every variable; images in
    channel-last (Keras's layout), back channel-first (image[i]: is [x, out_0, ...][i] an image)."""
    import tensorflow as tf

    image, loss = image_positions(spec), make_loss(spec, batch.dtype, batch.targets.ndim == 1)
    tensors = tape_pass(model, spec, tf.constant(to_channels_last(batch.x, image[0])),
                        tf.constant(batch.targets),
                        None if loss else tf.constant(to_channels_last(batch.upstream, image[-1])), loss)
    names = layer_names(spec)
    results = {"activation": {n: to_channels_first(o.numpy(), image[i + 1])
                              for i, (n, o) in enumerate(zip(names, tensors["outputs"], strict=True))},
               "internal": layer_internals(model.layers, names, lambda t: t.numpy()), "loss": {}}
    if tensors["outputs"]:
        results["output"] = {"output": results["activation"][names[-1]]}
    if buffer_keys(spec):  # running statistics after the pass
        results["buffer"] = model.buffers()
    results["loss"] = {k: tensors[k].numpy() for k in ("loss", "regularization") if tensors[k] is not None}
    if "grad_param" in tensors:
        results["grad_activation"] = {n: to_channels_first(g.numpy(), image[i]) for i, (n, g) in enumerate(
            zip(names, tensors["grad_activation"], strict=True)) if g is not None}  # None at integer ids
        results["grad_param"] = model.to_scratch(tensors["grad_param"])
        grad = tensors["grad_input"]  # None when the input is integer ids
        results["grad_input"] = {} if grad is None else {"input": to_channels_first(grad.numpy(), image[0])}
        if loss is not None and names:
            where = effective_loss(spec)[1]
            prediction = ([to_channels_last(batch.x, image[0])] + tensors["outputs"])[where]
            results["grad_activation"]["loss"] = to_channels_first(
                loss_gradient(loss, prediction, batch.targets), image[where])
    return attach_dropout_masks(results, spec)


class KerasTrainer:
    """Keras layers + keras.optimizers: GradientTape, then optimizer.apply_gradients, in a tf.function.

    NOTE: the step is traced once, for any batch size; configure_tensorflow turns Grappler off, so the
    graph runs the same kernels in the same order as eager mode (tests compare the two bit for bit).
    """

    def __init__(self, spec: dict, params: dict[str, np.ndarray], optimizer: dict, dtype: str) -> None:
        from reference.tensorflow_optimizers import build_optimizer

        self.dtype, self.image = dtype, image_positions(spec)
        self.dropout = indices_of(spec, ("dropout",))  # layers whose masks are shared
        self.model = build(spec, params, dtype)
        self.keys = [key for key, _ in self.model.parameters()]
        self.variables = [variable for _, variable in self.model.parameters()]
        self.optimizer = build_optimizer(optimizer["optimizer"], optimizer["hyper"], dtype)
        self.optimizer.build(self.variables)  # its slots now: a tf.function may not create variables later
        self.functions: dict[tuple, object] = {}  # (what, target shape and dtype) -> tf.function

    def _compiled(self, what: str, x: np.ndarray, targets: np.ndarray):
        """The tf.function of _train_step or _loss_only for these targets; traced once, batch size free."""
        import tensorflow as tf

        key = (what, targets.shape[1:], targets.dtype.name)
        if key not in self.functions:
            loss = make_loss(self.model.spec, self.dtype, targets.ndim == 1)
            body = self._train_step if what == "train" else self._loss_only
            signature = [tf.TensorSpec((None, *x.shape[1:]), x.dtype.name),
                         tf.TensorSpec((None, *targets.shape[1:]), targets.dtype.name)]
            function = tf.function(lambda x, targets: body(x, targets, loss), autograph=False)
            self.functions[key] = function.get_concrete_function(*signature)  # no per-call dispatch
        return self.functions[key]

    def _train_step(self, x, targets, loss):
        import tensorflow as tf

        tensors = tape_pass(self.model, self.model.spec, x, targets, None, loss)
        self.optimizer.apply_gradients(zip(tensors["grad_param"], self.variables, strict=True))
        masks = [(tensors["outputs"][i], tensors["grad_activation"][i]) for i in self.dropout]
        return (tensors["loss"], tensors["outputs"][-1], tensors["grad_param"],
                [tf.identity(v.value) for v in self.variables], masks)  # read after the update

    def _loss_only(self, x, targets, loss):
        return tape_pass(self.model, self.model.spec, x, targets, None, loss)["loss"]

    def step(self, x: np.ndarray, targets: np.ndarray, shared: dict | None = None) -> dict:
        """One update; loss and output of the pre-update model, the gradients used, params after."""
        import tensorflow as tf

        x = to_channels_last(x, self.image[0])
        train = self._compiled("train", x, targets)
        loss, output, grads, params, masks = train(tf.constant(x), tf.constant(targets))
        dropout = dict(zip(self.dropout, masks, strict=True))
        outputs = {i: to_channels_first(dropout[i][0].numpy(), self.image[i + 1]) for i in dropout}
        input_grads = {i: to_channels_first(dropout[i][1].numpy(), self.image[i]) for i in dropout}
        return {"loss": loss.numpy(), "output": to_channels_first(output.numpy(), self.image[-1]),
                "grads": self.model.to_scratch(grads), "params": self.model.to_scratch(params),
                "buffers": self.model.buffers(),
                "shared": {"dropout_masks": dropout_masks(self.model.spec, outputs, input_grads)}}

    def loss(self, x: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """The data loss of one forward (the spec's training flag decides dropout), no update."""
        import tensorflow as tf

        x = to_channels_last(x, self.image[0])
        return self._compiled("loss", x, targets)(tf.constant(x), tf.constant(targets)).numpy()

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        """Overwrite every variable (teacher forcing); optimizer state is kept. One graph call."""
        import tensorflow as tf

        if "assign" not in self.functions:
            signature = [tf.TensorSpec(v.shape, v.dtype) for v in self.variables]
            assign = tf.function(lambda *values: [v.assign(value) for v, value in
                                                  zip(self.variables, values, strict=True)], autograph=False)
            self.functions["assign"] = assign.get_concrete_function(*signature)
        layouts = {key: layout for key, _, layout in self.model.tensors()}
        self.functions["assign"](*[tf.constant(_framework_value(key, v, layouts[key], params))
                                   for key, v in zip(self.keys, self.variables, strict=True)])


def make_trainer(spec: dict, params: dict[str, np.ndarray], optimizer: dict, dtype: str) -> KerasTrainer:
    """A stepwise trainer: step(x, targets) -> {loss, output, grads, params, shared}; set_params."""
    configure_tensorflow()
    return KerasTrainer(spec, params, optimizer, dtype)
