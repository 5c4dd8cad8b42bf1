"""Shared pieces of the project modules: training-case construction, short vs full runs, files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from comparisons.cases import Case
from comparisons.report import atomic_write_text, csv_text

# Scratch convention options that make each framework's optimizer formula the textbook one.
ADAM_CONVENTIONS = {"tensorflow": {"epsilon_hat": True}}
SGD_CONVENTIONS = {"torch": {"momentum_form": "torch"}}
MODES = ("free", "teacher")


def full_runs() -> bool:
    """True when the full-length runs are wanted (pytest --full sets NN_PARITY_FULL=1)."""
    return os.environ.get("NN_PARITY_FULL") == "1"


def training_cases(name: str, component: str, *, layers, loss, data, seed: int, optimizer: dict,
                   epochs: int, test_epochs: int, modes=MODES, **options) -> tuple[Case, ...]:
    """One training case per mode, id 'proj_<name>_<mode>'; epochs when full, test_epochs otherwise."""
    return tuple(
        Case(id=f"proj_{name}_{mode}", suite="project", kind="training",
             component=f"{component} [{mode}]", layers=tuple(layers), loss=loss, data=data, seed=seed,
             options={"optimizer": optimizer, "epochs": epochs if full_runs() else test_epochs,
                      "mode": mode, "project": name, **options})
        for mode in modes
    )


def artifact_path(report_dir: Path, case, framework: str, dtype: str, what: str) -> Path:
    """reports/projects/<case>-<framework>-<dtype>-<what>.csv"""
    return Path(report_dir) / "projects" / f"{case.id}-{framework}-{dtype}-{what}.csv"


def write_table(path: Path, rows: list[dict]) -> None:
    """Atomic CSV of dict rows, columns in the first row's order."""
    if rows:
        atomic_write_text(path, csv_text(rows, tuple(rows[0])))


def flat_params(params: dict[str, np.ndarray]) -> dict[str, float]:
    """{'0.weight[1,2]': value, ...}: every parameter element as one column."""
    return {f"{key}[{','.join(map(str, index))}]": float(value[index])
            for key, value in params.items() for index in np.ndindex(value.shape)}


def evaluate(framework: str, case: Case, params: dict[str, np.ndarray], x: np.ndarray,
             targets: np.ndarray, dtype: str) -> dict[str, np.ndarray]:
    """Loss and output of one implementation's OWN inference-mode forward pass on (x, targets)."""
    from comparisons.adapters import get_adapter
    from comparisons.data import Batch

    adapter = get_adapter(framework)
    spec = {**case.model_spec(), "training": False, "backward": False}
    model = adapter.build(spec, {k: v.astype(dtype) for k, v in params.items()}, dtype)
    cast = targets if targets.dtype.kind in "iu" else targets.astype(dtype)
    result = adapter.run_pass(model, spec, Batch(x.astype(dtype), cast, np.zeros((0,))))
    return {"loss": result["loss"].get("loss"), "output": result["output"]["output"]}
