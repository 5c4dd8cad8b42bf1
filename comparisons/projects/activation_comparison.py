"""Seed project 08: one network, six hidden activations, on make_moons (docs/conventions.md §11).

Seed 08 fits sklearn MLPClassifier(16, 8) with Adam lr 0.01 on make_moons(1000, noise 0.2,
random_state 42). Here the same 2-16-8 network with softmax + cross-entropy (2 classes) is trained
three ways for each of sigmoid, tanh, ReLU, leaky ReLU, ELU and swish, Adam(0.01, eps 1e-7), full
batch on the 750 training points (load_split('moons', seed 42), standardized with training
statistics), harness initial parameters (N(0, 1/fan_in) weights, non-zero biases). Leaky ReLU uses
alpha 2**-6 = 0.015625, exact in float32 (Keras keeps negative_slope in float32; 0.01 would not be).
Full runs 100 steps, short runs 5. Validation accuracy: each side's own forward on the 250 test points.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from comparisons.data.training import batch_accuracy
from comparisons.projects.shared.common import artifact_path, evaluate, training_cases, write_table
from comparisons.projects.shared.curves import (
    FRAMEWORK_OVER,
    SCRATCH_UNDER,
    chosen_runs,
    implementation_series,
    run_label,
)
from comparisons.projects.shared.files import (
    LINESTYLES,
    fixed_layout,
    implementation_spec,
    log_scale,
    pyplot,
    save_png,
    style_legend,
    write_curve,
)

ACTIVATIONS = {  # name -> layer spec of the hidden activation
    "sigmoid": {"type": "sigmoid"},
    "tanh": {"type": "tanh"},
    "relu": {"type": "relu"},
    "leaky_relu": {"type": "leaky_relu", "alpha": 2**-6},
    "elu": {"type": "elu", "alpha": 1.0},
    "swish": {"type": "swish"},
}


def _cases(name: str, activation: dict) -> tuple:
    return training_cases(
        f"activation_{name}_adam", f"seed 08: moons, 2-16-8-2 {name}, softmax + CCE, Adam(0.01), full batch",
        layers=({"type": "dense", "units": 16}, activation, {"type": "dense", "units": 8}, activation,
                {"type": "dense", "units": 2}, {"type": "softmax"}),
        loss="categorical_crossentropy", data={"kind": "moons", "seed": 42, "n_features": 2}, seed=8,
        optimizer={"name": "adam", "hyper": {"lr": 0.01, "epsilon": 1e-7}},
        epochs=100, test_epochs=5)


CASES = tuple(case for name, activation in ACTIVATIONS.items() for case in _cases(name, activation))


def artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """curve.csv and validation.csv: each side's validation loss and accuracy from its final params."""
    write_curve(case, framework, dtype, outcome, report_dir)
    data, final = outcome.extras["data"], outcome.extras["final"]
    row = {}
    for side, who in (("scratch", outcome.implementation), ("framework", framework)):
        result = evaluate(who, case, final[side], data["x_val"], data["y_val"], dtype)
        row[f"val_loss_{side}"] = float(result["loss"])
        row[f"val_accuracy_{side}"] = batch_accuracy(np.asarray(result["output"]), data["y_val"])
    write_table(artifact_path(report_dir, case, framework, dtype, "validation"), [row])


def _validation_text(runs) -> str:
    parts = []
    for artifact in runs:
        table = artifact.sibling("validation").read_if_present()
        if table is not None:
            if not parts:
                parts.append(f"scratch {table['val_accuracy_scratch'].iloc[0]:.3f}")
            parts.append(f"{artifact.framework} {table['val_accuracy_framework'].iloc[0]:.3f}")
    return f" (val acc {', '.join(parts)})" if parts else ""


def plot(report_dir: Path) -> list[Path]:
    """activation_comparison_curves.png: loss per step, one colour per activation, all implementations."""
    plt = pyplot()
    drawn = {name: chosen_runs(report_dir, f"proj_activation_{name}_adam_") for name in ACTIVATIONS}
    drawn = {name: runs for name, runs in drawn.items() if runs}
    if not drawn:
        return []
    fig, ax = plt.subplots(figsize=(10, 6))
    for color, (name, runs) in enumerate(drawn.items()):
        for who, (steps, loss) in implementation_series(runs, "loss").items():
            label = f"{name}{_validation_text(runs)}" if who == "scratch" else None
            ax.plot(steps, loss, LINESTYLES[who], color=f"C{color}", label=label,
                    **SCRATCH_UNDER if who == "scratch" else FRAMEWORK_OVER)
    log_scale(ax)
    ax.set_xlabel("step (full batch, 750 points)")
    ax.set_ylabel("training cross-entropy (before each step)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, title=f"activation: {style_legend(spec=implementation_spec(report_dir))}",
              title_fontsize=8)
    ax.set_title(f"Seed 08 on make_moons: 2-16-8-2 MLP, Adam(0.01), one curve per activation and "
                 f"implementation ({run_label(next(iter(drawn.values())))})", fontsize=9)
    fixed_layout(fig, 1.05, 0.2, 0.35, 0.6)
    return [save_png(fig, Path(report_dir) / "activation_comparison_curves.png")]
