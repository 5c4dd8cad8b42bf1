"""Seed project 10 (docs/conventions.md §11): time-series forecasting, sliding windows, time-order split.

Seed 10 fits a Keras 64-32-1 network with Adam and MSE on windows of sin(0.1 t) + noise; its
shuffled split leaks the future. Here: 400 points of sin(0.1 t) + 0.1 N(0, 1) (default_rng(10)),
windows of 10 predicting the next value (scratch.datasets.sliding_windows), the last 20% of the
windows held out (chronological_split), a 10-64-32-1 ReLU network with a linear output, MSE,
Adam(0.005, eps 1e-7), mini-batches of 32 in one shared shuffled order per epoch. The forecast is
one step ahead on the test segment: each implementation's own forward from its own final
parameters. Full runs 10 epochs (100 steps), short runs 1 epoch (10 steps).
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

WINDOW = 10
CASES = training_cases(
    "time_series_adam",
    "seed 10: sin(0.1 t) + noise, windows of 10, 10-64-32-1 ReLU, MSE, Adam(0.005), batch 32",
    layers=({"type": "dense", "units": 64}, {"type": "relu"}, {"type": "dense", "units": 32},
            {"type": "relu"}, {"type": "dense", "units": 1}, {"type": "linear"}),
    loss="mse", data={"kind": "series", "length": 400, "noise": 0.1, "test_fraction": 0.2,
                      "n_features": WINDOW}, seed=10,
    optimizer={"name": "adam", "hyper": {"lr": 0.005, "epsilon": 1e-7}},
    batch_size=32, shuffle=True, epochs=10, test_epochs=1,
)


def artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """curve.csv, and forecast.csv: the test segment's truth and both sides' one-step-ahead forecasts."""
    write_curve(case, framework, dtype, outcome, report_dir)
    data, final = outcome.extras["data"], outcome.extras["final"]
    forecasts = {side: np.ravel(evaluate(who, case, final[side], data["x_val"], data["y_val"],
                                         dtype)["output"])
                 for side, who in (("scratch", outcome.implementation), ("framework", framework))}
    first = len(data["x"]) + WINDOW  # series index of the first test target
    write_table(artifact_path(report_dir, case, framework, dtype, "forecast"), [
        {"t": first + i, "truth": float(truth), "forecast_scratch": float(forecasts["scratch"][i]),
         "forecast_framework": float(forecasts["framework"][i])}
        for i, truth in enumerate(data["y_val"].ravel())])


def plot(report_dir: Path) -> list[Path]:
    """time_series_forecast.png: the loss curves, and the test segment's truth against each forecast."""
    plt = pyplot()
    curves, forecasts = (chosen_runs(report_dir, "proj_time_series_adam_", what)
                         for what in ("curve", "forecast"))
    if not curves and not forecasts:
        return []
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [1, 1.6]})
    draw_curves(axes[0], curves)
    axes[0].set_ylabel("training MSE of each mini-batch")
    axes[0].set_title(f"loss per step ({run_label(curves)})", fontsize=9)
    axes[0].legend(fontsize=8)
    for index, artifact in enumerate(forecasts):
        table = artifact.read()
        if index == 0:
            axes[1].plot(table["t"], table["truth"], "o", color="0.5", markersize=3, label="truth")
            axes[1].plot(table["t"], table["forecast_scratch"], LINESTYLES["scratch"],
                         color=COLORS["scratch"], label=implementation_spec(report_dir), **SCRATCH_UNDER)
        axes[1].plot(table["t"], table["forecast_framework"], LINESTYLES[artifact.framework],
                     color=COLORS[artifact.framework], label=artifact.framework, **FRAMEWORK_OVER)
    axes[1].set_xlabel("t (test segment, after every training window)")
    axes[1].set_title(f"one-step-ahead forecast on the held-out segment ({run_label(forecasts)})", fontsize=9)
    axes[1].legend(fontsize=8)
    axes[1].grid(True, alpha=0.3)
    fig.suptitle("Seed 10: sliding-window forecasting of sin(0.1 t) + noise, chronological split; "
                 + style_legend(spec=implementation_spec(report_dir)), fontsize=10)
    fixed_layout(fig, 0.8, 0.2, 0.65, 0.6, wspace=0.12)
    return [save_png(fig, Path(report_dir) / "time_series_forecast.png")]
