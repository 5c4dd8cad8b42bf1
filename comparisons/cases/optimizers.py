"""Optimizer cases: each optimizer with and without momentum / decay, matched and at defaults."""

from __future__ import annotations

from comparisons.core.case import Case

STEPS = 10
SHAPES = {"0.weight": (4, 3), "0.bias": (3,)}
# Powers of two (and 1 - 2^-10) are exact in float32: Keras keeps its learning rate in float32,
# so decimal hyperparameters are compared separately (opt_sgd_decimal_hyper).
LR, MOMENTUM, DECAY, EPS, RHO = 2**-4, 0.875, 2**-3, 2**-20, 0.875
BETAS = {"beta_1": 0.875, "beta_2": 1 - 2**-10}

MATCHED = {  # case suffix -> (optimizer, hyperparameters in scratch names)
    "sgd": ("sgd", {"lr": LR}),
    "sgd_decay": ("sgd", {"lr": LR, "decay": DECAY}),
    "sgd_momentum": ("sgd", {"lr": LR, "momentum": MOMENTUM}),
    "sgd_momentum_decay": ("sgd", {"lr": LR, "momentum": MOMENTUM, "decay": DECAY}),
    "sgd_nesterov": ("sgd", {"lr": LR, "momentum": MOMENTUM, "nesterov": True}),
    "adagrad": ("adagrad", {"lr": LR, "epsilon": EPS, "initial_accumulator": 0.125}),
    "adagrad_decay": ("adagrad", {"lr": LR, "epsilon": EPS, "initial_accumulator": 0.125,
                                  "decay": DECAY}),
    "rmsprop": ("rmsprop", {"lr": LR, "rho": RHO, "epsilon": EPS}),
    "rmsprop_decay": ("rmsprop", {"lr": LR, "rho": RHO, "epsilon": EPS, "decay": DECAY}),
    "adam": ("adam", {"lr": LR, **BETAS, "epsilon": EPS}),
    "adam_decay": ("adam", {"lr": LR, **BETAS, "epsilon": EPS, "decay": DECAY}),
}


def _case(suffix: str, optimizer: str, hyper: dict, conventions: dict | None, frameworks=None,
          component: str = "", **options) -> Case:
    """conventions: scratch's options for every framework; None: each framework profile's own
    optimizer_conventions, the options that make scratch compute that framework's formula."""
    return Case(
        id=f"opt_{suffix}", suite="optimizer", kind="optimizer",
        component=component or f"{optimizer} {', '.join(f'{k}={v:g}' for k, v in hyper.items())}",
        layers=(), loss=None, data={}, frameworks=frameworks,
        options={"optimizer": optimizer, "hyper": hyper, "steps": STEPS, "shapes": SHAPES,
                 "scratch_conventions": conventions, **options},
    )


def _matched_cases() -> list[Case]:
    return [_case(suffix, optimizer, hyper, None) for suffix, (optimizer, hyper) in MATCHED.items()]


def _difference_cases() -> list[Case]:
    """Each framework at its defaults vs scratch at its defaults, and one case per convention gap."""
    cases = [_case(f"{name}_defaults", name, {}, {}, component=f"{name} at each library's defaults",
                   defaults=True)
             for name in ("sgd", "adagrad", "rmsprop", "adam")]
    textbook = {"epsilon": 1e-7}  # the textbook epsilon, with small gradients so it matters
    cases += [
        _case("sgd_momentum_decay_nnfs_form", "sgd", MATCHED["sgd_momentum_decay"][1], {},
              frameworks=("torch", "jax"),
              component="sgd momentum under decay: nnfs form vs torch / optax form"),
        _case("adagrad_eps_outside", "adagrad", {"lr": LR, "initial_accumulator": 0.0, **textbook},
              {}, frameworks=("tensorflow", "jax"), grad_scale=1e-3,
              component="adagrad: textbook eps outside the sqrt vs Keras / optax inside"),
        _case("rmsprop_eps_outside", "rmsprop", {"lr": LR, "rho": RHO, **textbook}, {},
              frameworks=("tensorflow", "jax"), grad_scale=1e-3,
              component="rmsprop: textbook eps outside the sqrt vs Keras / optax inside"),
        _case("adam_textbook_eps", "adam", {"lr": LR, **BETAS, **textbook}, {},
              frameworks=("tensorflow",), grad_scale=1e-4,
              component="adam: textbook m_hat/(sqrt(v_hat)+eps) vs Keras epsilon-hat"),
        _case("sgd_decimal_hyper", "sgd", {"lr": 0.01, "momentum": 0.9}, None, frameworks=("tensorflow",),
              component="sgd lr=0.01 momentum=0.9: Keras rounds momentum to float32 "
              "(float32_hyperparameters)"),
        _case("adam_decimal_hyper_decay", "adam", {"lr": 0.05, "beta_1": 0.9, "beta_2": 0.999,
                                                   "epsilon": 1e-7, "decay": 5e-7}, None,
              frameworks=("tensorflow",), component="adam with nnfs's decimal hyperparameters and decay: "
              "Keras rounds the betas and InverseTimeDecay to float32 (float32_hyperparameters)"),
        _case("sgd_keras_decay_kwarg", "sgd", {"lr": LR, "decay": DECAY, "keras_decay_kwarg": DECAY},
              {}, frameworks=("tensorflow",),
              component="sgd with decay: Keras 3 ignores decay= (only a warning)"),
    ]
    return cases


OPTIMIZER_CASES: tuple[Case, ...] = (*_matched_cases(), *_difference_cases())
