"""Artifact files of the project modules: per-step curves, finding written CSVs again, saving PNGs.

Plots read only what the artifacts hooks wrote under report_dir/projects/ (docs/architecture.md §4); every
file is named '<case>-<framework>-<dtype>-<what>.csv' (common.artifact_path).
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from comparisons.adapters import ADAPTER_MODULES, profile
from comparisons.core.artifact_files import atomic_write_bytes
from comparisons.core.case import DTYPES
from comparisons.projects.shared.common import artifact_path, write_table

if TYPE_CHECKING:  # NOTE: matplotlib and pandas are imported when a plot is drawn, not at collection
    import pandas as pd
    from matplotlib.figure import Figure

# Implementations that train (the ones project curves show), and every implementation's plot style.
IMPLEMENTATIONS = tuple(name for name in ADAPTER_MODULES if "training" in profile(name).kinds)
LINESTYLES = {name: profile(name).style.linestyle for name in ADAPTER_MODULES}  # scratch solid, others not
COLORS = {name: profile(name).style.color for name in ADAPTER_MODULES}
LINESTYLE_NAMES = {"-": "solid", "--": "dashed", ":": "dotted", "-.": "dash-dot"}


def style_legend(names=IMPLEMENTATIONS, spec: str = "scratch") -> str:
    """'scratch solid, torch dashed, tensorflow dotted, jax dash-dot': line styles from the profiles;
    the implementation under test named by its SPEC (shown_name)."""
    return ", ".join(f"{shown_name(name, spec)} {LINESTYLE_NAMES.get(LINESTYLES[name], LINESTYLES[name])}"
                     for name in names)


def implementation_spec(report_dir: Path) -> str:
    """The --impl SPEC of the implementation a report folder's run checked (environment.json's
    implementation.spec): what plots call the 'scratch' side; 'scratch' when absent (older reports)."""
    try:
        environment = json.loads((Path(report_dir) / "environment.json").read_text())
    except (OSError, ValueError):
        return "scratch"
    implementation = environment.get("implementation") if isinstance(environment, dict) else None
    return (implementation if isinstance(implementation, dict) else {}).get("spec") or "scratch"


def shown_name(name: str, spec: str) -> str:
    """A legend's name for an implementation: the SPEC for the 'scratch' side, else the name itself."""
    return spec if name == "scratch" else name

MODE_ORDER = ("free", "teacher")


def pyplot():
    """matplotlib.pyplot on the Agg backend (chosen before pyplot is first imported)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt

DPI = 110  # every PNG: 8 pt text is 12 pixels high


@dataclass(frozen=True)
class Artifact:
    """One artifact CSV: which case, framework and dtype wrote it, and what it holds."""

    case: str
    framework: str
    dtype: str
    what: str
    path: Path

    @property
    def report_dir(self) -> Path:
        """The report folder this file is in (its projects/ folder's parent)."""
        return self.path.parent.parent

    @property
    def mode(self) -> str:
        """'free' or 'teacher' for training cases (the case id's last part), else ''."""
        last = self.case.rsplit("_", 1)[-1]
        return last if last in MODE_ORDER else ""

    def read(self) -> pd.DataFrame:
        """The CSV as a DataFrame."""
        import pandas as pd

        return pd.read_csv(self.path)

    def read_if_present(self) -> pd.DataFrame | None:
        """The CSV as a DataFrame, or None when this file was not written (a subset run)."""
        return self.read() if self.path.exists() else None

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


def png_bytes(pixels: np.ndarray, dpi: float) -> bytes:
    """A PNG file of an RGB or RGBA image (height, width, 3 or 4 uint8): rows unfiltered, zlib level 1.

    NOTE: Pillow (matplotlib's PNG writer) tries every row filter, 3/4 of its encoding time; on plots,
    mostly flat colour, unfiltered rows compress as well (full report: 6.4 MB either way, 3x faster).
    """
    height, width, channels = pixels.shape
    rows = np.zeros((height, 1 + channels * width), np.uint8)  # a row: filter type 0 ("none"), its pixels
    rows[:, 1:] = pixels.reshape(height, -1)
    per_metre = round(dpi / 0.0254)
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if channels == 4 else 2, 0, 0, 0)
    return b"".join((b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header),
                     _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
                     _chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)), _chunk(b"IEND", b"")))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_png(pixels: np.ndarray, path: Path) -> Path:
    """Write pixels as a PNG at DPI atomically (atomic_write_bytes: temporary file, then rename)."""
    atomic_write_bytes(path, png_bytes(pixels, DPI))
    return path


def save_png(fig: Figure, path: Path) -> Path:
    """Draw a matplotlib figure at DPI, write it with write_png and close it; return the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    try:
        fig.set_dpi(DPI)
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        canvas.draw()
        return write_png(np.asarray(canvas.buffer_rgba()), path)
    finally:
        pyplot().close(fig)


def fixed_layout(fig: Figure, left: float, right: float, top: float, bottom: float, wspace: float = 0.2,
                 hspace: float = 0.2) -> Figure:
    """Subplot margins in inches (left, right, top, bottom); wspace, hspace as in subplots_adjust.

    NOTE: instead of tight_layout, which measures every text of the figure (a second draw: a third of
    a plot's cost); the margins are what tight_layout chose for the full report, with some room to spare.
    """
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height,
                        bottom=bottom / height, wspace=wspace, hspace=hspace)
    return fig


@cache
def plain_log_formatter() -> type:
    """The class PlainLogFormatter (made once matplotlib is imported)."""
    from matplotlib.ticker import LogFormatter

    class PlainLogFormatter(LogFormatter):
        """LogFormatter's choice of ticks to label, each as '%.3g' ('0.01', '1e-05', '0.685')."""

        def __call__(self, x, pos=None) -> str:
            """'%.3g' of x where LogFormatter labels the tick, '' elsewhere."""
            return f"{x:.3g}" if super().__call__(x, pos) else ""

    return PlainLogFormatter


def log_scale(ax, which: str = "y") -> None:
    """Log scale with plain tick labels ('0.001', not mathtext 10^-3: ~15 ms to parse each label).

    NOTE: minor ticks at 2 and 5 of each decade, not 2..9: every tick is an object costing ~1 ms to draw."""
    from matplotlib.ticker import LogLocator

    getattr(ax, f"set_{which}scale")("log")
    axis = ax.yaxis if which == "y" else ax.xaxis
    axis.set_major_formatter(plain_log_formatter()())
    axis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    axis.set_minor_formatter(plain_log_formatter()())


def label(artifact: Artifact) -> str:
    """'torch float64 free': the framework, dtype and mode of a file."""
    return " ".join(part for part in (artifact.framework, artifact.dtype, artifact.mode) if part)
