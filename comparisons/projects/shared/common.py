"""Shared pieces of the project modules: training-case construction, artifact files, own forward passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from comparisons.adapters.cache import framework_adapter
from comparisons.core.case import Case
from comparisons.data.batches import Batch
from comparisons.report.files import atomic_write_text, csv_text

MODES = ("free", "teacher")


def training_cases(name: str, component: str, *, layers, loss, data, seed: int, optimizer: dict,
                   epochs: int, test_epochs: int, modes=MODES, **options) -> tuple[Case, ...]:
    """One training case per mode, id 'proj_<name>_<mode>'; epochs in full runs, test_epochs otherwise."""
    return tuple(
        Case(id=f"proj_{name}_{mode}", suite="project", kind="training",
             component=f"{component} [{mode}]", layers=tuple(layers), loss=loss, data=data, seed=seed,
             options={"optimizer": optimizer, "epochs": {"short": test_epochs, "full": epochs},
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
    spec = {**case.model_spec(), "training": False, "backward": False}
    with framework_adapter(framework, "evaluate", case, dtype, params, x, targets) as adapter:
        model = adapter.build(spec, {k: v.astype(dtype) for k, v in params.items()}, dtype)
        result = adapter.run_pass(model, spec, Batch(x, targets, np.zeros((0,))).cast(dtype))  # ids: int64
    return {"loss": result["loss"].get("loss"), "output": result["output"]["output"]}
