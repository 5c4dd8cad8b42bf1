"""Scratch optimizers expressed with optax (optax.sgd, adagrad, rmsprop, adam) and an optax schedule."""

from __future__ import annotations

import optax

# Scratch hyperparameter name -> optax keyword, per optimizer; absent ones keep optax's defaults.
KEYWORDS = {
    "sgd": {"momentum": "momentum", "nesterov": "nesterov"},
    "adagrad": {"epsilon": "eps", "initial_accumulator": "initial_accumulator_value"},
    "rmsprop": {"rho": "decay", "epsilon": "eps"},
    "adam": {"beta_1": "b1", "beta_2": "b2", "epsilon": "eps"},
}
ALIASES = {"sgd": optax.sgd, "adagrad": optax.adagrad, "rmsprop": optax.rmsprop, "adam": optax.adam}


def inverse_time_decay(lr: float, decay: float) -> optax.Schedule:
    """lr / (1 + decay * count), count = t - 1 the updates done: an optax.Schedule (optax has no
    inverse-time schedule of its own; any function of the step count is one, docs/conventions.md §16)."""
    return lambda count: lr / (1 + decay * count)


def learning_rate(hyper: dict):
    """lr, or the inverse_time_decay schedule when hyper sets decay; optax has no default learning rate."""
    if "lr" not in hyper:
        raise KeyError("jax reference: optax optimizers take no default learning rate; give 'lr'")
    return inverse_time_decay(hyper["lr"], hyper["decay"]) if hyper.get("decay") else hyper["lr"]


def build_optimizer(name: str, hyper: dict) -> optax.GradientTransformation:
    """optax.<name>(learning_rate, **options): scratch hyperparameters renamed to optax's keywords."""
    if name not in ALIASES:
        raise KeyError(f"jax reference: unknown optimizer {name!r}; known: {sorted(ALIASES)}")
    options = {optax_name: hyper[key] for key, optax_name in KEYWORDS[name].items() if key in hyper}
    if name == "sgd" and not options.get("momentum"):
        options.pop("momentum", None)  # optax.sgd: momentum None means plain SGD (0.0 would add a trace)
    return ALIASES[name](learning_rate(hyper), **options)
