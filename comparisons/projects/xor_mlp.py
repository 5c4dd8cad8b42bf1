"""Seed project 01/02: XOR with a 2-2-1 sigmoid MLP and MSE, full-batch SGD (docs/conventions.md §11).

Seed 01 trains lr 0.1 for 10 000 epochs: in 8 framework runs (2 frameworks x 2 dtypes x 2 modes)
at ~1.7 ms per step pair that alone would add ~2 min to make report. The full run trains lr 1.0 for
1000 steps instead: the
same gradient-flow time (lr x steps = 1000) in a tenth of the steps, lr 1.0 exact in float32.
From default_rng(42)'s N(0, 1) weights the loss goes 0.264 -> 0.093 and the outputs at the four
corners are about [0.22, 0.70, 0.71, 0.39] (seed 01's lr 0.1 x 10 000: 0.091, the same shape).
The short run (make test) takes 50 steps. The decision boundary is each implementation's own
inference forward (evaluate) from its own final parameters over a grid, compared point by point.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from comparisons.projects.shared.common import artifact_path, evaluate, training_cases, write_table
from comparisons.projects.shared.files import (
    find_artifacts,
    fixed_layout,
    label,
    preferred_mode,
    pyplot,
    save_png,
    write_curve,
)

CASES = training_cases(
    "xor_mlp", "seed 01: XOR, 2-2-1 sigmoid MLP, MSE, SGD lr 1.0, full batch",
    layers=({"type": "dense", "units": 2}, {"type": "sigmoid"},
            {"type": "dense", "units": 1}, {"type": "sigmoid"}),
    loss="mse", data={"kind": "xor", "n_features": 2}, seed=42,
    optimizer={"name": "sgd", "hyper": {"lr": 1.0}},
    init={"weight_scale": 1.0, "bias": "zeros"}, epochs=1000, test_epochs=50,
)
GRID = np.linspace(-0.5, 1.5, 41)  # the decision-boundary grid on each input axis
TICKS = (-0.5, 0.0, 0.5, 1.0, 1.5)


def _outputs(case, framework: str, dtype: str, outcome, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scratch's, the framework's) own inference outputs at x from their own final parameters."""
    targets = np.zeros((len(x), 1))
    final = outcome.extras["final"]
    mine = evaluate(outcome.implementation, case, final["scratch"], x, targets, dtype)["output"]
    theirs = evaluate(framework, case, final["framework"], x, targets, dtype)["output"]
    return np.asarray(mine, np.float64).ravel(), np.asarray(theirs, np.float64).ravel()


def artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """curve.csv, boundary.csv (outputs over the grid, both sides) and points.csv (the XOR corners)."""
    if not outcome.extras:  # a crash before training: nothing to draw
        return
    write_curve(case, framework, dtype, outcome, report_dir)
    x1, x2 = np.meshgrid(GRID, GRID)
    grid = np.column_stack([x1.ravel(), x2.ravel()])
    mine, theirs = _outputs(case, framework, dtype, outcome, grid)
    write_table(artifact_path(report_dir, case, framework, dtype, "boundary"), [
        {"x1": a, "x2": b, "out_scratch": m, "out_framework": t, "abs_err": abs(m - t)}
        for (a, b), m, t in zip(grid.tolist(), mine.tolist(), theirs.tolist(), strict=True)])
    data = outcome.extras["data"]
    mine, theirs = _outputs(case, framework, dtype, outcome, data["x"])
    write_table(artifact_path(report_dir, case, framework, dtype, "points"), [
        {"x1": a, "x2": b, "y": y, "out_scratch": m, "out_framework": t}
        for (a, b), y, m, t in zip(data["x"].tolist(), data["y"].ravel().tolist(), mine.tolist(),
                                   theirs.tolist(), strict=True)])


def _panel(ax, table, column: str, points, title: str):
    n = int(round(np.sqrt(len(table))))
    x1, x2 = (table[c].to_numpy().reshape(n, n) for c in ("x1", "x2"))
    image = ax.contourf(x1, x2, table[column].to_numpy().reshape(n, n), levels=np.linspace(0, 1, 21),
                        cmap="RdBu_r", extend="both")
    ax.contour(x1, x2, table[column].to_numpy().reshape(n, n), levels=[0.5], colors="k", linewidths=1)
    if points is not None:  # the XOR corners, coloured by their label
        ax.scatter(points["x1"], points["x2"], c=points["y"], cmap="RdBu_r", vmin=0, vmax=1,
                   edgecolors="k", s=60, zorder=3)
    ax.set_title(title, fontsize=8)
    ax.set_aspect("equal")
    ax.set(xticks=TICKS, yticks=TICKS)
    return image


def plot(report_dir: Path) -> list[Path]:
    """xor_mlp_decision_boundary.png: scratch's and each framework's outputs over the grid, and |diff|."""
    plt = pyplot()
    boundaries = preferred_mode(find_artifacts(report_dir, "proj_xor_mlp_", "boundary"))
    if not boundaries:
        return []
    fig = plt.figure(figsize=(11, 3.2 * len(boundaries) + 1.0))
    # columns: scratch, framework, output colorbar, gap, |difference|, its colorbar (bars in the first row)
    grid = fig.add_gridspec(len(boundaries), 6, width_ratios=[1, 1, 0.06, 0.2, 1, 0.06])
    for row, artifact in enumerate(boundaries):
        table = artifact.read()
        points = artifact.sibling("points").read_if_present()
        panels = fig.add_subplot(grid[row, 0]), fig.add_subplot(grid[row, 1])
        image = _panel(panels[0], table, "out_scratch", points, f"scratch ({artifact.dtype})")
        _panel(panels[1], table, "out_framework", points, f"{label(artifact)}: own forward")
        panels[1].tick_params(labelleft=False)  # the same inputs as scratch's panel at its left
        n = int(round(np.sqrt(len(table))))
        err = np.log10(np.maximum(table["abs_err"].to_numpy().reshape(n, n), 1e-18))
        diff_ax = fig.add_subplot(grid[row, 4])
        diff = diff_ax.imshow(err, origin="lower", extent=(GRID[0], GRID[-1], GRID[0], GRID[-1]),
                              cmap="magma", vmin=-18, vmax=0)
        diff_ax.set_title(f"log10 |scratch - {artifact.framework}|, max {table['abs_err'].max():.2e}",
                          fontsize=8)
        diff_ax.set(xticks=TICKS, yticks=TICKS)
    fig.colorbar(image, cax=fig.add_subplot(grid[0, 2]), label="output")
    fig.colorbar(diff, cax=fig.add_subplot(grid[0, 5]), label="log10 |difference|")
    fig.suptitle(f"XOR 2-2-1 sigmoid MLP: decision boundary (0.5 contour) of each implementation's "
                 f"final parameters, {boundaries[0].mode} run")
    fixed_layout(fig, 0.55, 0.75, 0.7, 0.4, wspace=0.2, hspace=0.3)
    return [save_png(fig, Path(report_dir) / "xor_mlp_decision_boundary.png")]
