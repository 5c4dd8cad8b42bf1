"""PNG plots of the benchmark rows (matplotlib, Agg backend): the grid and the log-log scaling study."""

from __future__ import annotations

from pathlib import Path

from benchmarks.tables import RUN_LABELS


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_grid(rows: list[dict], path: Path) -> Path | None:
    """Median step time against batch, a panel per network x dtype, a line per run (dashed: 2+ threads)."""
    grid = [r for r in rows if r["study"] == "grid"]
    if not grid:
        return None
    plt = _pyplot()
    networks = sorted({r["network"] for r in grid})
    dtypes = sorted({r["dtype"] for r in grid})
    fig, axes = plt.subplots(len(networks), len(dtypes), figsize=(5 * len(dtypes), 3.6 * len(networks)),
                             squeeze=False)
    for (i, network), (j, dtype) in ((a, b) for a in enumerate(networks) for b in enumerate(dtypes)):
        ax = axes[i][j]
        for run, label in RUN_LABELS.items():
            for threads in sorted({r["threads"] for r in grid}):
                points = sorted((r["batch"], r["median_s"] * 1e3) for r in grid
                                if (r["implementation"], r["mode"]) == run and r["network"] == network
                                and r["dtype"] == dtype and r["threads"] == threads)
                if points:
                    ax.plot(*zip(*points, strict=True), marker="o", linestyle="-" if threads == 1 else "--",
                            label=f"{label}, {threads} thread{'s' * (threads > 1)}")
        ax.set(xscale="log", yscale="log", xlabel="batch size", ylabel="median step (ms)",
               title=f"{network}, {dtype}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_scaling(rows: list[dict], path: Path) -> Path | None:
    """Log-log step time as the batch doubles and as the width doubles, with a slope-1 guide."""
    studies = [("scaling_batch", "batch size (784-256-128-10)", lambda r: r["batch"]),
               ("scaling_width", "first hidden width w (784-w-w/2-10, batch 128)",
                lambda r: int(r["network"].split("-")[2]))]
    if not any(r["study"] == s for r in rows for s, _, _ in studies):
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, (study, xlabel, size) in zip(axes, studies, strict=True):
        picked = [r for r in rows if r["study"] == study]
        for name in sorted({r["implementation"] for r in picked}, key=lambda n: n != "scratch"):
            points = sorted((size(r), r["median_s"] * 1e3) for r in picked if r["implementation"] == name)
            ax.plot(*zip(*points, strict=True), marker="o", label=name)
        if picked:
            first = min(picked, key=size)
            xs = sorted({size(r) for r in picked})
            ax.plot(xs, [first["median_s"] * 1e3 * x / size(first) for x in xs], color="grey", linestyle=":",
                    label="time proportional to size")
        ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel="median step (ms)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
