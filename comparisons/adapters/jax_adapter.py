"""Adapter for JAX + optax: pure layer functions from reference.jax_models, jax.vjp backward, optax steps.

Parameters live in a flat dict '<i>.<name>' -> array (a pytree), loaded through each tensor's declared
layout (reference.jax_models.LAYOUTS). Every float array handed back must have the case dtype: JAX computes
float64 input in float32 unless x64 was on at import (docs/conventions.md §16): then JaxDtypeError."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from comparisons.adapters.dropout import attach_dropout_masks
from comparisons.adapters.protocol import (
    PROBABILITY_LOSSES,
    UNCLIPPED_FUSED,
    PlotStyle,
    Profile,
    missing_package,
)
from comparisons.core.determinism import configure_jax
from comparisons.core.spec import effective_loss, indices_of, layer_names, penalized_layers
from reference.layouts import declared_tensors
from scratch.registry import LOSSES

PROFILE = Profile(
    name="jax", label="JAX / optax", reference=True,
    kinds=frozenset({"pass", "optimizer", "training", "initializer", "landscape"}),
    style=PlotStyle(color="C3", linestyle="-."),
    # reference.jax_models.LAYERS (a test checks the table): the MLP layer types, no image layers yet
    layers=frozenset({"dense", "dropout", "step", "linear", "sigmoid", "tanh", "relu", "leaky_relu", "prelu",
                      "elu", "swish", "softmax"}), losses=frozenset(LOSSES),
    optimizers=frozenset({"sgd", "adagrad", "rmsprop", "adam"}),
    # optax.sgd: trace = g + mu*trace, then lr (torch's form); adagrad and rmsprop: g/sqrt(acc + eps);
    # optax.adam is the textbook form (docs/conventions.md §16)
    optimizer_conventions={"sgd": {"momentum_form": "torch"}, "adagrad": {"eps_inside_sqrt": True},
                           "rmsprop": {"eps_inside_sqrt": True}},
    # jax.nn.leaky_relu: derivative 1 at x = 0; jnp.clip of p: no gradient outside (docs/conventions.md §16)
    layer_conventions={"leaky_relu": {"kink_derivative": 1.0}}, loss_conventions={
        **dict.fromkeys(PROBABILITY_LOSSES, {"probability_clip": "zero_gradient"}), **UNCLIPPED_FUSED},
    truncated_initializers=frozenset({"glorot_normal", "he_normal", "lecun_normal"}),
    no_defaults={"initializer": "JAX has no Dense layer without flax, hence no default Dense initialization",
                 "optimizer": "optax optimizers take no default learning rate"},
    packages=("jax", "jaxlib", "optax"))


class JaxDtypeError(TypeError):
    """JAX returned a float array in another dtype than the case's (float64 fell back to float32)."""


def unavailable_reason() -> str | None:
    """None when jax, jaxlib and optax import; otherwise why not."""
    return missing_package(("jax", "jaxlib", "optax"), "jax")


def version() -> str:
    """jax, jaxlib and optax versions."""
    configure_jax()
    import jax
    import jaxlib
    import optax

    return f"jax {jax.__version__} / jaxlib {jaxlib.__version__} / optax {optax.__version__}"


def _numpy(what: str, value, dtype: str) -> np.ndarray:
    """A writable NumPy copy; JaxDtypeError when a float array is not in the case dtype."""
    array = np.array(value)
    if array.dtype.kind == "f" and array.dtype != np.dtype(dtype):
        raise JaxDtypeError(f"jax returned {what} as {array.dtype}, but the case dtype is {dtype}: JAX "
                            "computes float64 in float32 unless JAX_ENABLE_X64=1 is set before jax is "
                            "imported (docs/conventions.md §16)")
    return array


def _arrays(what: str, values: dict, dtype: str) -> dict[str, np.ndarray]:
    return {key: _numpy(f"{what} {key!r}", value, dtype) for key, value in values.items()}


@dataclass
class JaxModel:
    """The pure layer functions of a spec, its parameters by key (jax or NumPy arrays), dtype and spec."""

    layers: list
    spec: dict
    params: dict
    dtype: str

    def tensors(self, trainable_only: bool = False):
        """(scratch key, layout, framework shape) of every parameter and buffer (or parameters only)."""
        from reference.jax_models import LAYOUTS

        for i, key, layout in declared_tensors(self.spec["layers"], LAYOUTS, trainable_only):
            yield key, layout, self.layers[i].shapes[layout.attribute]

    def load(self, params: dict[str, np.ndarray], trainable_only: bool = False) -> None:
        """Copy scratch-layout arrays in (framework layout); LayoutError on a misfit. Kept as NumPy: every
        reader is a jax.jit, which takes them as jax arrays (a tenth of jnp.asarray's cost), same program."""
        for key, layout, shape in self.tensors(trainable_only):
            framework_key = f"{key.split('.')[0]}.{layout.attribute}"
            self.params[framework_key] = np.array(layout.to_framework(params[key], shape, f"jax {key}"))

    def read(self, trainable_only: bool = False) -> dict[str, np.ndarray]:
        """Parameters (and buffers) back in the scratch layout, dtype-checked."""
        return {key: layout.from_framework(_numpy(key, self.params[f"{key.split('.')[0]}.{layout.attribute}"],
                                                  self.dtype))
                for key, layout, _ in self.tensors(trainable_only)}


def build(spec: dict, params: dict[str, np.ndarray], dtype: str) -> JaxModel:
    """The spec's layer functions with copies of the given parameters (W stays (in, out))."""
    configure_jax()
    from reference.jax_models import build_layers

    model = JaxModel(build_layers(spec["layers"]), spec, {}, dtype)
    model.load(params)
    return model


def read_params(model: JaxModel) -> dict[str, np.ndarray]:
    """Parameters and buffers read back from the model's arrays, in the scratch layout."""
    return model.read()


def dropout_masks_for(model: JaxModel, params: dict, x, seed) -> dict:
    """{layer index: keep mask} drawn by jax.random.bernoulli for every dropout layer in training."""
    from reference.jax_models import draw_dropout_mask, forward

    if not model.spec.get("training", True) or not indices_of(model.spec, ("dropout",)):
        return {}
    shapes = [value.shape for value in forward(model.layers, params, x, {})]  # dropout: identity here
    return {i: draw_dropout_mask(seed, i, model.spec["layers"][i]["rate"], shapes[i])
            for i in indices_of(model.spec, ("dropout",))}


def objective(model: JaxModel, masks: dict, targets, prediction: int):
    """f(x, params, taps) -> ((loss or output, penalty), [out_0, ..., out_n-1]) for jax.vjp."""
    import jax.numpy as jnp

    from reference.jax_models import LOSSES, forward, regularization_penalty

    loss_name = effective_loss(model.spec)[0]

    def f(x, params, taps):
        inputs = forward(model.layers, params, x, masks, taps)
        head = LOSSES[loss_name](inputs[prediction], targets) if loss_name else inputs[-1]
        penalty = regularization_penalty(model.spec["layers"], params)
        return (head, jnp.zeros((), head.dtype) if penalty is None else penalty), inputs[1:]

    return f


def pass_function(model: JaxModel, backward: bool):
    """jax.jit of one pass: (x, params, targets, upstream, seed) -> ((head, penalty), outputs, masks, grads);
    grads = (dx, dparams, dtaps) of one jax.vjp, from the loss (cotangent 1) or the upstream gradient."""
    import jax
    import jax.numpy as jnp

    from reference.jax_models import forward

    loss_name, prediction = effective_loss(model.spec)

    def run(x, params, targets, upstream, seed):
        masks = dropout_masks_for(model, params, x, seed)
        taps = [jnp.zeros_like(value) for value in forward(model.layers, params, x, masks)[:-1]]
        f = objective(model, masks, targets, prediction)
        if not backward:
            heads, outputs = f(x, params, taps)
            return heads, outputs, masks, None
        (head, penalty), pullback, outputs = jax.vjp(f, x, params, taps, has_aux=True)
        grads = pullback((jnp.ones_like(head) if loss_name else upstream, jnp.ones_like(penalty)))
        return (head, penalty), outputs, masks, grads

    return jax.jit(run)


def run_pass(model: JaxModel, spec: dict, batch, shared: dict | None = None) -> dict:
    """Forward and one jax.vjp, the whole pass compiled by jax.jit (one XLA program per case)."""
    backward = spec.get("backward", True)
    run = pass_function(model, backward)
    (head, penalty), outputs, _, grads = run(batch.x, model.params, batch.targets, batch.upstream,
                                             spec.get("seed", 0))
    names, dtype, loss_name = layer_names(spec), model.dtype, effective_loss(spec)[0]
    results = {"activation": _arrays("activation", dict(zip(names, outputs, strict=True)), dtype),
               "loss": {}}
    if outputs:
        results["output"] = {"output": _numpy("output", outputs[-1], dtype)}
    if loss_name:
        results["loss"]["loss"] = _numpy("loss", head, dtype)
    if penalized_layers(spec):
        results["loss"]["regularization"] = _numpy("regularization", penalty, dtype)
    if backward:
        dx, dparams, dtaps = grads
        results["grad_activation"] = _arrays("grad_activation", dict(zip(names, dtaps, strict=True)), dtype)
        results["grad_param"] = JaxModel(model.layers, spec, dparams, dtype).read(trainable_only=True)
        results["grad_input"] = {"input": _numpy("grad_input", dx, dtype)}
        if loss_name and names:
            prediction = [batch.x, *outputs][effective_loss(spec)[1]]
            grad = loss_gradient(loss_name, prediction, batch.targets)
            results["grad_activation"]["loss"] = _numpy("the loss gradient", grad, dtype)
    return attach_dropout_masks(results, spec)


def loss_gradient(loss_name: str, prediction, targets):
    """dL/d(what the loss reads) by jax.grad of the loss alone at the pass's own prediction."""
    import jax

    from reference.jax_models import LOSSES

    return jax.grad(lambda p: LOSSES[loss_name](p, targets))(prediction)


def run_optimizer(spec: dict, params: dict[str, np.ndarray], grads: list[dict]) -> list[dict]:
    """Parameters after loading and after each optax update + optax.apply_updates."""
    configure_jax()
    import jax.numpy as jnp
    import optax

    from reference.jax_optimizers import build_optimizer

    dtype = next(iter(params.values())).dtype.name
    current = {key: jnp.asarray(value) for key, value in params.items()}
    optimizer = build_optimizer(spec["optimizer"], spec["hyper"])
    state = optimizer.init(current)
    history = [_arrays("param", current, dtype)]
    for step_grads in grads:
        updates, state = optimizer.update({k: jnp.asarray(v) for k, v in step_grads.items()}, state, current)
        current = optax.apply_updates(current, updates)
        history.append(_arrays("param", current, dtype))
    return history


class JaxTrainer:
    """Layer functions + optax, the whole step (forward, jax.value_and_grad, update) in one jax.jit."""

    def __init__(self, spec: dict, params: dict[str, np.ndarray], optimizer: dict, dtype: str) -> None:
        import jax

        from reference.jax_optimizers import build_optimizer

        self.spec, self.steps = spec, 0
        self.model = build(spec, params, dtype)
        self.optimizer = build_optimizer(optimizer["optimizer"], optimizer["hyper"])
        self.state = self.optimizer.init(self.model.params)
        self._train = jax.jit(self._train_step)
        self._loss = jax.jit(lambda params, x, targets, seed: self._losses(params, x, targets, seed)[0])

    def _losses(self, params, x, targets, seed):
        """(data loss, loss + penalties, output, dropout masks) of one forward."""
        from reference.jax_models import LOSSES, forward, regularization_penalty

        masks = dropout_masks_for(self.model, params, x, seed)
        inputs = forward(self.model.layers, params, x, masks)
        loss_name, prediction = effective_loss(self.spec)
        loss = LOSSES[loss_name](inputs[prediction], targets)
        penalty = regularization_penalty(self.spec["layers"], params)
        return loss, loss if penalty is None else loss + penalty, inputs[-1], masks

    def _train_step(self, params, state, x, targets, seed):
        import jax
        import optax

        def total(params):
            loss, total, output, masks = self._losses(params, x, targets, seed)
            return total, (loss, output, masks)

        (_, (loss, output, masks)), grads = jax.value_and_grad(total, has_aux=True)(params)
        updates, state = self.optimizer.update(grads, state, params)
        return loss, output, grads, optax.apply_updates(params, updates), state, masks

    def step(self, x: np.ndarray, targets: np.ndarray, shared: dict | None = None) -> dict:
        """One update; loss and output of the pre-update model, the gradients used, params after."""
        self.steps += 1
        loss, output, grads, params, self.state, masks = self._train(
            self.model.params, self.state, x, targets, self.spec["seed"] + self.steps)
        dtype, grad_model = self.model.dtype, JaxModel(self.model.layers, self.spec, grads, self.model.dtype)
        self.model.params = params
        return {"loss": _numpy("loss", loss, dtype), "output": _numpy("output", output, dtype),
                "grads": grad_model.read(trainable_only=True),
                "params": self.model.read(trainable_only=True), "buffers": {},
                "shared": {"dropout_masks": {i: np.array(mask) for i, mask in masks.items()}}}

    def loss(self, x: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """The data loss of one forward (the spec's training flag decides dropout), no update."""
        return _numpy("loss", self._loss(self.model.params, x, targets, self.spec["seed"]), self.model.dtype)

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        """Overwrite every parameter (teacher forcing); the optax state is kept."""
        self.model.load(params, trainable_only=True)


def make_trainer(spec: dict, params: dict[str, np.ndarray], optimizer: dict, dtype: str) -> JaxTrainer:
    """A stepwise trainer: step(x, targets) -> {loss, output, grads, params, shared}; set_params."""
    configure_jax()
    return JaxTrainer(spec, params, optimizer, dtype)


def draw_initializer(spec: dict, shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    """One draw of jax.nn.initializers.<name>(...)(jax.random.key(seed), shape, dtype), (in, out)."""
    configure_jax()
    from reference.jax_initializers import draw

    return _numpy(f"initializer {spec['initializer']}", draw(spec["initializer"], shape, dtype, seed,
                                                             **spec.get("options", {})), dtype)


def default_dense_params(n_inputs: int, n_outputs: int, dtype: str, seed: int) -> dict[str, np.ndarray]:
    """None to draw: JAX has no Dense layer (and so no default init) without flax; the profile skips it."""
    raise NotImplementedError(PROFILE.no_defaults["initializer"])
