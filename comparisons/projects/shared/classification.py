"""Classification projects (digits, tabular): accuracy of each implementation's own forward on the
test split, per-epoch learning curves, and their plots, all through CSV files under projects/."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from comparisons.data.training import batch_accuracy
from comparisons.projects.shared.common import artifact_path, evaluate, write_table
from comparisons.projects.shared.files import (
    LINESTYLES,
    find_artifacts,
    fixed_layout,
    implementation_spec,
    label,
    log_scale,
    preferred_mode,
    pyplot,
    save_png,
    shown_name,
    write_curve,
)

DTYPE_COLORS = {"float32": "tab:orange", "float64": "tab:blue"}


def _scores(framework: str, case, params: dict, x: np.ndarray, y: np.ndarray,
            dtype: str) -> tuple[float, float]:
    """(accuracy, loss) of one implementation's own inference forward on (x, y)."""
    result = evaluate(framework, case, params, x, y, dtype)
    return batch_accuracy(np.asarray(result["output"]), y), float(result["loss"])


def accuracy_rows(case, framework: str, dtype: str, outcome) -> list[dict]:
    """Final accuracy and loss on the train and test splits, scratch and the framework, own forward."""
    data, final = outcome.extras["data"], outcome.extras["final"]
    rows = []
    for side, implementation in (("scratch", outcome.implementation), ("framework", framework)):
        for split, x, y in (("train", data["x"], data["y"]), ("test", data["x_val"], data["y_val"])):
            accuracy, loss = _scores(implementation, case, final[side], x, y, dtype)
            rows.append({"implementation": implementation, "side": side, "split": split,
                         "accuracy": accuracy, "loss": loss, "samples": len(y)})
    return rows


def epoch_rows(case, framework: str, dtype: str, outcome) -> list[dict]:
    """Test accuracy and loss after every epoch (and at step 0), each side's own forward."""
    data, history = outcome.extras["data"], outcome.extras["history"]
    per_epoch = math.ceil(len(data["x"]) / (case.options.get("batch_size") or len(data["x"])))
    checkpoints = [(0, outcome.extras["params"], outcome.extras["params"])]
    checkpoints += [(h["step"], h["scratch"], h["framework"]) for h in history
                    if h["step"] % per_epoch == 0 or h is history[-1]]
    rows = []
    for step, mine, theirs in checkpoints:
        accuracy_mine, loss_mine = _scores(outcome.implementation, case, mine, data["x_val"], data["y_val"],
                                           dtype)
        accuracy_theirs, loss_theirs = _scores(framework, case, theirs, data["x_val"], data["y_val"], dtype)
        rows.append({"step": step, "epoch": step / per_epoch,
                     "test_accuracy_scratch": accuracy_mine, "test_accuracy_framework": accuracy_theirs,
                     "test_loss_scratch": loss_mine, "test_loss_framework": loss_theirs})
    return rows


def classification_artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """curve.csv (every step), accuracy.csv (final, train and test) and epochs.csv (test, per epoch)."""
    if not outcome.extras:  # a crash before training: nothing to draw
        return
    write_curve(case, framework, dtype, outcome, report_dir)
    write_table(artifact_path(report_dir, case, framework, dtype, "accuracy"),
                accuracy_rows(case, framework, dtype, outcome))
    if outcome.extras.get("history"):
        write_table(artifact_path(report_dir, case, framework, dtype, "epochs"),
                    epoch_rows(case, framework, dtype, outcome))


def accuracy_figure(report_dir: Path, project: str, title: str):
    """Bars: test accuracy of scratch and of the framework, one group per framework x dtype x mode."""
    plt = pyplot()
    files = find_artifacts(report_dir, f"proj_{project}_", "accuracy")
    if not files:
        return None
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(files) + 2), 4.2))
    width, spec = 0.38, implementation_spec(report_dir)
    for i, artifact in enumerate(files):
        test = artifact.read().query("split == 'test'").set_index("side")
        for offset, side, color in ((-width / 2, "scratch", "0.55"), (width / 2, "framework", "tab:green")):
            value = float(test.loc[side, "accuracy"])
            ax.bar(i + offset, value, width, color=color,
                   label=(spec if side == "scratch" else "framework") if i == 0 else None)
            ax.text(i + offset, value + 0.005, f"{value:.3f}", ha="center", fontsize=7, rotation=90)
    ax.set_xticks(range(len(files)), [label(a).replace(" ", "\n") for a in files], fontsize=8)
    low = min(float(a.read().query("split == 'test'")["accuracy"].min()) for a in files)
    ax.set_ylim(max(0.0, low - 0.1), 1.06)
    ax.set_ylabel("test accuracy (own forward, own final parameters)")
    ax.set_title(f"{title}: test accuracy\n(scratch follows each framework's optimizer formula, "
                 "so its bars differ between frameworks where the formulas do: Keras Adam's epsilon-hat)",
                 fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return fixed_layout(fig, 0.9, 1.25, 0.5, 0.7)


def curves_figure(report_dir: Path, project: str, title: str):
    """Per framework: training loss per step and test accuracy per epoch, scratch solid, framework
    dashed. Scratch is drawn from each framework's own file: it follows that framework's formula
    (Keras Adam's epsilon-hat form), so its runs differ between the columns."""
    plt = pyplot()
    curves = preferred_mode(find_artifacts(report_dir, f"proj_{project}_", "curve"))
    if not curves:
        return None
    frameworks, spec = list(dict.fromkeys(a.framework for a in curves)), implementation_spec(report_dir)
    fig, axes = plt.subplots(2, len(frameworks), figsize=(6 * len(frameworks), 7), squeeze=False)
    for column, framework in enumerate(frameworks):
        loss_ax, acc_ax = axes[0, column], axes[1, column]
        for artifact in (a for a in curves if a.framework == framework):
            table, color = artifact.read(), DTYPE_COLORS.get(artifact.dtype, "k")
            epochs = artifact.sibling("epochs").read_if_present()
            for side, implementation in (("scratch", "scratch"), ("framework", framework)):
                style = {"color": color, "linestyle": LINESTYLES[implementation],
                         "linewidth": 2.0 if side == "scratch" else 1.2,
                         "label": f"{shown_name(implementation, spec)} {artifact.dtype}"}
                loss_ax.plot(table["step"], table[f"loss_{side}"], alpha=0.45, **{**style, "label": None})
                if epochs is not None:
                    acc_ax.plot(epochs["epoch"], epochs[f"test_accuracy_{side}"], marker=".", **style)
                    loss_ax.plot(epochs["step"], epochs[f"test_loss_{side}"], marker="o", markersize=3,
                                 **style)
        loss_ax.set(xlabel="step", ylabel="loss: training batch (thin), test per epoch (dots)",
                    title=f"{spec} vs {framework}")
        log_scale(loss_ax)
        acc_ax.set(xlabel="epoch", ylabel="test accuracy (own forward)")
        loss_ax.legend(fontsize=7)
        acc_ax.legend(fontsize=7)
    fig.suptitle(f"{title} ({curves[0].mode} run)", fontsize=10)
    return fixed_layout(fig, 1.0, 0.2, 0.7, 0.6, wspace=0.2, hspace=0.25)


def plot_classification(report_dir: Path, project: str, title: str) -> list[Path]:
    """<project>_accuracy.png and <project>_learning_curves.png from the files that exist."""
    paths = []
    for what, figure in (("accuracy", accuracy_figure), ("learning_curves", curves_figure)):
        fig = figure(Path(report_dir), project, title)
        if fig is not None:
            paths.append(save_png(fig, Path(report_dir) / f"{project}_{what}.png"))
    return paths
