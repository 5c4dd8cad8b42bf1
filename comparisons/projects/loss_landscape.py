"""Seed project 06: loss landscapes, computed by every implementation and compared point by point.

Linear: seed 06's MSE of y = w*x + b over w in [0, 4], b in [0, 6] on x = linspace(0, 1, 100),
y = 2x + 3 + N(0, 0.1) (default_rng(42) instead of np.random.seed(42)); each implementation's
1-1 dense model (scratch Dense + MSE, torch nn.Linear(1, 1) + MSELoss, Keras Dense(1) +
MeanSquaredError) evaluated at every (w, b). MLP: 1-16-16-1 tanh + MSE on nnfs sine_data(200)
along two random filter-normalized directions (Li et al. 2018) around scratch-trained weights
(1000 full-batch Adam steps). Full run: 51 x 51 and 31 x 31 points; short run 15 x 15 and
11 x 11: every point is one inference forward per implementation and dtype (about 1 ms in
TensorFlow's traced loss), so the seed's 100 x 100 grid would add 4-10x the points to make report.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from comparisons.adapters import reference_frameworks
from comparisons.core.case import Case
from comparisons.projects.shared.common import artifact_path, write_table
from comparisons.projects.shared.files import find_artifacts, fixed_layout, pyplot, save_png

CASES = (
    Case(id="proj_loss_landscape_linear", suite="project", kind="landscape",
         component="seed 06: MSE of y = w*x + b over w in [0, 4], b in [0, 6] (1-1 dense)",
         layers=({"type": "dense", "units": 1},), loss="mse", seed=42,
         data={"kind": "linear", "samples": 100, "w": 2.0, "b": 3.0, "noise": 0.1, "n_features": 1},
         options={"project": "loss_landscape", "grid": "weight_bias", "tensor": "linear_wb_grid",
                  "ranges": ((0.0, 4.0), (0.0, 6.0)), "points": {"short": 15, "full": 51},
                  "axes": ("w", "b")}),
    Case(id="proj_loss_landscape_mlp", suite="project", kind="landscape",
         component="1-16-16-1 tanh MLP + MSE on sine, two filter-normalized directions (Li 2018)",
         layers=({"type": "dense", "units": 16}, {"type": "tanh"}, {"type": "dense", "units": 16},
                 {"type": "tanh"}, {"type": "dense", "units": 1}),
         loss="mse", seed=6, data={"kind": "sine", "samples": 200, "n_features": 1},
         options={"project": "loss_landscape", "grid": "directions", "tensor": "mlp_direction_grid",
                  "span": 1.0, "points": {"short": 11, "full": 31}, "axes": ("alpha", "beta"),
                  "center": {"optimizer": "adam", "hyper": {"lr": 0.01}, "steps": 1000}}),
)
TITLES = {"linear": "seed 06: MSE of y = w*x + b on y = 2x + 3 + N(0, 0.1)",
          "mlp": "1-16-16-1 tanh MLP on sine: loss along two filter-normalized directions"}


def artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """grid.csv: every grid point's coordinates and the loss of scratch and of the framework."""
    extras = outcome.extras
    if not extras:
        return
    mine = extras["scratch"].astype(np.float64).tolist()
    theirs = extras["framework"].astype(np.float64).tolist()
    write_table(artifact_path(report_dir, case, framework, dtype, "grid"), [
        {"i": i, "j": j, "axis_1": float(extras["axis_1"][j]), "axis_2": float(extras["axis_2"][i]),
         "loss_scratch": mine[i][j], "loss_framework": theirs[i][j],
         "abs_err": abs(mine[i][j] - theirs[i][j])}
        for i, j in np.ndindex(extras["scratch"].shape)])


def _grid(table, column: str) -> np.ndarray:
    shape = (int(table["i"].max()) + 1, int(table["j"].max()) + 1)
    return table.sort_values(["i", "j"])[column].to_numpy().reshape(shape)


def _contour(ax, x, y, loss, levels, title: str, axis_names, outer: tuple[bool, bool]):
    from matplotlib.colors import LogNorm

    image = ax.contourf(x, y, loss, levels=levels, cmap="viridis", extend="both",
                        norm=LogNorm(levels[0], levels[-1]))
    lowest = np.argmin(loss)
    ax.plot(x.ravel()[lowest], y.ravel()[lowest], "w*", markersize=9)
    _panel(ax, title, axis_names, outer)
    return image


def _panel(ax, title: str, axis_names, outer: tuple[bool, bool]) -> None:
    """Title and ticks; axis labels and tick labels only on the outer (left, bottom) panels of a group."""
    ax.set_title(title, fontsize=8)
    ax.locator_params(nbins=5)
    left, bottom = outer  # NOTE: every panel spans the same grid; each tick label costs ~1 ms to draw
    if bottom:
        ax.set_xlabel(axis_names[0])
    if left:
        ax.set_ylabel(axis_names[1])
    ax.tick_params(labelbottom=bottom, labelleft=left)


def landscape_figure(files: list, name: str):
    """Rows per dtype: the loss contours of scratch and each framework, then |framework - scratch|.

    One loss colorbar and one difference colorbar per row: the panels of a row share their levels."""
    plt = pyplot()
    dtypes = sorted({a.dtype for a in files}, reverse=True)
    frameworks = [f for f in reference_frameworks() if any(a.framework == f for a in files)]
    n = len(frameworks)
    ratios = [1] * (1 + n) + [0.07, 0.45] + [1] * n + [0.07]  # contours, bar, gap, differences, bar
    fig = plt.figure(figsize=(3.3 * (1 + 2 * n) + 2.2, 3.3 * len(dtypes)))
    grid = fig.add_gridspec(len(dtypes), len(ratios), width_ratios=ratios)
    fixed_layout(fig, 0.7, 0.7, 0.65, 0.6, wspace=0.2, hspace=0.25)
    axis_names = next(c.options["axes"] for c in CASES if c.id == f"proj_loss_landscape_{name}")
    for row, dtype in enumerate(dtypes):
        tables = {a.framework: a.read() for a in files if a.dtype == dtype}
        any_table = next(iter(tables.values()))
        x, y = _grid(any_table, "axis_1"), _grid(any_table, "axis_2")
        scratch = _grid(any_table, "loss_scratch")
        # NOTE: log-spaced levels: the basin spans decades that linear levels paint one colour
        levels = np.geomspace(max(scratch.min(), scratch.max() * 1e-6), scratch.max(), 31)
        bottom = row == len(dtypes) - 1
        image = _contour(fig.add_subplot(grid[row, 0]), x, y, scratch, levels,
                         f"scratch ({dtype}): own forward", axis_names, (True, bottom))
        ticks = [t for t in 10.0 ** np.arange(-8, 9) if levels[0] <= t <= levels[-1]]
        bar = fig.colorbar(image, cax=fig.add_subplot(grid[row, 1 + n]), label="loss", ticks=ticks,
                           format="%.0e")
        bar.minorticks_off()
        for index, framework in enumerate(f for f in frameworks if f in tables):
            _contour(fig.add_subplot(grid[row, 1 + index]), x, y, _grid(tables[framework], "loss_framework"),
                     levels, f"{framework} ({dtype}): own forward", axis_names, (False, bottom))
            err = _grid(tables[framework], "abs_err")
            diff_ax = fig.add_subplot(grid[row, 3 + n + index])
            mesh = diff_ax.pcolormesh(x, y, np.log10(np.maximum(err, 1e-18)), cmap="magma", vmin=-18,
                                      vmax=-4, shading="nearest")
            _panel(diff_ax, f"log10 |{framework} - scratch|, max {err.max():.1e}", axis_names,
                   (index == 0, bottom))
            if index == 0:
                fig.colorbar(mesh, cax=fig.add_subplot(grid[row, -1]), label="log10 |framework - scratch|")
    fig.suptitle(f"{TITLES[name]} (white star: lowest grid point)", fontsize=10)
    return fig


def plot(report_dir: Path) -> list[Path]:
    """loss_landscape_linear.png and loss_landscape_mlp.png: contours per framework and differences."""
    paths = []
    for name in ("linear", "mlp"):
        files = find_artifacts(Path(report_dir), f"proj_loss_landscape_{name}", "grid")
        if files:
            path = Path(report_dir) / f"loss_landscape_{name}.png"
            paths.append(save_png(landscape_figure(files, name), path))
    return paths
