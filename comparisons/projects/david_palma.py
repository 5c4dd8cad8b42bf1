"""david-palma/neural-network (docs/conventions.md §11): one tanh hidden layer, softmax, summed cross-entropy.

The seed's cost is sum_n -log p[n, y_n] (no 1/N) + reg/2 ||W||^2 on the weights only, trained full
batch by plain gradient descent theta -= eps * dtheta with eps 1e-3, reg 1e-3; weights N(0, 1)/sqrt(fan_in),
biases 0. Here: loss 'categorical_crossentropy_sum' (torch cross_entropy(reduction='sum'), Keras
reduction='sum'), weight_l2 = reg/2 = 5e-4 on both Dense layers, SGD lr 1e-3. Its two tests: noisy
XOR (200 points, noise 0.2, 7 hidden units) and four spirals (nnfs spiral(100, 4), 15 hidden units).
NOTE: the seed's softmax skips the max subtraction; scratch's and the frameworks' are the stable
form, equal in value while exp does not overflow. The seed trains up to 20 000 epochs (stopping when
the logged cost moves by < 1e-5); the full runs here train 300, the short runs 5: enough to solve
the XOR, while the spirals have only just gone below chance, 400 ln 4 = 555 (summed loss 561 -> 545).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from comparisons.projects.shared.common import artifact_path, evaluate, training_cases, write_table
from comparisons.projects.shared.curves import chosen_runs, draw_curves, run_label
from comparisons.projects.shared.files import (
    fixed_layout,
    implementation_spec,
    pyplot,
    save_png,
    style_legend,
    write_curve,
)

REG = 1e-3
EPS = 1e-3
TESTS = {  # project name -> (title, data, hidden units)
    "david_palma_xor": ("noisy XOR, 2-7-2",
                        {"kind": "noisy_xor", "samples": 200, "noise": 0.2, "binary": False,
                         "n_features": 2}, 7),
    "david_palma_spirals": ("four spirals, 2-15-4",
                            {"kind": "spiral", "samples_per_class": 100, "classes": 4, "n_features": 2}, 15),
}
GRID = np.linspace(-1.5, 2.5, 61)  # decision-region grid on each input axis (covers both data sets)


def _cases(name: str, title: str, data: dict, hidden: int) -> tuple:
    classes = data.get("classes", 2)
    return training_cases(
        name, f"david-palma {title} tanh, softmax, summed CCE + reg/2 ||W||^2, GD eps 1e-3",
        layers=({"type": "dense", "units": hidden, "weight_l2": REG / 2}, {"type": "tanh"},
                {"type": "dense", "units": classes, "weight_l2": REG / 2}, {"type": "softmax"}),
        loss="categorical_crossentropy_sum", data=data, seed=0,
        optimizer={"name": "sgd", "hyper": {"lr": EPS}},
        init={"weight_scale": 1.0, "fan_in": True, "bias": "zeros"}, epochs=300, test_epochs=5)


CASES = tuple(case for name, (title, data, hidden) in TESTS.items()
              for case in _cases(name, title, data, hidden))


def artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """curve.csv, and regions.csv: each side's own predicted class over the grid from its final params."""
    write_curve(case, framework, dtype, outcome, report_dir)
    x1, x2 = np.meshgrid(GRID, GRID)
    grid = np.column_stack([x1.ravel(), x2.ravel()])
    labels = np.zeros(len(grid), dtype=np.int64)
    final = outcome.extras["final"]
    mine = evaluate(outcome.implementation, case, final["scratch"], grid, labels,
                    dtype)["output"].argmax(axis=1)
    theirs = evaluate(framework, case, final["framework"], grid, labels, dtype)["output"].argmax(axis=1)
    write_table(artifact_path(report_dir, case, framework, dtype, "regions"), [
        {"x1": float(a), "x2": float(b), "class_scratch": int(m), "class_framework": int(t)}
        for (a, b), m, t in zip(grid, mine, theirs, strict=True)])
    write_table(artifact_path(report_dir, case, framework, dtype, "points"), [
        {"x1": float(a), "x2": float(b), "label": int(y)} for (a, b), y in zip(outcome.extras["data"]["x"],
                                                                  outcome.extras["data"]["y"], strict=True)])


def _regions_panel(ax, report_dir: Path, name: str, title: str) -> None:
    runs = chosen_runs(report_dir, f"proj_{name}_", "regions")
    if not runs:
        ax.set_visible(False)
        return
    table = runs[0].read()
    n = int(round(np.sqrt(len(table))))
    ax.imshow(table["class_scratch"].to_numpy().reshape(n, n), origin="lower", cmap="Pastel1", alpha=0.9,
              extent=(GRID[0], GRID[-1], GRID[0], GRID[-1]), vmin=0, vmax=8, interpolation="nearest")
    points = runs[0].sibling("points").read_if_present()
    if points is not None:
        ax.scatter(points["x1"], points["x2"], c=points["label"], cmap="Set1", vmin=0, vmax=8, s=8)
    same = {a.framework: int((a.read()["class_framework"] == table["class_scratch"]).sum()) for a in runs}
    agree = [f"{framework}: {count}/{len(table)}" for framework, count in same.items()]
    ax.set_title(f"{title}: scratch's predicted class ({run_label(runs)})\nsame class as scratch at "
                 + ", ".join(agree) + " grid points", fontsize=8)
    ax.set_xlim(GRID[0], GRID[-1])
    ax.set_ylim(GRID[0], GRID[-1])


def plot(report_dir: Path) -> list[Path]:
    """david_palma_training.png: loss curves (top) and decision regions (bottom) of both tests."""
    plt = pyplot()
    present = {name: chosen_runs(report_dir, f"proj_{name}_") for name in TESTS}
    if not any(present.values()):
        return []
    fig, axes = plt.subplots(2, len(TESTS), figsize=(12, 9.5), squeeze=False)
    for column, (name, (title, _, _)) in enumerate(TESTS.items()):
        runs = present[name]
        if runs:
            draw_curves(axes[0, column], runs)
            axes[0, column].legend(fontsize=8)
        axes[0, column].set_title(f"{title}: summed cross-entropy per step ({run_label(runs)})", fontsize=9)
        axes[0, column].set_ylabel("sum_n -log p[n, y_n]")
        _regions_panel(axes[1, column], report_dir, name, title)
    fig.suptitle("david-palma tanh MLP, full-batch GD eps 1e-3, summed CCE + 5e-4 ||W||^2: "
                 + style_legend(spec=implementation_spec(report_dir)), fontsize=10)
    fixed_layout(fig, 0.95, 0.2, 0.65, 0.42, wspace=0.25, hspace=0.25)
    return [save_png(fig, Path(report_dir) / "david_palma_training.png")]
