"""Scratch optimizers expressed with keras.optimizers (and keras.optimizers.schedules for decay)."""

from __future__ import annotations

import contextlib
import warnings

import keras

# Scratch hyperparameter name -> Keras keyword, per optimizer; absent ones keep Keras's defaults.
KEYWORDS = {
    "sgd": {"momentum": "momentum", "nesterov": "nesterov"},
    "adagrad": {"epsilon": "epsilon", "initial_accumulator": "initial_accumulator_value"},
    "rmsprop": {"rho": "rho", "epsilon": "epsilon"},
    "adam": {"beta_1": "beta_1", "beta_2": "beta_2", "epsilon": "epsilon"},
}
CLASSES = {"sgd": keras.optimizers.SGD, "adagrad": keras.optimizers.Adagrad,
           "rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam}


def learning_rate(hyper: dict, default: float):
    """lr, or InverseTimeDecay(lr, decay_steps=1, decay_rate=decay) = lr / (1 + decay * (t - 1))."""
    lr = hyper.get("lr", default)
    if hyper.get("decay"):
        return keras.optimizers.schedules.InverseTimeDecay(lr, decay_steps=1, decay_rate=hyper["decay"])
    return lr


@contextlib.contextmanager
def floatx(dtype: str):
    """keras.config.set_floatx(dtype) for the duration: Keras then keeps its learning rate in dtype.

    NOTE: momentum, Adam's bias corrections and InverseTimeDecay still pass through float32.
    """
    previous = keras.config.floatx()
    keras.config.set_floatx(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(previous)


def build_optimizer(name: str, hyper: dict, dtype: str = "float32") -> keras.optimizers.Optimizer:
    """A Keras optimizer built under floatx(dtype); 'keras_decay_kwarg' passes the ignored decay=."""
    with floatx(dtype):
        return _build(name, hyper)


def _build(name: str, hyper: dict) -> keras.optimizers.Optimizer:
    if name not in CLASSES:
        raise KeyError(f"tensorflow reference: unknown optimizer {name!r}; known: {sorted(CLASSES)}")
    cls = CLASSES[name]
    options = {k_name: hyper[key] for key, k_name in KEYWORDS[name].items() if key in hyper}
    if "keras_decay_kwarg" in hyper:  # NOTE: Keras 3 warns and ignores it
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return cls(learning_rate=hyper.get("lr", 0.01), decay=hyper["keras_decay_kwarg"], **options)
    default_lr = cls.__init__.__defaults__[0]  # each Keras optimizer's own default learning rate
    return cls(learning_rate=learning_rate(hyper, default_lr), **options)
