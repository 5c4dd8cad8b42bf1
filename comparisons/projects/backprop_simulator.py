"""Seed project 07 (docs/conventions.md §11): the backpropagation simulator, one sample layer by layer.

One sample x = [0.5, 0.8] with target 1 through a 2-2-1 sigmoid network; W1, b1, W2, b2 drawn in
that order by np.random.seed(0) + randn (here RandomState(0), never the global state); loss
1/2 (y - a2)^2 ('half_mse': torch 0.5 * mse_loss, Keras 0.5 * MeanSquaredError). The seed prints
z1, a1, z2, a2, the loss (golden 0.05440686) and dW, db; it stops before an update, so the update
here is one SGD step with lr 0.1. A pass case gives every z, activation and dL/d(layer input); a
one-step training case gives the loss, the gradients and the updated parameters. plot() writes
the side-by-side table reports/backprop_simulator.txt (and .csv) and an error chart from them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from comparisons.adapters import reference_frameworks
from comparisons.core.case import Case
from comparisons.projects.shared.common import artifact_path, training_cases, write_table
from comparisons.projects.shared.files import find_artifacts, fixed_layout, log_scale, pyplot, save_png
from comparisons.report.files import atomic_write_text

if TYPE_CHECKING:
    import pandas as pd

GOLDEN_LOSS = 0.05440686  # seed 07 output.txt: "Loss: [[0.05440686]]"
LR = 0.1
LAYERS = ({"type": "dense", "units": 2}, {"type": "sigmoid"},
          {"type": "dense", "units": 1}, {"type": "sigmoid"})
DATA = {"kind": "fixed", "x": ((0.5, 0.8),), "y": ((1.0,),), "n_features": 2}
INIT = {"legacy_seed": 0}
TITLE = "seed 07: one sample [0.5, 0.8] -> 1, 2-2-1 sigmoid, 1/2 (y - a)^2, seed-0 randn weights and biases"
CASES = (
    Case(id="proj_backprop_simulator_pass", suite="project", component=f"{TITLE}, forward + backward",
         layers=LAYERS, loss="half_mse", data=DATA, kind="pass",
         options={"init": INIT, "project": "backprop_simulator"}),
    *training_cases("backprop_simulator", f"{TITLE}, one SGD step lr {LR}", layers=LAYERS, loss="half_mse",
                    data=DATA, seed=0, optimizer={"name": "sgd", "hyper": {"lr": LR}}, init=INIT,
                    epochs=1, test_epochs=1, modes=("free",)),
)
# (quantity, tensor) of the pass -> (stage, symbol), in the order the simulator prints them
SYMBOLS = {
    ("activation", "0.dense"): ("forward", "z1 = x W1 + b1"),
    ("activation", "1.sigmoid"): ("forward", "a1 = sigmoid(z1)"),
    ("activation", "2.dense"): ("forward", "z2 = a1 W2 + b2"),
    ("activation", "3.sigmoid"): ("forward", "a2 = sigmoid(z2)"),
    ("loss", "loss"): ("forward", "L = 1/2 (y - a2)^2"),
    ("grad_activation", "3.sigmoid"): ("backward", "dL/dz2"),
    ("grad_param", "2.weight"): ("backward", "dL/dW2"),
    ("grad_param", "2.bias"): ("backward", "dL/db2"),
    ("grad_activation", "2.dense"): ("backward", "dL/da1"),
    ("grad_activation", "1.sigmoid"): ("backward", "dL/dz1"),
    ("grad_param", "0.weight"): ("backward", "dL/dW1"),
    ("grad_param", "0.bias"): ("backward", "dL/db1"),
    ("grad_activation", "0.dense"): ("backward", "dL/dx"),
}
UPDATED = {"0.weight": "W1", "0.bias": "b1", "2.weight": "W2", "2.bias": "b2"}


def _elements(stage: str, symbol: str, mine, theirs) -> list[dict]:
    mine, theirs = np.atleast_1d(np.asarray(mine, np.float64)), np.atleast_1d(np.asarray(theirs, np.float64))
    return [{"stage": stage, "symbol": symbol, "index": str(list(index)), "scratch": float(mine[index]),
             "framework": float(theirs[index]), "abs_err": float(abs(mine[index] - theirs[index]))}
            for index in np.ndindex(theirs.shape)]


def artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """pass: layers.csv (every z, activation, dL/d input, dW, db); training: update.csv (params after)."""
    if case.kind == "pass":
        results = outcome.extras["results"]
        rows = [row for (quantity, tensor), (stage, symbol) in SYMBOLS.items()
                for row in _elements(stage, symbol, results["scratch"][quantity][tensor],
                                     results["framework"][quantity][tensor])]
        write_table(artifact_path(report_dir, case, framework, dtype, "layers"), rows)
        return
    final = outcome.extras["final"]
    rows = [row for key, name in UPDATED.items()
            for row in _elements("update", f"{name} - {LR} dL/d{name}", final["scratch"][key],
                                 final["framework"][key])]
    write_table(artifact_path(report_dir, case, framework, dtype, "update"), rows)


def side_by_side(report_dir: Path) -> pd.DataFrame:
    """One row per dtype x printed element: scratch, torch, tensorflow and the largest |difference|."""
    import pandas as pd

    found = [*find_artifacts(report_dir, "proj_backprop_simulator_", "layers"),
             *find_artifacts(report_dir, "proj_backprop_simulator_", "update")]
    merged: dict[tuple, dict] = {}
    for artifact in found:
        for order, row in enumerate(artifact.read().to_dict("records")):
            key = (artifact.dtype, artifact.what == "update", order)
            entry = merged.setdefault(key, {"dtype": artifact.dtype, "stage": row["stage"],
                                            "symbol": row["symbol"], "index": row["index"],
                                            "scratch": row["scratch"]})
            entry[artifact.framework] = row["framework"]
    table = pd.DataFrame([merged[key] for key in sorted(merged, key=lambda k: (k[0] != "float64", *k))])
    if table.empty:
        return table
    frameworks = [f for f in reference_frameworks() if f in table]
    table["max_abs_diff"] = np.max([(table[f] - table["scratch"]).abs() for f in frameworks], axis=0)
    return table[["dtype", "stage", "symbol", "index", "scratch", *frameworks, "max_abs_diff"]]


def _text(table: pd.DataFrame) -> str:
    lines = ["Seed 07 backpropagation simulator: x = [0.5, 0.8], y = 1, 2-2-1 sigmoid, L = 1/2 (y - a2)^2,",
             f"W1, b1, W2, b2 from np.random.seed(0) randn; one SGD step lr {LR}. "
             f"Golden loss {GOLDEN_LOSS}.", ""]
    frameworks = [f for f in reference_frameworks() if f in table]
    header = f"{'stage':<9} {'quantity':<22} {'index':<7} {'scratch':>22} " + " ".join(
        f"{f:>22}" for f in frameworks) + f" {'max |diff|':>11}"
    for dtype, rows in table.groupby("dtype", sort=False):
        loss = rows.loc[rows["symbol"].str.startswith("L ="), "scratch"]
        if len(loss) and dtype == "float64":
            verdict = "reproduces" if round(float(loss.iloc[0]), 8) == GOLDEN_LOSS else "DOES NOT reproduce"
            lines.append(f"[{dtype}] loss {float(loss.iloc[0]):.10f}: {verdict} the golden {GOLDEN_LOSS} "
                         "(8 decimals)")
        else:
            lines.append(f"[{dtype}]")
        lines += [header, "-" * len(header)]
        for row in rows.itertuples(index=False):
            values = " ".join(f"{getattr(row, f):>22.15g}" for f in frameworks)
            lines.append(f"{row.stage:<9} {row.symbol:<22} {row.index:<7} {row.scratch:>22.15g} {values} "
                         f"{row.max_abs_diff:>11.2e}")
        lines.append("")
    return "\n".join(lines)


def plot(report_dir: Path) -> list[Path]:
    """backprop_simulator.txt/.csv side by side, and backprop_simulator_errors.png (|diff| per quantity)."""
    plt = pyplot()
    table = side_by_side(report_dir)
    if table.empty:
        return []
    write_table(Path(report_dir) / "backprop_simulator.csv", table.to_dict("records"))
    atomic_write_text(Path(report_dir) / "backprop_simulator.txt", _text(table))
    symbols = list(dict.fromkeys(table["symbol"]))
    frameworks = [f for f in reference_frameworks() if f in table]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(symbols) + 1.8))
    series = [(f, d) for d in ("float64", "float32") for f in frameworks if d in set(table["dtype"])]
    height = 0.8 / max(1, len(series))
    for offset, (framework, dtype) in enumerate(series):
        rows = table[table["dtype"] == dtype]
        worst = [float((rows.loc[rows["symbol"] == s, framework] - rows.loc[rows["symbol"] == s, "scratch"])
                       .abs().max()) for s in symbols]
        where = np.arange(len(symbols)) + offset * height
        ax.barh(where, np.maximum(worst, 1e-20), height=height, label=f"{framework} {dtype}",
                color=f"C{offset}")
        for y, error in zip(where, worst, strict=True):
            if error == 0:
                ax.text(2e-20, y, f"exact ({framework} {dtype})", fontsize=6, va="center", color=f"C{offset}")
    log_scale(ax, "x")
    ax.set_xlim(1e-20, 1e-3)
    ax.set_yticks(np.arange(len(symbols)) + 0.4 - height / 2, symbols, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("max |scratch - framework| over the elements (exact agreement drawn at 1e-20)")
    ax.legend(fontsize=8)
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(f"Seed 07 backprop simulator: every printed quantity vs torch and TensorFlow "
                 f"(loss {float(table.loc[table['symbol'].str.startswith('L ='), 'scratch'].iloc[0]):.8f}, "
                 f"golden {GOLDEN_LOSS})", fontsize=9)
    fixed_layout(fig, 1.3, 0.2, 0.35, 0.65)
    return [save_png(fig, Path(report_dir) / "backprop_simulator_errors.png")]
