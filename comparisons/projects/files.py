"""Artifact files of the project modules: per-step curves, finding written CSVs again, saving PNGs.

Plots read only what the artifacts hooks wrote under report_dir/projects/ (DESIGN 4); every
file is named '<case>-<framework>-<dtype>-<what>.csv' (common.artifact_path).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from comparisons import DTYPES  # noqa: E402
from comparisons.projects.common import artifact_path, write_table  # noqa: E402

IMPLEMENTATIONS = ("scratch", "torch", "tensorflow")
LINESTYLES = {"scratch": "-", "torch": "--", "tensorflow": ":"}  # scratch solid, frameworks dashed
MODE_ORDER = ("free", "teacher")


@dataclass(frozen=True)
class Artifact:
    """One artifact CSV: which case, framework and dtype wrote it, and what it holds."""

    case: str
    framework: str
    dtype: str
    what: str
    path: Path

    @property
    def mode(self) -> str:
        """'free' or 'teacher' for training cases (the case id's last part), else ''."""
        last = self.case.rsplit("_", 1)[-1]
        return last if last in MODE_ORDER else ""

    def read(self) -> pd.DataFrame:
        """The CSV as a DataFrame."""
        return pd.read_csv(self.path)

    def read_if_present(self) -> pd.DataFrame | None:
        """The CSV as a DataFrame, or None when this file was not written (a subset run)."""
        return pd.read_csv(self.path) if self.path.exists() else None

    def sibling(self, what: str) -> Artifact:
        """The file of another kind written for the same case, framework and dtype."""
        return Artifact(self.case, self.framework, self.dtype, what,
                        self.path.with_name(f"{self.case}-{self.framework}-{self.dtype}-{what}.csv"))


def _order(artifact: Artifact) -> tuple:
    framework = IMPLEMENTATIONS.index(artifact.framework) if artifact.framework in IMPLEMENTATIONS else 9
    dtype = DTYPES.index(artifact.dtype) if artifact.dtype in DTYPES else 9
    mode = MODE_ORDER.index(artifact.mode) if artifact.mode in MODE_ORDER else 9
    return (mode, artifact.case, framework, dtype)


def find_artifacts(report_dir: Path, case_prefix: str, what: str) -> list[Artifact]:
    """Every '<case>-<framework>-<dtype>-<what>.csv' whose case starts with case_prefix, sorted."""
    found = []
    for path in (Path(report_dir) / "projects").glob(f"{case_prefix}*-{what}.csv"):
        parts = path.stem.split("-")
        if len(parts) == 4 and parts[3] == what:
            found.append(Artifact(*parts[:3], what, path))
    return sorted(found, key=_order)


def preferred_mode(artifacts: list[Artifact]) -> list[Artifact]:
    """The artifacts of the free-running cases if there are any, else those of the teacher-forced."""
    for mode in MODE_ORDER:
        chosen = [a for a in artifacts if a.mode == mode]
        if chosen:
            return chosen
    return artifacts


def write_curve(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """<case>-<fw>-<dtype>-curve.csv: every step's loss, accuracy and parameter gap, both sides."""
    columns = ("step", "loss_scratch", "loss_framework", "loss_abs_err", "max_param_abs_err",
               "accuracy_scratch", "accuracy_framework", "within_tolerance")
    rows = [{c: row[c] for c in columns} for row in outcome.trajectory]
    write_table(artifact_path(report_dir, case, framework, dtype, "curve"), rows)


def save_png(fig: Figure, path: Path) -> Path:
    """Save atomically (temporary file, then rename), close the figure, return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110, metadata={"Software": None})
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        Path(tmp).unlink(missing_ok=True)
    return path


def label(artifact: Artifact) -> str:
    """'torch float64 free': the framework, dtype and mode of a file."""
    return " ".join(part for part in (artifact.framework, artifact.dtype, artifact.mode) if part)
