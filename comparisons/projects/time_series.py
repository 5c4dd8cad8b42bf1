"""Seed project 10 (docs/conventions.md §11, §20): time-series forecasting, sliding windows, time-order split.

Seed 10 fits a Keras 64-32-1 network with Adam and MSE on windows of sin(0.1 t) + noise; its
shuffled split leaks the future. Here: 400 points of sin(0.1 t) + 0.1 N(0, 1) (default_rng(10)),
windows of 10 predicting the next value (scratch.datasets.sliding_windows), the last 20% of the
windows held out (chronological_split), mini-batches of 32 in one shared shuffled order per epoch, MSE,
Adam(0.005, eps 1e-7). Two networks on the same windows: the seed's dense 10-64-32-1 ReLU network (a
window as 10 features; full runs 10 epochs, 100 steps) and LSTM(1->16)-Dense(16, 1) reading the window
as a sequence (N, 10, 1) and predicting from its last hidden state (full runs 20 epochs, 200 steps).
Short runs train 1 epoch (10 steps). The forecast is one step ahead on the test segment: each
implementation's own forward from its own final parameters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from comparisons.projects.shared.common import artifact_path, evaluate, training_cases, write_table

WINDOW = 10
SERIES = {"kind": "series", "length": 400, "noise": 0.1, "test_fraction": 0.2, "n_features": WINDOW,
          "seed": 10}  # the series' own generator: both networks see the same windows
ADAM = {"name": "adam", "hyper": {"lr": 0.005, "epsilon": 1e-7}}
# (case name, what the plots call it)
NETWORKS = (("time_series_adam", "dense 10-64-32-1"), ("time_series_lstm_adam", "LSTM(1->16)-Dense(16,1)"))

CASES = training_cases(
    "time_series_adam",
    "seed 10: sin(0.1 t) + noise, windows of 10, 10-64-32-1 ReLU, MSE, Adam(0.005), batch 32",
    layers=({"type": "dense", "units": 64}, {"type": "relu"}, {"type": "dense", "units": 32},
            {"type": "relu"}, {"type": "dense", "units": 1}, {"type": "linear"}),
    loss="mse", data=SERIES, seed=10, optimizer=ADAM, batch_size=32, shuffle=True, epochs=10, test_epochs=1,
) + training_cases(
    "time_series_lstm_adam",
    "seed 10 as a sequence: windows (N, 10, 1), LSTM(1->16)-Dense(16,1), MSE, Adam(0.005), batch 32",
    layers=({"type": "lstm", "units": 16}, {"type": "dense", "units": 1}),
    loss="mse", data={**SERIES, "shape": (WINDOW, 1)}, seed=10, optimizer=ADAM, batch_size=32, shuffle=True,
    epochs=20, test_epochs=1,
)


def artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """curve.csv, and forecast.csv: the test segment's truth and both sides' one-step-ahead forecasts."""
    from comparisons.projects.shared.files import write_curve

    if not outcome.extras:  # a crash before training: nothing to draw
        return
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


def _test_mse(table, column: str) -> float:
    return float(np.mean((table[column] - table["truth"]) ** 2))


def _draw_forecasts(ax, forecasts, report_dir: Path) -> None:
    """Truth and each implementation's forecast on one axis, each labelled with its test MSE."""
    from comparisons.projects.shared.curves import COLORS, FRAMEWORK_OVER, SCRATCH_UNDER
    from comparisons.projects.shared.files import LINESTYLES, implementation_spec

    for index, artifact in enumerate(forecasts):
        table = artifact.read()
        if index == 0:
            spec = implementation_spec(report_dir)
            ax.plot(table["t"], table["truth"], "o", color="0.5", markersize=3, label="truth")
            ax.plot(table["t"], table["forecast_scratch"], LINESTYLES["scratch"], color=COLORS["scratch"],
                    label=f"{spec}, test MSE {_test_mse(table, 'forecast_scratch'):.4f}", **SCRATCH_UNDER)
        ax.plot(table["t"], table["forecast_framework"], LINESTYLES[artifact.framework],
                color=COLORS[artifact.framework], **FRAMEWORK_OVER,
                label=f"{artifact.framework}, test MSE {_test_mse(table, 'forecast_framework'):.4f}")
    ax.grid(True, alpha=0.3)


def plot(report_dir: Path) -> list[Path]:
    """time_series_forecast.png: one row per network (dense, LSTM): its loss curves, and the test segment's
    truth against each implementation's forecast, with each forecast's test MSE."""
    from comparisons.projects.shared.curves import chosen_runs, draw_curves, run_label
    from comparisons.projects.shared.files import (
        fixed_layout,
        implementation_spec,
        pyplot,
        save_png,
        style_legend,
    )

    plt = pyplot()
    runs = [(title, *(chosen_runs(report_dir, f"proj_{name}_", what) for what in ("curve", "forecast")))
            for name, title in NETWORKS]
    runs = [run for run in runs if run[1] or run[2]]
    if not runs:
        return []
    fig, axes = plt.subplots(len(runs), 2, figsize=(13, 0.5 + 4 * len(runs)), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 1.6]}, sharex="col", sharey="col")
    for row, (title, curves, forecasts) in zip(axes, runs, strict=True):
        if curves:
            draw_curves(row[0], curves)
            row[0].legend(fontsize=8)
        row[0].set_ylabel("training MSE of each mini-batch")
        row[0].set_title(f"{title}: loss per step ({run_label(curves)})", fontsize=9)
        _draw_forecasts(row[1], forecasts, report_dir)
        row[1].set_title(f"{title}: one-step-ahead forecast on the held-out segment ({run_label(forecasts)})",
                         fontsize=9)
        row[1].legend(fontsize=8)
    axes[-1, 0].set_xlabel("step")
    axes[-1, 1].set_xlabel("t (test segment, after every training window)")
    fig.suptitle("Seed 10: sliding-window forecasting of sin(0.1 t) + noise, chronological split, dense "
                 "window vs LSTM over the window;\n" + style_legend(spec=implementation_spec(report_dir)),
                 fontsize=10)
    fixed_layout(fig, 0.8, 0.2, 0.85, 0.6, wspace=0.12, hspace=0.3)
    return [save_png(fig, Path(report_dir) / "time_series_forecast.png")]
