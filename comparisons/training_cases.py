"""Training-trajectory cases: seed projects and book configurations, each free-running and teacher-forced.

`epochs` is the full run (`make report`, pytest --full); `test_epochs` the short one (`make test`).
"""

from __future__ import annotations

import os

from comparisons.cases import Case

# Scratch convention options that make each framework's optimizer formula the textbook one.
ADAM_CONVENTIONS = {"tensorflow": {"epsilon_hat": True}}
SGD_CONVENTIONS = {"torch": {"momentum_form": "torch"}}

PROJECTS = {
    "xor_mlp": dict(
        component="seed 01: XOR, 2-2-1 sigmoid MLP, MSE, SGD lr 0.1, full batch",
        layers=({"type": "dense", "units": 2}, {"type": "sigmoid"},
                {"type": "dense", "units": 1}, {"type": "sigmoid"}),
        loss="mse", data={"kind": "xor", "n_features": 2}, seed=42,
        options={"optimizer": {"name": "sgd", "hyper": {"lr": 0.1},
                               "scratch_conventions": SGD_CONVENTIONS},
                 "init": {"weight_scale": 1.0, "bias": "zeros"}, "epochs": 10000, "test_epochs": 200},
    ),
    "nnfs_ch10_spiral_adam": dict(
        component="nnfs ch.10: spiral(100, 3), 2-64-3 ReLU, softmax + CCE, Adam(0.05, decay 5e-7)",
        layers=({"type": "dense", "units": 64}, {"type": "relu"},
                {"type": "dense", "units": 3}, {"type": "softmax"}),
        loss="categorical_crossentropy",
        data={"kind": "spiral", "samples_per_class": 100, "classes": 3, "n_features": 2}, seed=0,
        options={"optimizer": {"name": "adam", "hyper": {"lr": 0.05, "decay": 5e-7, "epsilon": 1e-7},
                               "scratch_conventions": ADAM_CONVENTIONS},
                 "init": {"weight_scale": 0.01, "bias": "zeros"}, "epochs": 2000, "test_epochs": 30},
    ),
}


def full_runs() -> bool:
    """True when the full-length runs are wanted (pytest --full sets NN_PARITY_FULL=1)."""
    return os.environ.get("NN_PARITY_FULL") == "1"


def _cases() -> list[Case]:
    cases = []
    for name, project in PROJECTS.items():
        options = dict(project["options"])
        options["epochs"] = options["epochs"] if full_runs() else options.pop("test_epochs")
        options.pop("test_epochs", None)
        for mode in ("free", "teacher"):
            cases.append(Case(
                id=f"proj_{name}_{mode}", suite="project", kind="training",
                component=f"{project['component']} [{mode}]", layers=project["layers"],
                loss=project["loss"], data=project["data"], seed=project["seed"],
                options={**options, "mode": mode},
            ))
    return cases


TRAINING_CASES: tuple[Case, ...] = tuple(_cases())
