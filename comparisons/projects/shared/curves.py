"""Loss curves of scratch and each framework read back from the 'curve' artifacts (projects 8-12).

Each framework's curve file holds scratch's loss and the framework's at every step; scratch's own
curve is taken from the first framework file found. Runs are picked free-running first, float64
first: the runs where the three implementations should draw one line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from comparisons.core.case import DTYPES
from comparisons.projects.shared.files import (
    COLORS,
    IMPLEMENTATIONS,
    LINESTYLES,
    Artifact,
    find_artifacts,
    implementation_spec,
    log_scale,
    preferred_mode,
    shown_name,
)

# scratch drawn wide and pale underneath, the frameworks thin on top: identical curves stay visible
SCRATCH_UNDER = {"linewidth": 3.2, "alpha": 0.45, "zorder": 2}
FRAMEWORK_OVER = {"linewidth": 1.3, "zorder": 3}


def chosen_runs(report_dir: Path, case_prefix: str, what: str = "curve") -> list[Artifact]:
    """The artifacts of one mode (free if any) and one dtype (float64 if any) for a case prefix."""
    runs = preferred_mode(find_artifacts(report_dir, case_prefix, what))
    for dtype in sorted(DTYPES, key=lambda d: d != "float64"):
        if any(a.dtype == dtype for a in runs):
            return [a for a in runs if a.dtype == dtype]
    return runs


def implementation_series(runs: list[Artifact], column: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{implementation: (steps, values)}: <column>_scratch from the first file, _framework from each."""
    series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for artifact in runs:
        table = artifact.read()
        steps = table["step"].to_numpy()
        series.setdefault("scratch", (steps, table[f"{column}_scratch"].to_numpy(np.float64)))
        series[artifact.framework] = (steps, table[f"{column}_framework"].to_numpy(np.float64))
    return {name: series[name] for name in IMPLEMENTATIONS if name in series}


def draw_curves(ax, runs: list[Artifact], column: str = "loss", color: str | None = None,
                prefix: str = "", log: bool = True) -> None:
    """One line per implementation of these runs, in its profile's style (style_legend); the
    implementation under test labelled with the run's SPEC."""
    spec = implementation_spec(runs[0].report_dir) if runs else "scratch"
    for name, (steps, values) in implementation_series(runs, column).items():
        ax.plot(steps, values, LINESTYLES[name], color=color or COLORS[name],
                label=f"{prefix}{shown_name(name, spec)}",
                **SCRATCH_UNDER if name == "scratch" else FRAMEWORK_OVER)
    if log:
        log_scale(ax)
    ax.set_xlabel("step")
    ax.grid(True, alpha=0.3)


def run_label(runs: list[Artifact]) -> str:
    """'float64, free-running' for the runs drawn."""
    if not runs:
        return "no runs"
    mode = {"free": "free-running", "teacher": "teacher-forced"}.get(runs[0].mode, runs[0].mode)
    return f"{runs[0].dtype}, {mode}"
