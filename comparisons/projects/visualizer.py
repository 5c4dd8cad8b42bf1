"""Seed project 04: a network visualizer: the weights of a 2-2-1 sigmoid MLP on XOR, step by step.

Seed 04 trains NumPy 2-2-1 sigmoid on XOR from seed 0 with the summed gradient 2(y_hat - y) (no
1/N; docs/conventions.md §11 notes it as a bug, which the negative controls model). Here the loss is the
correct mean (torch MSELoss(), Keras MeanSquaredError), weights N(0, 1) from default_rng(0), zero
biases, full-batch SGD lr 1.0 (exact in float32). Every parameter is recorded after every step on
both sides (record_params) and drawn: every weight against the step (scratch solid, frameworks
dashed/dotted) and the network with line width = |w| and colour = sign (Agg, no GUI). Full run
1000 steps (loss 0.257 -> 0.0099: the plateau, the escape and XOR solved), short run 50.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from comparisons.projects.shared.common import (
    artifact_path,
    flat_params,
    training_cases,
    write_table,
)
from comparisons.projects.shared.files import (
    LINESTYLES,
    find_artifacts,
    fixed_layout,
    implementation_spec,
    preferred_mode,
    pyplot,
    save_png,
    write_curve,
)

if TYPE_CHECKING:
    import pandas as pd

CASES = training_cases(
    "visualizer", "seed 04: XOR, 2-2-1 sigmoid MLP, MSE (mean), SGD lr 1.0, weights recorded",
    layers=({"type": "dense", "units": 2}, {"type": "sigmoid"},
            {"type": "dense", "units": 1}, {"type": "sigmoid"}),
    loss="mse", data={"kind": "xor", "n_features": 2}, seed=0,
    optimizer={"name": "sgd", "hyper": {"lr": 1.0}},
    init={"weight_scale": 1.0, "bias": "zeros"}, record_params=True, epochs=1000, test_epochs=50,
)
LAYER_SIZES = (2, 2, 1)


def artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """curve.csv and weights.csv: every parameter at step 0 and after every step, both sides."""
    if not outcome.extras:  # a crash before training: nothing to draw
        return
    write_curve(case, framework, dtype, outcome, report_dir)
    initial = flat_params(outcome.extras["params"])
    rows = [{"step": 0, "implementation": name, **initial} for name in ("scratch", framework)]
    for entry in outcome.extras["history"]:
        rows += [{"step": entry["step"], "implementation": name, **flat_params(entry[side])}
                 for side, name in (("scratch", "scratch"), ("framework", framework))]
    write_table(artifact_path(report_dir, case, framework, dtype, "weights"), rows)


def _chosen(report_dir: Path) -> list:
    """The weights files of one mode and one dtype (free and float64 first)."""
    files = preferred_mode(find_artifacts(report_dir, "proj_visualizer_", "weights"))
    dtypes = [a.dtype for a in files]
    dtype = "float64" if "float64" in dtypes else (dtypes[0] if dtypes else None)
    return [a for a in files if a.dtype == dtype]


def _runs(files: list) -> list[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """(framework, scratch's rows, the framework's rows) of every weights file, indexed by step."""
    runs = []
    for artifact in files:
        table = artifact.read()
        rows = {name: part.set_index("step").drop(columns="implementation")
                for name, part in table.groupby("implementation", sort=False)}
        runs.append((artifact.framework, rows["scratch"], rows[artifact.framework]))
    return runs


def weight_evolution_figure(files: list):
    """One panel per parameter: its value against the step, scratch solid, frameworks dashed."""
    plt = pyplot()
    runs, spec = _runs(files), implementation_spec(files[0].report_dir)
    scratch = runs[0][1]
    fig, axes = plt.subplots(3, 3, figsize=(12, 8.5), sharex=True)
    for ax, key in zip(axes.ravel(), scratch.columns, strict=False):
        ax.plot(scratch.index, scratch[key], LINESTYLES["scratch"], label=spec, linewidth=2.4)
        gaps = []
        for framework, own_scratch, theirs in runs:
            if not own_scratch.equals(scratch):  # scratch follows this framework's optimizer formula
                ax.plot(own_scratch.index, own_scratch[key], "-", linewidth=1, label=f"{spec} ({framework})")
            ax.plot(theirs.index, theirs[key], LINESTYLES.get(framework, "--"), label=framework,
                    linewidth=1.4)
            gaps.append(float(np.max(np.abs(theirs[key].to_numpy() - own_scratch[key].to_numpy()))))
        ax.set_title(f"{key}   max |framework - scratch| {max(gaps):.1e}", fontsize=8)
    axes[0, 0].legend(fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("step")
    fig.suptitle(f"XOR 2-2-1 sigmoid MLP: every parameter vs step ({files[0].dtype}, {files[0].mode} run)")
    return fixed_layout(fig, 0.5, 0.2, 0.65, 0.6, wspace=0.17)


def _draw_network(ax, params: dict[str, float], scale: float, title: str) -> None:
    positions = [[(layer, (size - 1) / 2 - k) for k in range(size)] for layer, size in enumerate(LAYER_SIZES)]
    for index, (sources, targets) in enumerate(zip(positions, positions[1:], strict=False)):
        for i, (x0, y0) in enumerate(sources):
            for j, (x1, y1) in enumerate(targets):
                weight = params[f"{2 * index}.weight[{i},{j}]"]
                ax.plot([x0, x1], [y0, y1], color="tab:blue" if weight >= 0 else "tab:red",
                        linewidth=0.5 + 7 * abs(weight) / scale, zorder=1, solid_capstyle="round")
                ax.text(x0 + 0.3 * (x1 - x0), y0 + 0.3 * (y1 - y0), f"{weight:+.2f}", fontsize=7,
                        ha="center", va="center", bbox={"fc": "white", "ec": "none", "pad": 0.5})
    for layer, nodes in enumerate(positions):
        for k, (x, y) in enumerate(nodes):
            ax.scatter([x], [y], s=650, color="white", edgecolors="k", zorder=2)
            text = "x" if layer == 0 else f"b\n{params[f'{2 * layer - 2}.bias[{k}]']:+.2f}"
            ax.text(x, y, text, ha="center", va="center", fontsize=7, zorder=3)
    ax.set_title(title, fontsize=9)
    ax.set_xlim(-0.4, 2.4)
    ax.set_ylim(-1.0, 1.0)
    ax.axis("off")


def network_figure(files: list):
    """The network at step 0 and each implementation's final weights: width |w|, blue +, red -."""
    plt = pyplot()
    runs, spec = _runs(files), implementation_spec(files[0].report_dir)
    scratch = runs[0][1]
    panels = [("initial (step 0)", scratch.iloc[0]), (f"{spec}, step {scratch.index[-1]}", scratch.iloc[-1])]
    panels += [(f"{framework}, step {theirs.index[-1]}", theirs.iloc[-1]) for framework, _, theirs in runs]
    keys = [c for c in scratch.columns if "weight" in c]
    scale = max(abs(float(row[k])) for _, row in panels for k in keys) or 1.0
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.4), squeeze=False)
    for ax, (title, row) in zip(axes[0], panels, strict=True):
        _draw_network(ax, {k: float(v) for k, v in row.items()}, scale, title)
    fig.suptitle(f"XOR 2-2-1 network: line width = |weight|, blue = positive, red = negative "
                 f"({files[0].dtype}, {files[0].mode} run)", fontsize=10)
    return fixed_layout(fig, 0.15, 0.15, 0.65, 0.15, wspace=0.05)


def plot(report_dir: Path) -> list[Path]:
    """visualizer_weight_evolution.png and visualizer_network.png from the weights files."""
    files = _chosen(Path(report_dir))
    if not files:
        return []
    return [save_png(weight_evolution_figure(files), Path(report_dir) / "visualizer_weight_evolution.png"),
            save_png(network_figure(files), Path(report_dir) / "visualizer_network.png")]
