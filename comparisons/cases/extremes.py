"""Extreme and edge ranges (docs/conventions.md §22): every component whose formula uses exp, log, a division
or a sqrt, fed inputs at the overflow / underflow range of each dtype. Each case states its expected outcome
in options['expected']: 'agree' (within the normal tolerance), or the known-differences entry that covers it.
"""

from __future__ import annotations

from comparisons.core.case import Case

# exp overflows above 88.7 in float32 and 709.8 in float64: |x| in [100, 1000] is past both
HUGE = {"kind": "signed_uniform", "batch": 8, "n_features": 5, "low": 100.0, "high": 1000.0}
# |x| in [1e-7, 1e-6]: a variance / mean square ~1e-13, far below every eps used (1e-6 .. 1e-3), without
# the cancellation of a large common offset (which float32 cannot resolve on any side)
TINY = {"kind": "signed_uniform", "batch": 8, "n_features": 5, "low": 1e-7, "high": 1e-6}

# NOTE: measured at seed 0, float32 input gradients: torch 0.74 / Keras 1.43 of the tolerance (LayerNorm),
# 0.64 / 0.93 (BatchNorm); RMSNorm has no mean subtraction and stays at 0.13
CANCELLATION = ("float64 only: the backward (g - mean g - x_hat mean(g x_hat))/sqrt(eps) cancels terms of "
                "~300|g| down to ~|g|, a rounding amplification of ~40 that float32's rtol 1e-6 cannot hold "
                "on any side; float64 checks the formula at var << eps")

EXP_ACTIVATIONS = {  # layer spec of every activation whose formula has exp, log or a division
    "sigmoid": {"type": "sigmoid"}, "tanh": {"type": "tanh"}, "softmax": {"type": "softmax"},
    "log_softmax": {"type": "log_softmax"}, "softplus": {"type": "softplus"},
    "gelu": {"type": "gelu", "approximate": "none"}, "gelu_tanh": {"type": "gelu", "approximate": "tanh"},
    "elu": {"type": "elu", "alpha": 1.3}, "swish": {"type": "swish"},
}
LOGIT_LOSSES = {  # loss -> targets of the logits losses, fed |z| in [100, 1000]
    "binary_crossentropy_logits": "binary", "categorical_crossentropy_logits": "sparse",
    "categorical_crossentropy_logits_sum": "onehot",
}
# Adaptive optimizers divide by sqrt of a running mean of g^2: g ~ 1e-20 makes g^2 underflow in float32
# (1e-40 < 1.2e-38), g ~ 1e15 makes it 1e30, near float32's 3.4e38 limit
OPTIMIZERS = {"adagrad": {"lr": 2**-4, "epsilon": 2**-20, "initial_accumulator": 0.125},
              "rmsprop": {"lr": 2**-4, "rho": 0.875, "epsilon": 2**-20},
              "adam": {"lr": 2**-4, "beta_1": 0.875, "beta_2": 1 - 2**-10, "epsilon": 2**-20}}
GRADIENT_SCALES = {"tiny": 1e-20, "huge": 1e15}


def _activation_cases() -> list[Case]:
    return [Case(id=f"ext_act_{name}_huge", suite="activation",
                 component=f"activation {name} at |x| in [100, 1000] (exp overflows in both dtypes)",
                 layers=(layer,), loss=None, data=HUGE, options={"expected": "agree"},
                 notes="saturation past exp's overflow: stable formulas give 0, 1, x or -|x| exactly")
            for name, layer in EXP_ACTIVATIONS.items()]


def _loss_cases() -> list[Case]:
    return [Case(id=f"ext_loss_{name}_huge_logits", suite="loss",
                 component=f"loss {name} on logits |z| in [100, 1000] ({targets} targets)",
                 layers=(), loss=name, options={"expected": "agree"},
                 data={"kind": "loss", "batch": 8, "n_features": 4, "predictions": "huge_logits",
                       "targets": targets, "saturated": False})
            for name, targets in LOGIT_LOSSES.items()]


def _normalization_cases() -> list[Case]:
    return [Case(id=f"ext_{kind}_tiny_variance", suite="normalization",
                  component=f"{kind} on inputs |x| <= 1e-6: variance ~1e-13, far below eps {eps}",
                  layers=({"type": kind, "eps": eps, **extra},), loss=None, data=TINY, dtypes=dtypes,
                  options={"expected": "agree"}, notes=CANCELLATION if dtypes == ("float64",) else "")
            for kind, eps, extra, dtypes in (("layernorm", 1e-5, {}, ("float64",)),
                                             ("batchnorm1d", 1e-5, {"momentum": 0.1}, ("float64",)),
                                             ("rmsnorm", 1e-6, {}, ("float32", "float64")))]



def _optimizer_cases() -> list[Case]:
    return [Case(id=f"ext_opt_{name}_{scale_name}_grads", suite="optimizer", kind="optimizer",
                 component=f"{name} with gradients ~{scale:g} (g^2 at float32's range)",
                 layers=(), loss=None, data={},
                 options={"optimizer": name, "hyper": hyper, "steps": 10, "grad_scale": scale,
                          "shapes": {"0.weight": (4, 3), "0.bias": (3,)}, "scratch_conventions": None,
                          "expected": "agree"})
            for name, hyper in OPTIMIZERS.items() for scale_name, scale in GRADIENT_SCALES.items()]


EXTREME_CASES: tuple[Case, ...] = (*_activation_cases(), *_loss_cases(), *_normalization_cases(),
                                   *_optimizer_cases())
