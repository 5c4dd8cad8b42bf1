"""Seed project 09: dropout regularization, with the framework's own dropout mask shared each step.

Seed 09 trains a NumPy 2-4-1 sigmoid net on XOR with inverted dropout 0.5 (and a wrong backward,
docs/conventions.md §11). Four points cannot show overfitting, so here a 2-64-64-2 ReLU network with
softmax + cross-entropy is trained on a small noisy make_moons (200 points, noise 0.35, half held
out), Adam(0.01, eps 1e-7), full batch, with and without Dropout(0.5) after each hidden ReLU. Each
step the framework's dropout draws its mask and scratch applies the same one. Training and
validation loss are then taken in inference mode (dropout off) by each implementation's own forward
from its own parameters after every k-th step (record_params). Full runs 200 steps, short runs 5.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from comparisons.data.training import batch_accuracy
from comparisons.projects.shared.common import artifact_path, evaluate, training_cases, write_table
from comparisons.projects.shared.curves import FRAMEWORK_OVER, SCRATCH_UNDER, chosen_runs, run_label
from comparisons.projects.shared.files import (
    LINESTYLES,
    fixed_layout,
    implementation_spec,
    log_scale,
    pyplot,
    save_png,
    shown_name,
    style_legend,
    write_curve,
)

RATE = 0.5
VARIANTS = {"dropout_none_adam": "without dropout", "dropout_0p5_adam": f"Dropout({RATE}) after each ReLU"}
POINTS = 15  # inference-mode evaluations per run, evenly spaced over the steps


def _layers(dropout: bool) -> tuple:
    drop = ({"type": "dropout", "rate": RATE},) if dropout else ()
    return ({"type": "dense", "units": 64}, {"type": "relu"}, *drop, {"type": "dense", "units": 64},
            {"type": "relu"}, *drop, {"type": "dense", "units": 2}, {"type": "softmax"})


CASES = tuple(
    case for name, title in VARIANTS.items()
    for case in training_cases(
        name, f"seed 09: noisy moons (100 train), 2-64-64-2 ReLU, {title}, Adam(0.01), full batch",
        layers=_layers(name != "dropout_none_adam"), loss="categorical_crossentropy",
        data={"kind": "moons", "seed": 9, "n_features": 2,
              "options": {"samples": 200, "noise": 0.35, "test_fraction": 0.5}},
        seed=9, optimizer={"name": "adam", "hyper": {"lr": 0.01, "epsilon": 1e-7}},
        epochs=200, test_epochs=5, record_params=True)
)


def _evaluated_steps(history: list[dict]) -> list[int]:
    every = max(1, len(history) // POINTS)
    return [0] + [h["step"] for h in history if h["step"] % every == 0 or h["step"] == len(history)]


def artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """curve.csv, and evaluation.csv: inference-mode train/validation loss and accuracy, both sides."""
    write_curve(case, framework, dtype, outcome, report_dir)
    data, history = outcome.extras["data"], outcome.extras["history"]
    params = {0: {"scratch": outcome.extras["params"], "framework": outcome.extras["params"]}}
    params.update({h["step"]: h for h in history})
    rows = []
    for step in _evaluated_steps(history):
        row = {"step": step}
        for side, who in (("scratch", outcome.implementation), ("framework", framework)):
            for split, x, y in (("train", data["x"], data["y"]), ("val", data["x_val"], data["y_val"])):
                result = evaluate(who, case, params[step][side], x, y, dtype)
                row[f"{split}_loss_{side}"] = float(result["loss"])
                row[f"{split}_accuracy_{side}"] = batch_accuracy(np.asarray(result["output"]), y)
        rows.append(row)
    write_table(artifact_path(report_dir, case, framework, dtype, "evaluation"), rows)


def _panel(ax, runs, title: str) -> None:
    drawn, spec = set(), implementation_spec(runs[0].report_dir) if runs else "scratch"
    for artifact in runs:
        table = artifact.sibling("evaluation").read_if_present()
        if table is None:
            continue
        for who, side in (("scratch", "scratch"), (artifact.framework, "framework")):
            if who in drawn:
                continue
            drawn.add(who)
            for split, color in (("train", "C0"), ("val", "C3")):
                ax.plot(table["step"], table[f"{split}_loss_{side}"], LINESTYLES[who], color=color,
                        label=f"{split} {shown_name(who, spec)}",
                        **SCRATCH_UNDER if who == "scratch" else FRAMEWORK_OVER)
    ax.set_title(f"{title} ({run_label(runs)})", fontsize=9)
    ax.set_xlabel("step (full batch, 100 points)")
    ax.set_ylabel("cross-entropy, inference mode")
    log_scale(ax)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, ncols=2)


def plot(report_dir: Path) -> list[Path]:
    """dropout_regularization_curves.png: train vs validation loss, without and with dropout."""
    plt = pyplot()
    present = {name: chosen_runs(report_dir, f"proj_{name}_", "evaluation") for name in VARIANTS}
    present = {name: runs for name, runs in present.items() if runs}
    if not present:
        return []
    fig, axes = plt.subplots(1, len(present), figsize=(6.5 * len(present), 4.8), squeeze=False, sharey=True)
    for ax, (name, runs) in zip(axes[0], present.items(), strict=True):
        _panel(ax, runs, VARIANTS[name])
    fig.suptitle("Seed 09: dropout on noisy moons, 2-64-64-2 ReLU, Adam(0.01); train (blue) vs validation "
                 f"(red); {style_legend(spec=implementation_spec(report_dir))}", fontsize=9)
    fixed_layout(fig, 0.8, 0.2, 0.62, 0.6, wspace=0.08)
    return [save_png(fig, Path(report_dir) / "dropout_regularization_curves.png")]
