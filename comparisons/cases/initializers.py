"""Initializer cases: every scratch initializer against each framework's own, and Dense defaults.

Each draw has shape (400, 300) in the (in, out) layout: fan_in = 400, fan_out = 300, n = 120 000
values, so a wrong fan (fan_in + fan_out = 700 vs 2*fan_in = 800, ...) changes the scale by >= 6%.
Hyperparameters of normal/uniform/constant are set explicitly (non-zero mean, non-unit scale),
since the libraries' defaults differ (torch N(0, 1), U(0, 1); Keras N(0, 0.05), U(-0.05, 0.05)).
"""

from __future__ import annotations

from comparisons.core.case import Case

SHAPE = (400, 300)  # (fan_in, fan_out)
DENSE = (400, 300)  # default-init case: Dense(400 -> 300)

# scratch name -> (scratch options, distribution formula for the component column)
INITIALIZER_TABLE = {
    "zeros": ({}, "w = 0"),
    "constant": ({"value": 0.375}, "w = 0.375"),
    "normal": ({"mean": 0.25, "std": 0.5}, "N(0.25, 0.5^2)"),
    "uniform": ({"low": -0.25, "high": 0.75}, "U[-0.25, 0.75)"),
    "glorot_normal": ({}, "std sqrt(2/(fan_in+fan_out))"),
    "glorot_uniform": ({}, "U(+-sqrt(6/(fan_in+fan_out)))"),
    "he_normal": ({}, "std sqrt(2/fan_in)"),
    "he_uniform": ({}, "U(+-sqrt(6/fan_in))"),
    "lecun_normal": ({}, "std sqrt(1/fan_in)"),
    "lecun_uniform": ({}, "U(+-sqrt(3/fan_in))"),
}


def _case(suffix: str, seed: int, component: str, **options) -> Case:
    return Case(id=f"init_{suffix}", suite="initializer", kind="initializer", component=component,
                layers=(), loss=None, data={}, seed=seed, options=options)


def _initializer_cases() -> list[Case]:
    cases = []
    for seed, (name, (hyper, formula)) in enumerate(INITIALIZER_TABLE.items()):
        cases.append(_case(
            name, seed, f"{name}: {formula}, shape (400, 300) = (fan_in, fan_out)",
            initializer=name, framework_initializer=name, hyper=hyper, shape=SHAPE))
    cases.append(_case(
        "normal_truncated", len(cases), "normal truncated at 2 std: N(0.25, 0.5^2) cut to [-0.75, 1.25]",
        initializer="normal", framework_initializer="truncated_normal", hyper={"mean": 0.25, "std": 0.5},
        shape=SHAPE))
    return cases


def _defaults_case(seed: int) -> Case:
    return _case(
        "dense_defaults", seed,
        "Dense(400 -> 300) default init: scratch 0.01*N(0,1), b = 0 (nnfs); torch Linear "
        "U(+-1/sqrt(fan_in)) for W and b; Keras Dense glorot_uniform W, b = 0",
        defaults=True, shape=DENSE)


INITIALIZER_CASES: tuple[Case, ...] = (*_initializer_cases(), _defaults_case(len(INITIALIZER_TABLE) + 1))
