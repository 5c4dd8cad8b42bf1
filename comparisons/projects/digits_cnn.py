"""A small CNN on scikit-learn's 8x8 digits as 1x8x8 images, trained side by side (docs/conventions.md §17).

The convolutional counterpart of seed 03 (comparisons/projects/digits.py): conv 3x3 with 6 filters and
'same' padding - ReLU - 2x2 max pooling - flatten (c, h, w order) - Dense(96, 10) - softmax with
cross-entropy, mini-batch Adam (the digits project's float32-exact hyperparameters), batch 64 in one
shared shuffled order (22 steps per epoch, 75/25 stratified split of the 1797 images, pixels x / 16).
Full run 8 epochs (176 steps), short run 1 epoch. In float32 a max-pooling window whose two largest
values differ by rounding sends a gradient to another pixel in one implementation (torch, step 52 of the
full run: conv kernel gradients 1.2e-3 apart where every earlier step agreed), and from there the two
runs part; the free run is judged against the implementation's own perturbed shadow (docs/conventions.md
§9), which meets such a near-tie itself (at step 32 in that run) and so allows the parting. Besides the
learning curves and test accuracies, the report draws the learned first-layer filters of each
implementation: in a free run they are each implementation's own, so the picture shows whether the
implementations learned the same features.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from comparisons.projects.digits import ADAM
from comparisons.projects.shared.common import artifact_path, training_cases, write_table

NAME, TITLE = "digits_cnn", "digits 1x8x8, conv3x3(6, same)-ReLU-maxpool2-flatten-dense10, Adam, batch 64"
CONV = "0.weight"  # the first layer's kernel, (kH, kW, in, filters) in the scratch layout

TRAINING = training_cases(
    NAME, f"digits CNN: {TITLE}",
    layers=({"type": "conv2d", "filters": 6, "kernel_size": 3, "padding": "same"}, {"type": "relu"},
            {"type": "maxpool2d", "pool_size": 2}, {"type": "flatten"},
            {"type": "dense", "units": 10}, {"type": "softmax"}),
    loss="categorical_crossentropy", data={"kind": "digits", "shape": (1, 8, 8), "image": True}, seed=17,
    optimizer={"name": "adam", "hyper": ADAM},
    batch_size=64, shuffle=True, epochs=8, test_epochs=1,
)
CASES = TRAINING


def filter_rows(initial: dict, final: dict, framework: str) -> list[dict]:
    """One row per filter pixel: the initial kernel, and the final kernel of scratch and of the framework."""
    rows = []
    for stage, side, implementation, params in (("initial", "initial", "initial", initial),
                                               ("final", "scratch", "scratch", final["scratch"]),
                                               ("final", "framework", framework, final["framework"])):
        kernel = np.asarray(params[CONV], dtype=np.float64)
        for row, col, channel, number in np.ndindex(kernel.shape):
            rows.append({"stage": stage, "side": side, "implementation": implementation, "filter": number,
                         "channel": channel, "row": row, "col": col,
                         "value": float(kernel[row, col, channel, number])})
    return rows


def artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """curve.csv, accuracy.csv, epochs.csv (as the digits project) and filters.csv (first-layer kernels)."""
    from comparisons.projects.shared.classification import classification_artifacts

    if not outcome.extras:  # a crash before training: nothing to draw
        return
    classification_artifacts(case, framework, dtype, outcome, report_dir)
    write_table(artifact_path(report_dir, case, framework, dtype, "filters"),
                filter_rows(outcome.extras["params"], outcome.extras["final"], framework))


def filters_figure(report_dir: Path):
    """Rows: the initial filters, then each implementation's learned ones (free run, float64 first);
    columns: the filters, one shared grey scale so that equal filters look equal."""
    from comparisons.projects.shared.curves import chosen_runs
    from comparisons.projects.shared.files import fixed_layout, implementation_spec, pyplot, shown_name

    plt = pyplot()
    runs = chosen_runs(report_dir, f"proj_{NAME}_", "filters")
    if not runs:
        return None
    tables = [run.read() for run in runs]
    panels = [("initial", tables[0].query("side == 'initial'"))]
    panels.append((shown_name("scratch", implementation_spec(report_dir)),
                   tables[0].query("side == 'scratch'")))
    panels += [(run.framework, table.query("side == 'framework'"))
               for run, table in zip(runs, tables, strict=True)]
    filters = int(tables[0]["filter"].max()) + 1
    limit = max(float(np.abs(table["value"]).max()) for _, table in panels)
    fig, axes = plt.subplots(len(panels), filters, figsize=(1.3 * filters + 1.6, 1.3 * len(panels) + 0.9),
                             squeeze=False)
    for i, (name, table) in enumerate(panels):
        for number in range(filters):
            pixels = table.query("filter == @number and channel == 0").pivot(index="row", columns="col",
                                                                            values="value")
            ax = axes[i, number]
            ax.imshow(pixels.to_numpy(), cmap="gray", vmin=-limit, vmax=limit)
            ax.set_xticks([])
            ax.set_yticks([])
            if number == 0:
                ax.set_ylabel(name, fontsize=8)
            if i == 0:
                ax.set_title(f"filter {number}", fontsize=8)
    fig.suptitle(f"{TITLE}\nfirst-layer 3x3 filters ({runs[0].dtype}, {runs[0].mode} run; grey scale "
                 f"+-{limit:.2f})", fontsize=9)
    return fixed_layout(fig, 1.0, 0.2, 0.8, 0.2, wspace=0.1, hspace=0.15)


def plot(report_dir: Path) -> list[Path]:
    """digits_cnn_accuracy.png, digits_cnn_learning_curves.png and digits_cnn_filters.png."""
    from comparisons.projects.shared.classification import plot_classification
    from comparisons.projects.shared.files import save_png

    paths = plot_classification(report_dir, NAME, TITLE)
    fig = filters_figure(Path(report_dir))
    if fig is not None:
        paths.append(save_png(fig, Path(report_dir) / f"{NAME}_filters.png"))
    return paths
