"""Adapter for scikit-learn: estimators from reference.sklearn_models (the perceptron only)."""

from __future__ import annotations

import numpy as np

from comparisons.adapters.protocol import PlotStyle, Profile, missing_package

PROFILE = Profile(name="sklearn", label="scikit-learn", reference=True, kinds=frozenset({"perceptron"}),
                  style=PlotStyle(color="C3", linestyle="-."), packages=("scikit-learn",))


def unavailable_reason() -> str | None:
    """None when scikit-learn imports; otherwise why not."""
    return missing_package(("sklearn",), "sklearn")


def version() -> str:
    """sklearn.__version__."""
    import sklearn

    return f"scikit-learn {sklearn.__version__}"


def run_perceptron(spec: dict, x: np.ndarray, y: np.ndarray, params: dict[str, np.ndarray]) -> list[dict]:
    """{'0.weight', '0.bias'} after each epoch of sklearn Perceptron(eta0=lr, shuffle=False, tol=None)."""
    from reference.sklearn_models import train_perceptron

    history = train_perceptron(x, y, params["0.weight"], params["0.bias"], spec["lr"], spec["epochs"])
    return [{"0.weight": weight, "0.bias": bias} for weight, bias in history]
