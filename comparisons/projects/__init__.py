"""Seed projects: one module per project, each with its cases and optionally artifacts and plots.

A project module defines
  CASES: tuple[Case, ...]                                         its cases (any kind)
  artifacts(case, framework, dtype, outcome, report_dir) -> None  optional: write CSV files under
      report_dir / "projects" (one file per case x framework x dtype, atomically) from the outcome
  plot(report_dir) -> list[Path]                                  optional: PNGs drawn from those CSVs
Plots are drawn from report files only, never from in-memory bookkeeping (docs/architecture.md §4).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

PROJECT_MODULES = (
    "xor_mlp",
    "nnfs_spirals",
    "digits",
    "digits_cnn",
    "visualizer",
    "tabular",
    "loss_landscape",
    "backprop_simulator",
    "activation_comparison",
    "dropout_regularization",
    "time_series",
    "david_palma",
    "char_rnn",
)


def modules() -> list[ModuleType]:
    """Every project module, imported."""
    return [importlib.import_module(f"comparisons.projects.{name}") for name in PROJECT_MODULES]


def project_cases() -> tuple:
    """The cases of every project module."""
    return tuple(case for module in modules() for case in module.CASES)


def module_of(case) -> ModuleType | None:
    """The project module that defines this case (None for cases outside the projects)."""
    for module in modules():
        if any(c.id == case.id for c in module.CASES):
            return module
    return None


def write_artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """Call the case's project artifacts hook, if it has one."""
    module = module_of(case)
    if module is not None and hasattr(module, "artifacts"):
        module.artifacts(case, framework, dtype, outcome, Path(report_dir))


def plot_all(report_dir: Path) -> list[Path]:
    """Every project's plots from the files in report_dir; projects without files draw nothing."""
    paths: list[Path] = []
    for module in modules():
        if hasattr(module, "plot"):
            paths += module.plot(Path(report_dir))
    return paths
