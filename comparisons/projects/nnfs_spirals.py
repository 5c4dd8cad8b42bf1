"""The nnfs book's experiments (docs/conventions.md §12): chapters 10, 14, 15, 16 and 17, trained three ways.

Every chapter keeps the book's data, network, loss, optimizer and decay, initial weights 0.01*N(0,1)
(0.1* in ch. 17) and zero biases, full batch, no shuffling. The book trains 10 001 epochs; here every
epoch is a step in 8 framework runs (2 frameworks x 2 dtypes x 2 modes, 1.5-12 ms per step pair), so the
full runs (make report) are shortened: ch. 10 trains 500 epochs, ch. 14 and 16 300, ch. 15 (3 000
samples) 200, ch. 17 600 (the sine is fitted to ~1e-4 MSE by then). Short runs (make test) train
5-10 (ch. 10: 30). Free-running float64 is chaotic for ch. 10/14/15/17 (known difference).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from comparisons.projects.shared.common import artifact_path, evaluate, training_cases, write_table
from comparisons.projects.shared.curves import (
    COLORS,
    FRAMEWORK_OVER,
    SCRATCH_UNDER,
    chosen_runs,
    draw_curves,
    run_label,
)
from comparisons.projects.shared.files import (
    LINESTYLES,
    fixed_layout,
    implementation_spec,
    pyplot,
    save_png,
    style_legend,
    write_curve,
)

L2 = {"weight_l2": 5e-4, "bias_l2": 5e-4}  # ch. 14-16: L2 on the first layer's weights and biases
NNFS_INIT = {"weight_scale": 0.01, "bias": "zeros"}
SPIRAL3 = {"kind": "spiral", "samples_per_class": 100, "classes": 3, "n_features": 2}


def _adam(lr: float, decay: float) -> dict:
    return {"name": "adam", "hyper": {"lr": lr, "decay": decay, "epsilon": 1e-7}}


CHAPTERS = {  # chapter -> (project name, title)
    10: ("nnfs_ch10_spiral_adam",
         "ch.10: spiral(100, 3), 2-64-3 ReLU, softmax + CCE, Adam(0.05, decay 5e-7)"),
    14: ("nnfs_ch14_spiral_l2_adam",
         "ch.14: spiral(100, 3), 2-64-3 ReLU + L2 5e-4 on layer 1 W and b, Adam(0.02, decay 5e-7)"),
    15: ("nnfs_ch15_spiral_dropout_adam",
         "ch.15: spiral(1000, 3), + Dropout(0.1) (shared masks), Adam(0.05, decay 5e-5)"),
    16: ("nnfs_ch16_spiral_binary_adam",
         "ch.16: spiral(100, 2) binary, 2-64-1 ReLU/sigmoid, BCE, L2 5e-4, Adam(0.001, decay 5e-7)"),
    17: ("nnfs_ch17_sine_adam", "ch.17: sine_data, 1-64-64-1 ReLU/linear, MSE, Adam(0.005, decay 1e-3)"),
}


def _chapter(chapter: int, **spec) -> tuple:
    name, title = CHAPTERS[chapter]
    return training_cases(name, f"nnfs {title}", seed=0, **spec)


CASES = (
    *_chapter(10, layers=({"type": "dense", "units": 64}, {"type": "relu"},
                          {"type": "dense", "units": 3}, {"type": "softmax"}),
              loss="categorical_crossentropy", data=SPIRAL3, optimizer=_adam(0.05, 5e-7),
              init=NNFS_INIT, epochs=500, test_epochs=30),
    *_chapter(14, layers=({"type": "dense", "units": 64, **L2}, {"type": "relu"},
                          {"type": "dense", "units": 3}, {"type": "softmax"}),
              loss="categorical_crossentropy", data=SPIRAL3, optimizer=_adam(0.02, 5e-7),
              init=NNFS_INIT, epochs=300, test_epochs=10),
    *_chapter(15, layers=({"type": "dense", "units": 64, **L2}, {"type": "relu"},
                          {"type": "dropout", "rate": 0.1}, {"type": "dense", "units": 3},
                          {"type": "softmax"}),
              loss="categorical_crossentropy", data={**SPIRAL3, "samples_per_class": 1000},
              optimizer=_adam(0.05, 5e-5), init=NNFS_INIT, epochs=200, test_epochs=5),
    *_chapter(16, layers=({"type": "dense", "units": 64, **L2}, {"type": "relu"},
                          {"type": "dense", "units": 1}, {"type": "sigmoid"}),
              loss="binary_crossentropy", data={**SPIRAL3, "classes": 2, "binary": True},
              optimizer=_adam(0.001, 5e-7), init=NNFS_INIT, epochs=300, test_epochs=10),
    *_chapter(17, layers=({"type": "dense", "units": 64}, {"type": "relu"}, {"type": "dense", "units": 64},
                          {"type": "relu"}, {"type": "dense", "units": 1}, {"type": "linear"}),
              loss="mse", data={"kind": "sine", "samples": 1000, "n_features": 1},
              optimizer=_adam(0.005, 1e-3), init={"weight_scale": 0.1, "bias": "zeros"},
              epochs=600, test_epochs=10),
)


def artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """curve.csv per run; ch. 17 also fit.csv: both sides' own inference forward on sine_data's x."""
    write_curve(case, framework, dtype, outcome, report_dir)
    if case.options["project"] != CHAPTERS[17][0]:
        return
    x, y = outcome.extras["data"]["x"], outcome.extras["data"]["y"]
    final = outcome.extras["final"]
    mine = evaluate(outcome.implementation, case, final["scratch"], x, y, dtype)["output"]
    theirs = evaluate(framework, case, final["framework"], x, y, dtype)["output"]
    write_table(artifact_path(report_dir, case, framework, dtype, "fit"), [
        {"x": float(a), "y": float(b), "out_scratch": float(m), "out_framework": float(t)}
        for a, b, m, t in zip(x.ravel(), y.ravel(), np.ravel(mine), np.ravel(theirs), strict=True)])


def _fit_panel(ax, report_dir: Path) -> None:
    runs = chosen_runs(report_dir, f"proj_{CHAPTERS[17][0]}_", "fit")
    for index, artifact in enumerate(runs):
        table = artifact.read()
        if index == 0:
            ax.plot(table["x"], table["y"], color="0.3", linewidth=1, label="sin(2 pi x)")
            ax.plot(table["x"], table["out_scratch"], LINESTYLES["scratch"], color=COLORS["scratch"],
                    label=implementation_spec(report_dir), **SCRATCH_UNDER)
        ax.plot(table["x"], table["out_framework"], LINESTYLES[artifact.framework],
                color=COLORS[artifact.framework], label=artifact.framework, **FRAMEWORK_OVER)
    ax.set_title(f"fitted sine after training ({run_label(runs)})", fontsize=9)
    ax.set_xlabel("x")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)


def plot(report_dir: Path) -> list[Path]:
    """nnfs_spirals_ch<NN>_loss.png per chapter with curve files: the three loss curves (ch. 17: + fit)."""
    plt = pyplot()
    written = []
    for chapter, (name, title) in CHAPTERS.items():
        runs = chosen_runs(report_dir, f"proj_{name}_")
        if not runs:
            continue
        fig, axes = plt.subplots(1, 2 if chapter == 17 else 1, figsize=(12 if chapter == 17 else 7, 4.2),
                                 squeeze=False)
        draw_curves(axes[0, 0], runs)
        axes[0, 0].set_ylabel("training loss (before each step)")
        axes[0, 0].set_title(f"loss per step ({run_label(runs)})", fontsize=9)
        axes[0, 0].legend(fontsize=8)
        if chapter == 17:
            _fit_panel(axes[0, 1], report_dir)
        fig.suptitle(f"nnfs {title}\n{style_legend(spec=implementation_spec(report_dir))}", fontsize=9)
        fixed_layout(fig, 1.25, 0.2, 0.8, 0.6, wspace=0.15)
        written.append(save_png(fig, Path(report_dir) / f"nnfs_spirals_ch{chapter}_loss.png"))
    return written
