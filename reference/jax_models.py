"""Scratch components expressed with JAX's own operations (jax.nn, jax.numpy) and optax losses.

JAX has no layer library without flax (not installed): a layer here is a pure function
apply(params, x, mask) of its parameters, built from jax.nn / jax.numpy ops. Dense and PReLU are
textbook jnp forwards, so for them the comparison checks JAX's autodiff and optax, not a layer
library's conventions (docs/conventions.md §16). Dense weights are (in, out), as in scratch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import optax
from jax.scipy.special import xlog1py, xlogy

from reference.layouts import Layout

DTYPES = {"float32": jnp.float32, "float64": jnp.float64}
PROBABILITY_CLIP = 1e-7  # probability-input losses clip p to [1e-7, 1 - 1e-7], as Keras and nnfs


@dataclass(frozen=True)
class Layer:
    """A layer as a pure function apply(params, x, mask) and the shapes of its parameters."""

    apply: Callable
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)


def _activation(function: Callable, **names: str) -> Callable[[dict], Layer]:
    """A parameterless layer of function(x, **options): spec options renamed to JAX's keywords; absent
    ones keep JAX's defaults."""
    def build(spec: dict) -> Layer:
        options = {jax_name: spec[name] for name, jax_name in names.items() if name in spec}
        return Layer(lambda params, x, mask: function(x, **options))

    return build


def _dense(spec: dict) -> Layer:
    """z = x @ W + b with W (in, out): jnp.matmul (textbook; no Dense layer without flax)."""
    return Layer(lambda params, x, mask: jnp.matmul(x, params["weight"]) + params["bias"],
                 {"weight": (spec["n_inputs"], spec["units"]), "bias": (spec["units"],)})


def _prelu(spec: dict) -> Layer:
    """x if x > 0 else alpha*x, alpha used at 0 (torch nn.PReLU's convention): jnp.where (textbook)."""
    return Layer(lambda params, x, mask: jnp.where(x > 0, x, params["alpha"] * x),
                 {"alpha": (spec.get("num_parameters", 1),)})


def _dropout(spec: dict) -> Layer:
    """Inverted dropout x/(1 - p) where the keep mask is 1, else 0: jnp.where; no mask: identity."""
    rate = spec["rate"]
    return Layer(lambda params, x, mask: x if mask is None else jnp.where(mask, x / (1 - rate), 0))


# Layer type -> factory(spec) of the Layer that computes it.
LAYERS = {
    "dense": _dense,
    "dropout": _dropout,
    "step": _activation(lambda x: jnp.heaviside(x, jnp.ones((), x.dtype))),  # 1 at x = 0
    "linear": _activation(lambda x: x),
    "sigmoid": _activation(jax.nn.sigmoid),
    "tanh": _activation(jnp.tanh),
    "relu": _activation(jax.nn.relu),
    "leaky_relu": _activation(jax.nn.leaky_relu, alpha="negative_slope"),  # NOTE: slope 1 at x = 0
    "prelu": _prelu,
    "elu": _activation(jax.nn.elu, alpha="alpha"),
    "swish": _activation(jax.nn.silu),
    "softmax": _activation(lambda x: jax.nn.softmax(x, axis=1)),
}

# Layer type -> {scratch parameter name: its key in the layer's params}; Dense W is (in, out) already.
LAYOUTS = {"dense": {"weight": Layout("weight"), "bias": Layout("bias")}, "prelu": {"alpha": Layout("alpha")}}


def draw_dropout_mask(seed: int, index: int, rate: float, shape: tuple[int, ...]):
    """Keep mask of layer `index`: jax.random.bernoulli(fold_in(key(seed), index), 1 - rate, shape)."""
    return jax.random.bernoulli(jax.random.fold_in(jax.random.key(seed), index), 1 - rate, shape)


def _onehot(prediction, target):
    return target if target.ndim == 2 else jax.nn.one_hot(target, prediction.shape[1], dtype=prediction.dtype)


def _crossentropy_probabilities(reduce: Callable) -> Callable:
    """reduce_n -log clip(p[n, y_n]): -sum xlogy(onehot, p_clipped) (optax has no probability-input CCE)."""
    def loss(prediction, target):
        clipped = jnp.clip(prediction, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
        return reduce(-jnp.sum(xlogy(_onehot(prediction, target), clipped), axis=1))

    return loss


def _binary_crossentropy(prediction, target):
    """-mean[y log p + (1-y) log(1-p)], p clipped to [1e-7, 1-1e-7]: jax.scipy.special.xlogy / xlog1py."""
    clipped = jnp.clip(prediction, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    return jnp.mean(-(xlogy(target, clipped) + xlog1py(1 - target, -clipped)))


def _crossentropy_logits(reduce: Callable) -> Callable:
    """reduce_n -log_softmax(z)[n, y_n]: optax.losses.softmax_cross_entropy(_with_integer_labels)."""
    def loss(logits, target):
        if target.ndim == 1:
            return reduce(optax.losses.softmax_cross_entropy_with_integer_labels(logits, target))
        return reduce(optax.losses.softmax_cross_entropy(logits, target))

    return loss


# Loss kind -> callable(prediction, target) -> scalar; optax losses are per element or per example,
# reduced with jnp.mean (torch's reduction='mean') unless the name ends in _sum (jnp.sum).
LOSSES = {
    "mse": lambda p, t: jnp.mean(optax.losses.squared_error(p, t)),
    "half_mse": lambda p, t: jnp.mean(optax.losses.l2_loss(p, t)),  # l2_loss = 0.5 * squared_error
    "mae": lambda p, t: jnp.mean(jnp.abs(p - t)),  # optax has no absolute-error loss
    "binary_crossentropy": _binary_crossentropy,
    "binary_crossentropy_logits": lambda z, t: jnp.mean(optax.losses.sigmoid_binary_cross_entropy(z, t)),
    "categorical_crossentropy": _crossentropy_probabilities(jnp.mean),
    "categorical_crossentropy_logits": _crossentropy_logits(jnp.mean),
    "categorical_crossentropy_sum": _crossentropy_probabilities(jnp.sum),
    "categorical_crossentropy_logits_sum": _crossentropy_logits(jnp.sum),
}


def build_layer(spec: dict) -> Layer:
    """One Layer from a plain layer spec; KeyError names unknown kinds."""
    kind = spec["type"]
    if kind not in LAYERS:
        raise KeyError(f"jax reference: unknown layer type {kind!r}; known: {sorted(LAYERS)}")
    return LAYERS[kind](spec)


def build_layers(layer_specs: list[dict]) -> list[Layer]:
    """The Layers of a Sequential spec, in order."""
    return [build_layer(spec) for spec in layer_specs]


def forward(layers: list[Layer], params: dict, x, masks: dict, taps=None) -> list:
    """[x, out_0, ..., out_n-1]; params keyed '<i>.<name>'; taps[i] (zeros) is added to layer i's
    input, so the gradient with respect to taps[i] is dL/d(input of layer i)."""
    inputs = [x]
    for i, layer in enumerate(layers):
        if taps is not None:
            inputs[-1] = inputs[-1] + taps[i]  # every later reader (a fused loss too) sees the tapped input
        own = {key.split(".", 1)[1]: v for key, v in params.items() if key.split(".", 1)[0] == str(i)}
        inputs.append(layer.apply(own, inputs[-1], masks.get(i)))
    return inputs


def regularization_penalty(layer_specs: list[dict], params: dict):
    """sum of l1*||theta||_1 + l2*||theta||_2^2 over penalized Dense W and b: jnp.linalg.vector_norm and
    jnp.vdot; autodiff takes sign(0) = 0 as |w|'s subgradient (torch and Keras do too). None without any."""
    terms = []
    for i, spec in enumerate(layer_specs):
        for name in ("weight", "bias"):
            tensor = params.get(f"{i}.{name}")
            if spec.get(f"{name}_l1"):
                terms.append(spec[f"{name}_l1"] * jnp.linalg.vector_norm(tensor.ravel(), ord=1))
            if spec.get(f"{name}_l2"):
                terms.append(spec[f"{name}_l2"] * jnp.vdot(tensor, tensor))
    return sum(terms[1:], terms[0]) if terms else None
